"""Benchmark of the overdue job, deadlines.services.raise_overdue_flags, against a bare INSERT … SELECT
of the same flags on the same data.

Each step is its own command, so that a timed command does one run and nothing else:

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/pace_cases_bench_1m
    .venv/bin/python bench/overdue_job.py --prepare --referrals 1000000   # build the prepared database
    .venv/bin/python bench/overdue_job.py --copies 6                      # 6 identical copies of it
    .venv/bin/python bench/overdue_job.py --run job                       # one job run, on the next copy
    .venv/bin/python bench/overdue_job.py --run bare                      # one bare INSERT … SELECT, next copy
    .venv/bin/python bench/overdue_job.py --verify                        # counts of every copy that was run
    .venv/bin/python bench/overdue_job.py --run noop                      # no-op runs after the last job run
    .venv/bin/python bench/overdue_job.py --run job --explain             # the job's statements, EXPLAINed

The database named by DATABASE_URL must be PostgreSQL and have "bench" in its name: --prepare WIPES
it (it is created if missing). Copies are named <name>_copy_001 …; a run renames the copy it takes to
<name>_job_001 (or _bare_, _explain_), so every copy is run once, from the prepared state.

--prepare: migrate; TRUNCATE … CASCADE the families/referrals/deadlines tables (reference data kept);
  create 5 teams with a manager each and 200 key workers (ORM); load with COPY N families, N open
  referrals (Birmingham) and N open "referral:decision" deadlines, all fallen due since the
  watermark (set 31 days before the load, as if the job had last run then), about 10 % already past
  escalate_at; and, as 1 % more, N/100 deadlines of the same referrals that were cancelled (and
  replaced by the open ones) after the watermark, each with the unresolved level-1 flag the run at
  the watermark raised and that is due to escalate: the escalation must skip them (their deadline
  is closed) and the reconciliation resolves them. Then VACUUM (FREEZE, ANALYZE) and CHECKPOINT, so
  the copies start with hint bits set, fresh statistics and no WAL to write back.
--copies K: drop the previous copies of this database, then CREATE DATABASE … TEMPLATE … STRATEGY
  FILE_COPY K times (a file copy, no WAL), and CHECKPOINT.
--run job: raise_overdue_flags(now) once, timed in the process with time.perf_counter around the
  call (its transaction and COMMIT included); every statement's time (CaptureQueriesContext).
--run bare: in one transaction, the yardstick: INSERT INTO deadlines_overdueflag (…) SELECT … FROM
  deadlines_deadline WHERE open AND due_at < now: the same N flags (same columns and values) as the
  job raises, with none of its other statements; timed the same way.
  Both --run modes do only this after Django's set-up: claim a copy (one ALTER DATABASE … RENAME,
  a few ms), run, print. A whole-process timing of them therefore compares the runs themselves
  plus the same start-up.
--run noop: on the latest _job_ copy (after its big run), K runs with nothing new, median; then
  VACUUM (ANALYZE) of the deadlines tables and K runs again; statements and their plans
  (EXPLAIN (ANALYZE, BUFFERS), rolled back).
--explain (with --run job or bare): every statement under EXPLAIN (ANALYZE, BUFFERS, WAL) after SET
  CONSTRAINTS ALL IMMEDIATE (foreign-key checks show under their statement); times then include
  EXPLAIN's instrumentation.
--verify: the counts in every copy that was run, against those expected from the prepared data.

Nothing is written anywhere but the database: Celery's filesystem broker (the job queues the sending
task on commit) points at a temporary folder unless PACE_DATA_DIR is set, and REDIS_URL is ignored.
"""

import argparse
import io
import os
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
BIRMINGHAM = "E08000025"
TEAMS = 5
KEY_WORKERS = 200
CHUNK = 100_000
ESCALATED_SHARE = 0.10
STALE_SHARE = 0.01
WATERMARK_DAYS = 31
EMAIL_DOMAIN = "bench.pace.invalid"
RUN_KINDS = ("job", "bare", "noop")


