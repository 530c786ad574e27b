"""Benchmark of the overdue job, deadlines.services.raise_overdue_flags, on N open referrals.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pace_cases_bench \
        .venv/bin/python bench/overdue_job.py [--referrals N] [--noop-runs K] [--explain-first]

It WIPES the families, referrals and deadlines tables of the database it is given, so it refuses
to run unless the database is PostgreSQL and its name contains "bench" (the database is created
if it does not exist yet). Then:

1. migrate; TRUNCATE … CASCADE the families/referrals/deadlines tables (reference data loaded by
   migrations is kept); remove the previous run's staff users;
2. create a few teams with a manager each and ~200 key workers (ORM), then load with COPY, from
   in-memory buffers generated in chunks: N families, N open referrals (Birmingham, E08000025)
   and N open "referral:decision" deadlines, all already due, ~10% already past escalation;
   ANALYZE and CHECKPOINT, so the timed runs do not pay for the load's WAL;
3. time raise_overdue_flags(now) with time.perf_counter: once with nothing flagged yet, then
   K times with nothing new right after (median reported), then VACUUM (ANALYZE) the deadlines
   tables (what autovacuum would do) and K times again; the SQL statements and each one's time are
   captured with CaptureQueriesContext;
4. print a result table and the EXPLAIN (ANALYZE, BUFFERS) plans of the no-op runs' statements
   (run in a transaction that is rolled back).

--explain-first runs the first (full) run with every statement under EXPLAIN (ANALYZE, BUFFERS, WAL),
after SET CONSTRAINTS ALL IMMEDIATE so each statement's foreign-key checks show in its plan, and
prints the plans; its total time then includes EXPLAIN's instrumentation overhead.

Nothing is written anywhere but the database: Celery's filesystem broker (the job queues the
sending task on commit) points at a temporary folder unless PACE_DATA_DIR is set, and REDIS_URL
is ignored so no real broker receives the task.
"""

import argparse
import io
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pace_cases.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.pop("REDIS_URL", None)
_scratch = None
if "PACE_DATA_DIR" not in os.environ:
    _scratch = tempfile.TemporaryDirectory(prefix="pace-bench-")
    os.environ["PACE_DATA_DIR"] = _scratch.name

import django  # noqa: E402

django.setup()

import psycopg2  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

BIRMINGHAM = "E08000025"
TEAMS = 5
KEY_WORKERS = 200
CHUNK = 100_000
ESCALATED_SHARE = 0.10
EMAIL_DOMAIN = "bench.pace.invalid"


# ------------------------------------------------------------------ safety and setup


def refuse_unless_bench_database():
    db = settings.DATABASES["default"]
    if connection.vendor != "postgresql":
        sys.exit(f"Refusing to run: the database is {connection.vendor}, not PostgreSQL.")
    if "bench" not in (db.get("NAME") or ""):
        sys.exit(f"Refusing to run: database {db.get('NAME')!r} has no 'bench' in its name, and this wipes data.")


def create_database_if_missing():
    db = settings.DATABASES["default"]
    params = {
        "dbname": "postgres",
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
        "host": db.get("HOST") or None,
        "port": db.get("PORT") or None,
    }
    admin = psycopg2.connect(**{k: v for k, v in params.items() if v is not None})
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]])
            if cursor.fetchone() is None:
                print(f"Creating database {db['NAME']}")
                cursor.execute(f'CREATE DATABASE "{db["NAME"]}"')
    finally:
        admin.close()


def wipe():
    from deadlines.models import Deadline, Notification, OverdueFlag, OverdueWatermark
    from families.models import Family, Membership, Team
    from referrals.models import Referral
    from staff.models import User

    tables = ", ".join(
        connection.ops.quote_name(model._meta.db_table)
        for model in (Notification, OverdueFlag, OverdueWatermark, Deadline, Referral, Membership, Family, Team)
    )
    with connection.cursor() as cursor:
        # CASCADE also empties everything hanging off families (people, contacts, milestones…).
        # Reference data (local authorities, districts, choices, threshold rules) is kept.
        cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    User.objects.filter(email__endswith="@" + EMAIL_DOMAIN).delete()


# ------------------------------------------------------------------ loading


def copy_rows(cursor, table, columns, rows):
    buffer = io.StringIO()
    buffer.writelines(rows)
    buffer.seek(0)
    cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)