# ------------------------------------------------------------------ databases, before Django


def database_url():
    url = os.environ.get("DATABASE_URL", "")
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        sys.exit("Refusing to run: DATABASE_URL must name a PostgreSQL database.")
    name = parts.path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"Refusing to run: database {name!r} has no 'bench' in its name: the runs write to it.")
    return parts, name


def admin_connection(parts):
    """A connection to the server's "postgres" database (CREATE/DROP/ALTER DATABASE)."""
    admin = psycopg2.connect(
        dbname="postgres", user=parts.username or None, password=parts.password or None,
        host=parts.hostname or None, port=parts.port or None,
    )
    admin.autocommit = True
    return admin


def databases_like(cursor, name, tag):
    """[(number, datname)] of this database's copies tagged ``tag`` (copy, job, bare, explain)."""
    cursor.execute("SELECT datname FROM pg_database WHERE left(datname, %s) = %s", [len(name) + 1, name + "_"])
    pattern = re.compile(re.escape(f"{name}_{tag}_") + r"(\d+)$")
    found = [(int(m.group(1)), d) for (d,) in cursor.fetchall() if (m := pattern.match(d))]
    return sorted(found)


def use_database(parts, dbname):
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path="/" + dbname))


def claim_copy(parts, name, tag):
    """Take the lowest-numbered unused copy: rename it (atomic; no one is connected to it) and point
    DATABASE_URL at it."""
    admin = admin_connection(parts)
    try:
        with admin.cursor() as cursor:
            for number, copy in databases_like(cursor, name, "copy"):
                taken = f"{name}_{tag}_{number:03d}"
                try:
                    cursor.execute(f'ALTER DATABASE "{copy}" RENAME TO "{taken}"')
                except psycopg2.Error:
                    continue  # taken by someone else in the meantime
                use_database(parts, taken)
                return taken
    finally:
        admin.close()
    sys.exit(f"No unused copy of {name} left: run --copies K first.")


def make_copies(parts, name, k):
    admin = admin_connection(parts)
    try:
        with admin.cursor() as cursor:
            for tag in ("copy", "job", "bare", "explain"):
                for _, old in databases_like(cursor, name, tag):
                    cursor.execute(f'DROP DATABASE "{old}"')
            cursor.execute("CHECKPOINT")
            for number in range(1, k + 1):
                started = time.perf_counter()
                cursor.execute(f'CREATE DATABASE "{name}_copy_{number:03d}" TEMPLATE "{name}" STRATEGY FILE_COPY')
                print(f"{name}_copy_{number:03d}: {time.perf_counter() - started:.1f} s", flush=True)
            cursor.execute("CHECKPOINT")
            cursor.execute("SELECT pg_size_pretty(pg_database_size(%s))", [name])
            print(f"each copy: {cursor.fetchone()[0]}")
    finally:
        admin.close()


def create_database_if_missing(parts, name):
    admin = admin_connection(parts)
    try:
        with admin.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                print(f"Creating database {name}")
                cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        admin.close()


def setup_django():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pace_cases.settings")
    os.environ.setdefault("DEBUG", "1")
    os.environ.pop("REDIS_URL", None)
    if "PACE_DATA_DIR" not in os.environ:
        scratch = tempfile.TemporaryDirectory(prefix="pace-bench-")
        os.environ["PACE_DATA_DIR"] = scratch.name
        globals()["_scratch"] = scratch  # removed at exit
    import django

    django.setup()


# ------------------------------------------------------------------ preparing


def q(name):
    from django.db import connection

    return connection.ops.quote_name(name)


def wipe():
    from django.db import connection

    from deadlines.models import Deadline, Notification, OverdueFlag, OverdueWatermark
    from families.models import Family, Membership, Team
    from referrals.models import Referral
    from staff.models import User

    tables = ", ".join(
        q(model._meta.db_table)
        for model in (Notification, OverdueFlag, OverdueWatermark, Deadline, Referral, Membership, Family, Team)
    )
    with connection.cursor() as cursor:
        # CASCADE also empties everything hanging off families (people, contacts, milestones…).
        # Reference data (local authorities, districts, choices, threshold rules) is kept.
        cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        cursor.execute("DROP TABLE IF EXISTS bench_prepared")
    User.objects.filter(email__endswith="@" + EMAIL_DOMAIN).delete()


def copy_rows(cursor, table, columns, rows):
    buffer = io.StringIO()
    buffer.writelines(rows)
    buffer.seek(0)
    cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)


def check_columns(model, columns):
    actual = [f.column for f in model._meta.concrete_fields]
    if sorted(actual) != sorted(columns):
        sys.exit(f"{model._meta.db_table} has columns {actual}; this script writes {columns}. Update it.")


def load(n, seed, watermark):
    from django.contrib.auth.hashers import make_password
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction
    from django.utils import timezone

    from deadlines.models import Deadline, OverdueFlag, OverdueWatermark
    from families.models import Family, LocalAuthority, Membership, Role, Team
    from referrals.models import Referral
    from staff.models import User

    rng = random.Random(seed)  # noqa: S311 - made-up benchmark data, reproducible
    authority = LocalAuthority.objects.filter(code=BIRMINGHAM).first()
    if authority is None:
        sys.exit(f"Local authority {BIRMINGHAM} is missing: did the migrations load the reference data?")
    referral_type = ContentType.objects.get_for_model(Referral).id
    load_now = timezone.now().replace(second=0, microsecond=0)

    # People: a manager per team, key workers spread over the teams (ORM: a few hundred rows).
    password = make_password(None)
    teams = Team.objects.bulk_create(
        Team(name=f"Bench team {t + 1}", kind=Team.Kind.PARENT_LIAISON, local_authority=authority)
        for t in range(TEAMS)
    )
    managers = User.objects.bulk_create(
        User(email=f"manager{t + 1}@{EMAIL_DOMAIN}", full_name=f"Manager {t + 1}", password=password)
        for t in range(TEAMS)
    )
    workers = User.objects.bulk_create(
        User(email=f"worker{w + 1}@{EMAIL_DOMAIN}", full_name=f"Key worker {w + 1}", password=password)
        for w in range(KEY_WORKERS)
    )
    Membership.objects.bulk_create(
        [Membership(user=m, team=t, role=Role.MANAGER) for m, t in zip(managers, teams, strict=True)]
        + [Membership(user=w, team=teams[i % TEAMS], role=Role.CASEWORKER) for i, w in enumerate(workers)]
    )
    worker_ids = [w.id for w in workers]
    worker_team = [teams[i % TEAMS].id for i in range(KEY_WORKERS)]

    # Timestamps as text, from a pool of whole minutes around load_now: formatting is the slow part.
    day = 60 * 24
    span = (WATERMARK_DAYS + 3) * day  # minutes either side
    pool = [(load_now + timedelta(minutes=m)).isoformat(sep=" ") for m in range(-span, span + 1)]

    def at(minutes):  # minutes relative to load_now
        return pool[span + minutes]

    wm = -WATERMARK_DAYS * day  # the previous run's moment, in minutes relative to load_now
    family_cols = ["id", "reference", "team_id", "key_worker_id", "address", "postcode", "local_authority_id",
                   "status", "closure_reason", "closed_on", "source", "preferred_channel", "safe_contact_times",
                   "voicemail_ok", "texts_ok", "contact_notes", "created_at", "updated_at", "version", "postcode_key",
                   "anonymised_at"]
    referral_cols = ["id", "family_id", "local_authority_id", "referred_by", "decision", "previous_referral_id",
                     "summary", "csc_reference", "nrm_status", "channel_status", "status", "next_milestone",
                     "next_due_at", "created_by_id", "created_at", "version"]
    deadline_cols = ["id", "family_id", "subject_type_id", "subject_id", "kind", "label", "allowance", "nation",
                     "local_authority_id", "started_at", "due_at", "escalate_at", "met_at", "cancelled_at",
                     "closed_at", "created_at"]
    flag_cols = ["id", "deadline_id", "family_id", "raised_at", "level", "due_at", "escalate_at", "escalated_at",
                 "acknowledged_at", "acknowledged_by_id", "acknowledgement_note", "resolved_at", "audience"]
    check_columns(Family, family_cols)
    check_columns(Referral, referral_cols)
    check_columns(Deadline, deadline_cols)
    check_columns(OverdueFlag, flag_cols)
    family_table, referral_table, deadline_table, flag_table = (
        q(m._meta.db_table) for m in (Family, Referral, Deadline, OverdueFlag)
    )

    escalated = 0
    stale = 0
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg2's own cursor, for copy_expert
        for start in range(1, n + 1, CHUNK):
            families, referrals, deadlines, flags = [], [], [], []
            for i in range(start, min(start + CHUNK, n + 1)):
                w = i % KEY_WORKERS
                worker, team = worker_ids[w], worker_team[w]
                if rng.random() < ESCALATED_SHARE:
                    # Referral made 3 to 30 days ago: decision due a day later, very late a day after that.
                    started = -rng.randrange(3 * day, (WATERMARK_DAYS - 1) * day)
                    escalate = started + 2 * day
                    escalated += 1
                else:
                    # Decision due between a minute and a day ago; very late only a day after that.
                    started = -day - rng.randrange(1, day)
                    escalate = started + 2 * day + rng.randrange(day, 10 * day)
                due = started + day
                created = at(started)
                families.append(
                    f"{i}\tF-{i:06d}\t{team}\t{worker}\t\t\t{authority.id}\topen\t\t\\N\tself\tphone\t\tf\tf\t\t"
                    f"{created}\t{created}\t1\t\t\\N\n"
                )
                referrals.append(
                    f"{i}\t{i}\t{authority.id}\tparent\t\t\\N\t\t\t\t\topen\tdecision\t{at(due)}\t{worker}\t"
                    f"{created}\t1\n"
                )
                deadlines.append(
                    f"{i}\t{i}\t{referral_type}\t{i}\treferral:decision\tDecision on the referral\t1 working day\t"
                    f"england\t{authority.id}\t{created}\t{at(due)}\t{at(escalate)}\t\\N\t\\N\t\\N\t{created}\n"
                )
                if i % round(1 / STALE_SHARE) == 0:
                    # The referral's earlier clock: due before the watermark, flagged by the run then
                    # (level 1, very late since), cancelled after it (and replaced by the one above),
                    # and its flag left unresolved. Ids after the N open deadlines.
                    stale += 1
                    d = n + stale
                    s_started = wm - day - rng.randrange(1, day)
                    s_due, s_escalate = s_started + day, wm + rng.randrange(1, day)
                    closed = wm + rng.randrange(day, (WATERMARK_DAYS - 1) * day)
                    deadlines.append(
                        f"{d}\t{i}\t{referral_type}\t{i}\treferral:decision\tDecision on the referral\t"
                        f"1 working day\tengland\t{authority.id}\t{at(s_started)}\t{at(s_due)}\t{at(s_escalate)}\t"
                        f"\\N\t{at(closed)}\t{at(closed)}\t{at(s_started)}\n"
                    )
                    flags.append(f"{stale}\t{d}\t{i}\t{at(wm)}\t1\t{at(s_due)}\t{at(s_escalate)}\t\\N\t\\N\t\\N\t\t\\N\t3\n")
            copy_rows(raw, family_table, family_cols, families)
            copy_rows(raw, referral_table, referral_cols, referrals)
            copy_rows(raw, deadline_table, deadline_cols, deadlines)
            copy_rows(raw, flag_table, flag_cols, flags)
        for model in (Family, Referral, Deadline, OverdueFlag):
            table = model._meta.db_table
            cursor.execute(  # the table name comes from model metadata
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), GREATEST((SELECT max(id) FROM {q(table)}), 1))",  # noqa: S608
                [table],
            )
        if watermark:
            OverdueWatermark.objects.create(pk=1, checked_until=load_now + timedelta(minutes=wm))
        cursor.execute("CREATE TABLE bench_prepared (referrals int, escalated int, stale int, watermark bool, "
                       "loaded_at timestamptz)")
        cursor.execute("INSERT INTO bench_prepared VALUES (%s, %s, %s, %s, %s)", [n, escalated, stale, watermark,
                                                                                   load_now])
    return escalated, stale