def check_columns(model, columns):
    actual = [f.column for f in model._meta.concrete_fields]
    if sorted(actual) != sorted(columns):
        sys.exit(f"{model._meta.db_table} has columns {actual}; this script writes {columns}. Update it.")


def load(n, seed):
    from deadlines.models import Deadline
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
    span = 60 * 24 * 40  # minutes either side
    pool = [(load_now + timedelta(minutes=m)).isoformat(sep=" ") for m in range(-span, span + 1)]

    def at(minutes):  # minutes relative to load_now
        return pool[span + minutes]

    family_cols = ["id", "reference", "team_id", "key_worker_id", "address", "postcode", "local_authority_id",
                   "status", "closure_reason", "closed_on", "source", "preferred_channel", "safe_contact_times",
                   "voicemail_ok", "texts_ok", "contact_notes", "created_at", "updated_at", "version"]
    referral_cols = ["id", "family_id", "local_authority_id", "referred_by", "decision", "previous_referral_id",
                     "summary", "csc_reference", "nrm_status", "channel_status", "status", "next_milestone",
                     "next_due_at", "created_by_id", "created_at", "version"]
    deadline_cols = ["id", "family_id", "subject_type_id", "subject_id", "kind", "label", "allowance", "nation",
                     "started_at", "due_at", "escalate_at", "met_at", "cancelled_at", "created_at"]
    check_columns(Family, family_cols)
    check_columns(Referral, referral_cols)
    check_columns(Deadline, deadline_cols)
    q = connection.ops.quote_name
    family_table, referral_table, deadline_table = (
        q(m._meta.db_table) for m in (Family, Referral, Deadline)
    )

    day = 60 * 24
    escalated = 0
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg2's own cursor, for copy_expert
        for start in range(1, n + 1, CHUNK):
            families, referrals, deadlines = [], [], []
            for i in range(start, min(start + CHUNK, n + 1)):
                w = i % KEY_WORKERS
                worker, team = worker_ids[w], worker_team[w]
                if rng.random() < ESCALATED_SHARE:
                    # Referral made 3 to 30 days ago: decision due a day later, very late a day after that.
                    started = -rng.randrange(3 * day, 30 * day)
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
                    f"{created}\t{created}\t1\n"
                )
                referrals.append(
                    f"{i}\t{i}\t{authority.id}\tparent\t\t\\N\t\t\t\t\topen\tdecision\t{at(due)}\t{worker}\t"
                    f"{created}\t1\n"
                )
                deadlines.append(
                    f"{i}\t{i}\t{referral_type}\t{i}\treferral:decision\tDecision on the referral\t1 working day\t"
                    f"england\t{created}\t{at(due)}\t{at(escalate)}\t\\N\t\\N\t{created}\n"
                )
            copy_rows(raw, family_table, family_cols, families)
            copy_rows(raw, referral_table, referral_cols, referrals)
            copy_rows(raw, deadline_table, deadline_cols, deadlines)
        for model in (Family, Referral, Deadline):
            table = model._meta.db_table
            cursor.execute(  # the table name comes from model metadata
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), GREATEST((SELECT max(id) FROM {q(table)}), 1))",  # noqa: S608
                [table],
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("CHECKPOINT")
    return escalated, load_now


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
        if sql.lstrip().upper().startswith("SELECT"):
            return execute(sql, params, many, context)  # reads the job needs the rows of (watermark, a count)
        if not self.plans:
            raw.execute("SET CONSTRAINTS ALL IMMEDIATE")
        result = execute("EXPLAIN (ANALYZE, BUFFERS, WAL) " + sql, params, many, context)
        self.plans.append((sql, "\n".join(r[0] for r in raw.fetchall())))
        return result


def timed_run(now, explain=False):
    from deadlines import services

    wrapper = ExplainEverything() if explain else None
    with CaptureQueriesContext(connection) as captured:
        if wrapper:
            with connection.execute_wrapper(wrapper):
                started = time.perf_counter()
                run = services.raise_overdue_flags(now)
                elapsed = time.perf_counter() - started
        else:
            started = time.perf_counter()
            run = services.raise_overdue_flags(now)
            elapsed = time.perf_counter() - started
    return run, elapsed, list(captured.captured_queries), wrapper.plans if wrapper else None


def no_op_runs(k):
    times, runs, queries = [], [], None
    for _ in range(k):
        run, elapsed, queries, _ = timed_run(timezone.now())
        times.append(elapsed)
        runs.append(run)
    return times, runs, queries