def prepare(args, parts, name):
    from django.core.management import call_command
    from django.db import connection

    create_database_if_missing(parts, name)
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    print(f"migrate: {time.perf_counter() - started:.1f} s", flush=True)
    wipe()
    print(f"Loading {args.referrals:,} open referrals…", flush=True)
    started = time.perf_counter()
    escalated, stale = load(args.referrals, args.seed, watermark=not args.no_watermark)
    print(f"COPY: {time.perf_counter() - started:.1f} s; {escalated:,} past escalation, {stale:,} closed deadlines "
          f"with an unresolved flag", flush=True)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (FREEZE, ANALYZE)")
        cursor.execute("CHECKPOINT")
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        size = cursor.fetchone()[0]
    print(f"VACUUM (FREEZE, ANALYZE) + CHECKPOINT: {time.perf_counter() - started:.1f} s; database {size}")
    connection.close()


# ------------------------------------------------------------------ running


class ExplainEverything:
    """execute_wrapper: runs each statement under EXPLAIN (ANALYZE, BUFFERS, WAL) and keeps the plan.

    Django makes foreign keys DEFERRABLE INITIALLY DEFERRED, so their checks would all run at COMMIT;
    SET CONSTRAINTS ALL IMMEDIATE first, so each statement's plan shows the checks it causes
    ("Trigger for constraint …"). The work is the same, only attributed to its statement."""

    def __init__(self):
        self.plans = []

    def __call__(self, execute, sql, params, many, context):
        raw = context["cursor"].cursor  # psycopg2's cursor: not through the wrappers again
        if sql.lstrip().upper().startswith(("SELECT", "SET", "ANALYZE")):
            # Reads the job needs the rows of (watermark, counts), and settings and statistics,
            # which have no plan.
            return execute(sql, params, many, context)
        if not self.plans:
            raw.execute("SET CONSTRAINTS ALL IMMEDIATE")
        started = time.perf_counter()
        result = execute("EXPLAIN (ANALYZE, BUFFERS, WAL) " + sql, params, many, context)
        elapsed = time.perf_counter() - started
        self.plans.append((sql, elapsed, "\n".join(r[0] for r in raw.fetchall())))
        return result