def explain_no_op(statements):
    """EXPLAIN (ANALYZE, BUFFERS) the no-op run's statements, then roll back."""
    plans = []
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in statements:
            if not is_statement(sql):
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plans.append((sql, "\n".join(r[0] for r in cursor.fetchall())))
        transaction.set_rollback(True)
    return plans


def counts():
    from deadlines.models import Deadline, Notification, OverdueFlag

    return {
        "deadlines flagged": Deadline.objects.filter(flag__isnull=False).count(),
        "flags": OverdueFlag.objects.count(),
        "flags escalated": OverdueFlag.objects.filter(level=OverdueFlag.Level.ESCALATED).count(),
        "notifications": Notification.objects.count(),
    }


def wal_position():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn(), checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter")
        return cursor.fetchone()


def wal_since(position):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s), checkpoints_timed + checkpoints_req - %s "
            "FROM pg_stat_bgwriter",
            list(position),
        )
        written, checkpoints = cursor.fetchone()
    return f"{int(written) / 2**20:,.0f} MiB WAL, {checkpoints} checkpoint(s) started"


def vacuum_analyze():
    """What autovacuum would do soon after a run that changed a million rows (it is off on some servers)."""
    from deadlines.models import Deadline, Notification, OverdueFlag

    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in (Deadline, OverdueFlag, Notification))
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {tables}")


def is_statement(sql):
    """Django 5.2 also logs BEGIN and COMMIT among the captured queries."""
    return sql.strip().upper() not in {"BEGIN", "COMMIT", "ROLLBACK"}