def bare_insert(now):
    """The yardstick: the same flags as the job raises, in one plain INSERT … SELECT."""
    from django.db import connection, transaction

    from deadlines.models import Deadline, OverdueFlag

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {q(OverdueFlag._meta.db_table)}
                (deadline_id, family_id, raised_at, level, due_at, escalate_at, escalated_at, acknowledgement_note,
                 audience)
            SELECT d.id, d.family_id, %(now)s,
                   CASE WHEN d.escalate_at < %(now)s THEN %(escalated)s ELSE %(overdue)s END,
                   d.due_at, d.escalate_at, CASE WHEN d.escalate_at < %(now)s THEN %(now)s END, '', 3
              FROM {q(Deadline._meta.db_table)} d
             WHERE d.met_at IS NULL AND d.cancelled_at IS NULL AND d.due_at < %(now)s
            """,  # noqa: S608 - table names from model metadata
            {"now": now, "escalated": OverdueFlag.Level.ESCALATED, "overdue": OverdueFlag.Level.OVERDUE},
        )
        return cursor.rowcount


def timed(kind, now, explain=False):
    """One run; (result, seconds, captured queries, plans)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from deadlines import services

    call = (lambda: services.raise_overdue_flags(now)) if kind == "job" else (lambda: bare_insert(now))
    wrapper = ExplainEverything() if explain else None
    with CaptureQueriesContext(connection) as captured:
        if wrapper:
            with connection.execute_wrapper(wrapper):
                started = time.perf_counter()
                result = call()
                elapsed = time.perf_counter() - started
        else:
            started = time.perf_counter()
            result = call()
            elapsed = time.perf_counter() - started
    return result, elapsed, list(captured.captured_queries), wrapper.plans if wrapper else None