def short(sql, width=110):
    text = " ".join(sql.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def statement_table(queries):
    lines = []
    for number, query in enumerate(queries, 1):
        lines.append(f"  {number}. {float(query['time']):8.3f} s  {short(query['sql'])}")
    return "\n".join(lines)


def server_facts():
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
        values = []
        for name in ("shared_buffers", "work_mem", "max_wal_size", "synchronous_commit", "autovacuum", "jit"):
            cursor.execute(f"SHOW {name}")
            values.append(f"{name}={cursor.fetchone()[0]}")
    return version, ", ".join(values)


def load_average():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--referrals", type=int, default=100_000, help="open referrals to load (default 100000)")
    parser.add_argument("--noop-runs", type=int, default=7, help="runs with nothing new to flag (default 7)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-watermark", action="store_true",
                        help="time the job's first run ever (no watermark: every open deadline is looked at, "
                             "with ON CONFLICT); by default the watermark is set before any loaded deadline "
                             "fell due, as if the job had run then: the timed run flags N newly due deadlines")
    parser.add_argument("--explain-first", action="store_true",
                        help="run the first run's statements under EXPLAIN (ANALYZE, BUFFERS, WAL) and print the plans")
    args = parser.parse_args()
    n = args.referrals

    refuse_unless_bench_database()
    create_database_if_missing()
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    migrate_time = time.perf_counter() - started

    started = time.perf_counter()
    wipe()
    wipe_time = time.perf_counter() - started
    print(f"Loading {n:,} open referrals…", flush=True)
    started = time.perf_counter()
    escalated_expected, load_now = load(n, args.seed)
    load_time = time.perf_counter() - started
    if not args.no_watermark:
        from deadlines.models import OverdueWatermark

        OverdueWatermark.objects.create(pk=1, checked_until=load_now - timedelta(days=31))
    print(f"Loaded in {load_time:.1f} s (COPY, ANALYZE, CHECKPOINT)", flush=True)

    # 1. Everything is due and nothing flagged yet.
    load_before = load_average()
    wal_before = wal_position()
    first, first_time, first_queries, first_plans = timed_run(timezone.now(), explain=args.explain_first)
    first_wal = wal_since(wal_before)
    load_after = load_average()
    after_first = counts()
    # One digest per person, event and channel: every key worker and manager has raised flags,
    # and (for N >= a few thousand) escalated ones.
    people = KEY_WORKERS + TEAMS
    expected = {
        "deadlines flagged": n,
        "flags": n,
        "flags escalated": escalated_expected,
        "notifications": 2 * people * 2,
    }
    if after_first != expected:
        print(f"!! counts after the first run {after_first} differ from the expected {expected}")

    # 2. Nothing new, immediately after (each run a moment later): the tables hold the first run's
    # dead row versions and the statistics are those of before it.
    noop_times, noop_runs, noop_queries = no_op_runs(args.noop_runs)
    noop_plans = explain_no_op([q["sql"] for q in noop_queries])
    # 3. Nothing new, once VACUUM ANALYZE has run (autovacuum's job).
    started = time.perf_counter()
    vacuum_analyze()
    vacuum_time = time.perf_counter() - started
    steady_times, steady_runs, steady_queries = no_op_runs(args.noop_runs)
    steady_plans = explain_no_op([q["sql"] for q in steady_queries])
    after_noop = counts()
    if after_noop != after_first or any(r.flagged or r.escalated or r.notifications for r in noop_runs + steady_runs):
        print(f"!! the no-op runs changed something: {noop_runs + steady_runs} {after_noop}")

    version, server_settings = server_facts()
    median = statistics.median(noop_times)
    steady = statistics.median(steady_times)
    first_statements = [q for q in first_queries if is_statement(q["sql"])]
    first_commit = sum(float(q["time"]) for q in first_queries if q["sql"].strip().upper() == "COMMIT")
    first_sql_total = sum(float(q["time"]) for q in first_statements)
    noop_statements = [q for q in noop_queries if is_statement(q["sql"])]
    rows = [
        ("PostgreSQL", version),
        ("server settings", server_settings),
        ("open referrals (N)", f"{n:,}"),
        ("of which past escalation", f"{escalated_expected:,}"),
        ("migrate", f"{migrate_time:.2f} s"),
        ("truncate", f"{wipe_time:.2f} s"),
        ("load (COPY + ANALYZE + CHECKPOINT)", f"{load_time:.1f} s"),
        ("first run" + (" (under EXPLAIN ANALYZE)" if args.explain_first else "")
         + (" (no watermark: first run ever)" if args.no_watermark else " (watermark before the due dates)"),
         f"{first_time:.3f} s"),
        ("  SQL statements", f"{len(first_statements)} + BEGIN/COMMIT; statements {first_sql_total:.3f} s, "
                             f"COMMIT {first_commit:.3f} s, rest {first_time - first_sql_total - first_commit:.3f} s"),
        ("  returned", f"flagged={first.flagged:,} escalated={first.escalated:,} "
                       f"notifications={first.notifications:,}"),
        ("  in the tables", ", ".join(f"{k}={v:,}" for k, v in after_first.items())),
        ("  WAL", first_wal),
        ("  load average before, after", f"{load_before} / {load_after}"),
        (f"no-op run right after, median of {len(noop_times)}", f"{median * 1000:.1f} ms"),
        ("  all runs", ", ".join(f"{t * 1000:.1f}" for t in noop_times) + " ms"),
        ("  SQL statements", f"{len(noop_statements)} + BEGIN/COMMIT"),
        ("VACUUM (ANALYZE) of the deadlines tables", f"{vacuum_time:.1f} s (not part of the job)"),
        (f"no-op run after it, median of {len(steady_times)}", f"{steady * 1000:.1f} ms"),
        ("  all runs", ", ".join(f"{t * 1000:.1f}" for t in steady_times) + " ms"),
        ("target: first run < 10 s (set for N = 1,000,000)", "met" if first_time < 10 else "MISSED"),
        ("target: no-op run < 100 ms (right after)", "met" if median < 0.1 else "MISSED"),
        ("target: no-op run < 100 ms (after VACUUM)", "met" if steady < 0.1 else "MISSED"),
    ]
    width = max(len(label) for label, _ in rows)
    print()
    print("raise_overdue_flags benchmark")
    print("=" * 30)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    print("\nFirst run, per statement (Django's timing of cursor.execute; COMMIT runs the deferred FK checks):")
    print(statement_table(first_queries))
    print("\nLast no-op run right after, per statement:")
    print(statement_table(noop_queries))
    print("\nLast no-op run after VACUUM (ANALYZE), per statement:")
    print(statement_table(steady_queries))
    if first_plans:
        print("\nFirst run's plans (EXPLAIN (ANALYZE, BUFFERS, WAL), constraints IMMEDIATE):")
        for sql, plan in first_plans:
            print(f"\n-- {short(sql, 200)}\n{plan}")
    print("\nNo-op run's plans right after the first run (EXPLAIN (ANALYZE, BUFFERS); rolled back):")
    for sql, plan in noop_plans:
        print(f"\n-- {short(sql, 200)}\n{plan}")
    print("\nNo-op run's plans after VACUUM (ANALYZE) (rolled back):")
    for sql, plan in steady_plans:
        print(f"\n-- {short(sql, 200)}\n{plan}")


if __name__ == "__main__":
    main()