def is_statement(sql):
    """Django 5.2 also logs BEGIN and COMMIT among the captured queries."""
    return sql.strip().upper() not in {"BEGIN", "COMMIT", "ROLLBACK"}


def short(sql, width=110):
    text = " ".join(sql.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def statement_table(queries):
    return "\n".join(
        f"  {number:2}. {float(query['time']) * 1000:9.1f} ms  {short(query['sql'])}"
        for number, query in enumerate(queries, 1)
    )


def load_average():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def run_once(kind, dbname, explain):
    from django.utils import timezone

    load_before = load_average()
    result, elapsed, queries, plans = timed(kind, timezone.now(), explain=explain)
    label = f"{kind}{' (under EXPLAIN ANALYZE)' if explain else ''}"
    print(f"RESULT {label} {dbname}: {elapsed:.3f} s in the process; {result}; load average {load_before}")
    print(statement_table(queries))
    if plans:
        print("\nPlans (EXPLAIN (ANALYZE, BUFFERS, WAL), constraints IMMEDIATE):")
        for sql, seconds, plan in plans:
            print(f"\n-- {seconds:.3f} s: {short(sql, 200)}\n{plan}")


def prepared_facts():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT referrals, escalated, stale, watermark FROM bench_prepared")
        return cursor.fetchone()


def counts(kind):
    from django.db import connection

    from deadlines.models import Notification, OverdueFlag

    n, escalated, stale, _ = prepared_facts()
    with connection.cursor() as cursor:
        cursor.execute(  # the table name comes from model metadata
            "SELECT count(*), count(*) FILTER (WHERE level = 2), count(*) FILTER (WHERE resolved_at IS NOT NULL),"  # noqa: S608
            f" count(DISTINCT deadline_id) FROM {q(OverdueFlag._meta.db_table)}"
        )
        flags, level2, resolved, deadlines = cursor.fetchone()
    found = {"flags": flags, "flagged deadlines": deadlines, "level 2": level2, "resolved": resolved,
             "notifications": Notification.objects.count()}
    expected = {"flags": n + stale, "flagged deadlines": n + stale, "level 2": escalated,
                "resolved": stale if kind == "job" else 0,
                "notifications": 2 * (KEY_WORKERS + TEAMS) * 2 if kind == "job" else 0}
    return found, expected


def verify(parts, name):
    admin = admin_connection(parts)
    with admin.cursor() as cursor:
        taken = [(tag, d) for tag in ("job", "bare") for _, d in databases_like(cursor, name, tag)]
    admin.close()
    from django.db import connections

    bad = 0
    for tag, dbname in taken:
        connections["default"].close()
        connections["default"].settings_dict["NAME"] = dbname
        found, expected = counts(tag)
        ok = found == expected
        bad += not ok
        print(f"{dbname}: {'as expected' if ok else 'DIFFERENT, expected ' + str(expected)}: {found}")
    connections["default"].close()
    if bad:
        sys.exit(1)


def explain_statements(statements):
    """EXPLAIN (ANALYZE, BUFFERS) the given statements, then roll back."""
    from django.db import connection, transaction

    plans = []
    with transaction.atomic(), connection.cursor() as cursor:
        for sql, params in statements:
            if not is_statement(sql) or sql.lstrip().upper().startswith(("SELECT", "SET", "ANALYZE")):
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            plans.append((sql, "\n".join(r[0] for r in cursor.fetchall())))
        transaction.set_rollback(True)
    return plans


class KeepParams:
    """execute_wrapper: keeps (sql, params) of each statement, to EXPLAIN them afterwards."""

    def __init__(self):
        self.statements = []

    def __call__(self, execute, sql, params, many, context):
        self.statements.append((sql, params))
        return execute(sql, params, many, context)


def no_op(parts, name, k):
    from django.db import connection
    from django.utils import timezone

    from deadlines.models import Deadline, Notification, OverdueFlag

    admin = admin_connection(parts)
    with admin.cursor() as cursor:
        jobs = databases_like(cursor, name, "job")
    admin.close()
    if not jobs:
        sys.exit("No copy has had a job run yet: --run job first.")
    dbname = jobs[-1][1]
    connection.settings_dict["NAME"] = dbname
    before = counts("job")[0]

    def runs():
        """K runs, then the last one's statements EXPLAINed (before anything else changes the tables)."""
        times, results, queries, kept = [], [], None, None
        for _ in range(k):
            kept = KeepParams()
            with connection.execute_wrapper(kept):
                result, elapsed, queries, _ = timed("job", timezone.now())
            times.append(elapsed)
            results.append(result)
        return times, results, queries, explain_statements(kept.statements)

    right_after = runs()
    started = time.perf_counter()
    tables = ", ".join(q(m._meta.db_table) for m in (Deadline, OverdueFlag, Notification))
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {tables}")
    vacuum_time = time.perf_counter() - started
    after_vacuum = runs()
    after = counts("job")[0]
    changed = [r for r in right_after[1] + after_vacuum[1] if r.flagged or r.escalated or r.resolved
               or r.notifications]
    print(f"No-op runs on {dbname} (after its job run); load average {load_average()}")
    if changed or after != before:
        print(f"!! the no-op runs changed something: {changed} {before} -> {after}")
    for label, (times, _, queries, plans) in (("right after the job run", right_after),
                                                  (f"after VACUUM (ANALYZE) ({vacuum_time:.1f} s)", after_vacuum)):
        print(f"\n{label}: median of {k} = {statistics.median(times) * 1000:.2f} ms; all: "
              + ", ".join(f"{t * 1000:.2f}" for t in times) + " ms")
        print(f"statements of the last run ({sum(is_statement(x['sql']) for x in queries)} + BEGIN/COMMIT):")
        print(statement_table(queries))
        print("plans (EXPLAIN (ANALYZE, BUFFERS), rolled back):")
        for sql, plan in plans:
            print(f"\n-- {short(sql, 200)}\n{plan}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    steps = parser.add_mutually_exclusive_group(required=True)
    steps.add_argument("--prepare", action="store_true", help="build the prepared database (WIPES it)")
    steps.add_argument("--copies", type=int, metavar="K", help="drop its previous copies, make K fresh ones")
    steps.add_argument("--run", choices=RUN_KINDS, help="job or bare: one run on the next copy; noop: see above")
    steps.add_argument("--verify", action="store_true", help="check the counts of every copy that was run")
    parser.add_argument("--referrals", type=int, default=100_000, help="with --prepare: N (default 100000)")
    parser.add_argument("--seed", type=int, default=2026, help="with --prepare: the data's seed (default 2026)")
    parser.add_argument("--no-watermark", action="store_true",
                        help="with --prepare: no watermark, so the run is the job's first run ever")
    parser.add_argument("--explain", action="store_true", help="with --run job/bare: EXPLAIN every statement")
    parser.add_argument("--noop-runs", type=int, default=11, help="with --run noop: runs (default 11)")
    args = parser.parse_args()

    parts, name = database_url()
    if args.copies:
        make_copies(parts, name, args.copies)
        return
    if args.run in ("job", "bare"):
        dbname = claim_copy(parts, name, "explain" if args.explain else args.run)
        setup_django()
        run_once(args.run, dbname, args.explain)
        return
    setup_django()
    if args.prepare:
        prepare(args, parts, name)
    elif args.verify:
        verify(parts, name)
    else:
        no_op(parts, name, args.noop_runs)


if __name__ == "__main__":
    main()
