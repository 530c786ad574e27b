"""Benchmark of the retention run over N closed families: its dry run,
data_protection.retention.dry_run, and the anonymisation, data_protection.anonymise.run_retention.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/pace_cases_bench_retention
    .venv/bin/python bench/retention.py --prepare --families 100000   # build the data (WIPES the families)
    .venv/bin/python bench/retention.py --run                         # time dry_run (median of --runs)
    .venv/bin/python bench/retention.py --run --explain               # and EXPLAIN (ANALYZE, BUFFERS) each query
    .venv/bin/python bench/retention.py --anonymise --runs 3          # time run_retention, each on a fresh copy

The database named by DATABASE_URL must be PostgreSQL and have "bench" in its name: --prepare WIPES
it (created if missing). It migrates; TRUNCATE … CASCADE the families and everything hanging off
them; creates a team, one worker and one administrator (ORM); loads with COPY N closed families,
each with a carer, one or two children (about 3 % of families with a child whose date of birth is
unknown), and zero to three calls, and legal holds in force on 1 % of them; 70 % of the families
with a closed referral and its four milestones, 20 % with a safety plan (two worries, two steps,
one version); then VACUUM (ANALYZE). Dates are drawn so that about a third of the families are due
today under the default rule ("6 years after the family's last contact, or until the youngest
child's 25th birthday, whichever is later").

--run: dry_run() --runs times (default 5) in this process, timed with time.perf_counter around the
call; prints the median, every run, the figures, and the statements of the last run. Nothing is
written by a run.

--anonymise: --runs times (default 1), each on a fresh copy of the prepared database (CREATE
DATABASE … TEMPLATE, dropped afterwards; not timed): works out today's run and approves it as the
administrator (services.retention_run_work_out and retention_run_approve, the task it would queue
not started; not timed), then times run_retention(run) with time.perf_counter around the call.
Prints every run's time (and the median, min and max), the families anonymised, and the
statements grouped by their first words (how many, total ms); --explain also prints EXPLAIN
(ANALYZE, BUFFERS) of the slowest statement of one batch, on a fresh copy, rolled back. The
prepared database itself is never anonymised.
"""

import argparse
import io
import os
import random
import re
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from overdue_job import (  # noqa: E402 - the sibling script, found through the path set just above
    admin_connection,
    check_columns,
    create_database_if_missing,
    database_url,
    is_statement,
    load_average,
    q,
    setup_django,
    short,
    statement_table,
)

CHUNK = 50_000
EMAIL_DOMAIN = "bench.pace.invalid"
HELD_SHARE = 0.01
REFERRAL_SHARE = 0.70
PLAN_SHARE = 0.20
MILESTONES = ("concern_raised", "referral_made", "acknowledged", "decision")
ADMINISTRATOR_EMAIL = f"retention-admin@{EMAIL_DOMAIN}"
UNDATED_CHILD_SHARE = 0.03


def wipe():
    from django.db import connection

    from families.models import Family, Team
    from staff.models import User

    with connection.cursor() as cursor:
        # CASCADE empties everything hanging off families (people, calls, holds, referrals…) and
        # teams (memberships). Reference data is kept.
        cursor.execute(f"TRUNCATE {q(Family._meta.db_table)}, {q(Team._meta.db_table)} RESTART IDENTITY CASCADE")
    User.objects.filter(email__endswith="@" + EMAIL_DOMAIN).delete()


def copy_rows(cursor, table, columns, rows):
    buffer = io.StringIO()
    buffer.writelines(rows)
    buffer.seek(0)
    cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)


def load(n, seed):
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone

    from data_protection.models import LegalHold
    from families.models import Contact, Family, LocalAuthority, Membership, Person, Role, Team
    from referrals.models import MilestoneRecord, Referral
    from safety_plans.models import PlanStep, PlanVersion, SafetyPlan, Worry
    from staff.models import User

    rng = random.Random(seed)  # noqa: S311 - made-up benchmark data, reproducible
    # The referrals and plans draw from their own generator, so the families' dates (and so the dry
    # run's figures) are the same as before they were added.
    records_rng = random.Random(seed + 1)  # noqa: S311
    authority = LocalAuthority.objects.order_by("pk").first()
    if authority is None:
        sys.exit("No local authority: did the migrations load the reference data?")
    team = Team.objects.create(name="Bench retention team", kind=Team.Kind.PARENT_LIAISON, local_authority=authority)
    worker = User.objects.create(email=f"retention@{EMAIL_DOMAIN}", full_name="Bench worker",
                                 password=make_password(None))
    administrator = User.objects.create(email=ADMINISTRATOR_EMAIL, full_name="Bench administrator",
                                        password=make_password(None))
    Membership.objects.create(user=administrator, team=team, role=Role.ADMINISTRATOR)
    columns = {
        Family: ["id", "reference", "team_id", "key_worker_id", "address", "postcode", "postcode_key",
                 "local_authority_id", "status", "closure_reason", "closed_on", "source", "preferred_channel",
                 "safe_contact_times", "voicemail_ok", "texts_ok", "contact_notes", "created_at", "updated_at",
                 "anonymised_at", "version"],
        Person: ["id", "family_id", "kind", "first_name", "last_name", "pronouns", "phone", "phone_digits",
                 "first_name_key", "last_name_key", "full_name_key", "email", "date_of_birth", "school",
                 "additional_needs", "risk_level", "looked_after", "placed_out_of_area", "created_at", "version"],
        Contact: ["id", "family_id", "occurred_at", "duration_minutes", "channel", "spoke_with_id", "worker_id",
                  "summary", "handle_with_care", "created_at", "version", "struck_at", "struck_by_id",
                  "struck_reason"],
        LegalHold: ["id", "family_id", "reason", "details", "review_on", "placed_by_id", "placed_at",
                    "lifted_by_id", "lifted_at", "lift_reason"],
        Referral: ["id", "family_id", "local_authority_id", "referred_by", "decision", "previous_referral_id",
                   "summary", "csc_reference", "nrm_status", "channel_status", "status", "next_milestone",
                   "next_due_at", "created_by_id", "created_at", "version"],
        MilestoneRecord: ["id", "referral_id", "milestone", "occurred_at", "note", "recorded_by_id", "recorded_at"],
        SafetyPlan: ["id", "child_id", "family_id", "what_is_working_well", "protective_people_and_places",
                     "peer_groups", "places_and_times", "online_platforms", "school", "warning_signs",
                     "parent_words", "child_words", "emergency_contacts", "police_references", "review_on",
                     "agreed_by", "agreed_on", "internal_notes", "created_by_id", "created_at", "updated_at",
                     "version"],
        Worry: ["id", "position", "plan_id", "who_is_worried", "worry", "what_could_happen", "safety_goal"],
        PlanStep: ["id", "position", "plan_id", "if_this_happens", "then_we_do", "when_missing"],
        PlanVersion: ["id", "plan_id", "number", "content", "what_changed", "saved_by_id", "saved_at",
                      "restored_from"],
    }
    for model, model_columns in columns.items():
        check_columns(model, model_columns)

    today = timezone.localdate()
    first_day = date(2008, 1, 1)
    span = (today - first_day).days

    def stamp(day):
        return datetime(day.year, day.month, day.day, 12, tzinfo=UTC).isoformat(sep=" ")

    last_id = dict.fromkeys(columns, 0)

    def next_id(model):
        last_id[model] += 1
        return last_id[model]

    review_on = (today + timedelta(days=180)).isoformat()
    plan_words = "\t".join(["Words."] * 10)
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor
        for start in range(1, n + 1, CHUNK):
            rows = {model: [] for model in columns}
            for i in range(start, min(start + CHUNK, n + 1)):
                created = first_day + timedelta(days=rng.randrange(span - 400))
                closed = created + timedelta(days=rng.randrange(30, min(3 * 365, (today - created).days)))
                rows[Family].append(
                    f"{i}\tF-{i:06d}\t{team.id}\t\\N\t1 Road\tZZ1 1ZZ\tZZ11ZZ\t{authority.id}\tclosed\t"
                    f"support_complete\t{closed.isoformat()}\tself\tphone\tEvenings\tf\tf\tWorks nights\t"
                    f"{stamp(created)}\t{stamp(closed)}\t\\N\t1\n"
                )
                rows[Person].append(f"{next_id(Person)}\t{i}\tcarer\tA\tB\t\t07700 900000\t07700900000\ta\tb\t"
                                    f"ab\t\t\\N\t\t\t\tf\tf\t{stamp(created)}\t1\n")
                first_child = None
                for child in range(rng.choice([1, 1, 2])):
                    first_child = first_child or last_id[Person] + 1
                    undated = child == 0 and rng.random() < UNDATED_CHILD_SHARE
                    # Born 8 to 17 years before the family was added: the 25th birthday falls between
                    # about 2015 and 2042, so roughly half of the families are due today.
                    age = timedelta(days=rng.randrange(8 * 365, 17 * 365))
                    born = "\\N" if undated else (created - age).isoformat()
                    rows[Person].append(f"{next_id(Person)}\t{i}\tchild\tC\tB\t\t\t\tc\tb\tcb\t\t{born}\t"
                                        f"Hill School\t\tmedium\tf\tf\t{stamp(created)}\t1\n")
                for _ in range(rng.randrange(4)):
                    on = created + timedelta(days=rng.randrange((closed - created).days + 1))
                    rows[Contact].append(f"{next_id(Contact)}\t{i}\t{stamp(on)}\t20\tphone\t\\N\t{worker.id}\t"
                                         f"A call.\tf\t{stamp(on)}\t1\t\\N\t\\N\t\n")
                if rng.random() < HELD_SHARE:
                    rows[LegalHold].append(f"{next_id(LegalHold)}\t{i}\tprosecution\tTrial listed\t{review_on}\t"
                                           f"{worker.id}\t{stamp(today)}\t\\N\t\\N\t\n")
                if records_rng.random() < REFERRAL_SHARE:
                    referral = next_id(Referral)
                    rows[Referral].append(f"{referral}\t{i}\t{authority.id}\tparent\tnfa\t\\N\tA summary.\t"
                                          f"CSC-{i}\t\t\tclosed\t\t\\N\t{worker.id}\t{stamp(created)}\t1\n")
                    for day, milestone in enumerate(MILESTONES):
                        on = stamp(created + timedelta(days=day))
                        rows[MilestoneRecord].append(f"{next_id(MilestoneRecord)}\t{referral}\t{milestone}\t{on}\t"
                                                     f"A note.\t{worker.id}\t{on}\n")
                if records_rng.random() < PLAN_SHARE:
                    plan = next_id(SafetyPlan)
                    rows[SafetyPlan].append(f"{plan}\t{first_child}\t{i}\t{plan_words}\t\t\\N\t\t\\N\t\t"
                                            f"{worker.id}\t{stamp(created)}\t{stamp(created)}\t1\n")
                    for position in range(2):
                        rows[Worry].append(f"{next_id(Worry)}\t{position}\t{plan}\tMum\tA worry.\tHarm.\tSafe.\n")
                        rows[PlanStep].append(f"{next_id(PlanStep)}\t{position}\t{plan}\tMissing\tRing.\tf\n")
                    rows[PlanVersion].append(f"{next_id(PlanVersion)}\t{plan}\t1\t{{\"worries\": [\"A worry.\"]}}\t"
                                             f"First version\t{worker.id}\t{stamp(created)}\t\\N\n")
            for model, model_rows in rows.items():
                copy_rows(raw, q(model._meta.db_table), columns[model], model_rows)
            print(f"loaded families up to {i:,}", flush=True)
        last_id[Family] = n
        for model, last in last_id.items():
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{q(model._meta.db_table)}', 'id'), %s)",
                           [max(last, 1)])
    return {model._meta.verbose_name_plural: last for model, last in last_id.items()}


def prepare(args, parts, name):
    from django.core.management import call_command
    from django.db import connection

    create_database_if_missing(parts, name)
    call_command("migrate", verbosity=0)
    wipe()
    started = time.perf_counter()
    loaded = load(args.families, args.seed)
    print(f"COPY: {', '.join(f'{count:,} {name}' for name, count in loaded.items())} "
          f"in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    print(f"VACUUM (ANALYZE): {time.perf_counter() - started:.1f} s")


def run(args):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from data_protection.retention import dry_run

    load_before = load_average()
    times, result = [], None
    for _ in range(args.runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            result = dry_run()
            times.append(time.perf_counter() - started)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM families_family WHERE status = 'closed'")
        closed = cursor.fetchone()[0]
    print(f"RESULT dry_run over {closed:,} closed families: median {statistics.median(times):.3f} s of {args.runs} "
          f"({', '.join(f'{t:.3f}' for t in times)}); load average {load_before}")
    print(f"  due {result.families:,}, kept by a hold {result.held:,}, retention dates "
          f"{result.oldest_retention_on} to {result.newest_retention_on}; records: "
          + ", ".join(f"{kind.label} {kind.records}" for kind in result.record_kinds))
    queries = [query for query in captured.captured_queries if is_statement(query["sql"])]
    print(f"statements of the last run ({len(queries)}):")
    print(statement_table(queries))
    if args.explain:
        with connection.cursor() as cursor:
            for query in queries:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
                print(f"\n-- {short(query['sql'], 200)}\n" + "\n".join(row[0] for row in cursor.fetchall()))


class StatementTally:
    """execute_wrapper: how many statements of each kind ran and their total time, and the slowest
    single statement of each kind with its parameters (to EXPLAIN it). Kept as counts, not a list:
    the run before batching sent millions of statements."""

    def __init__(self):
        self.kinds = {}

    @staticmethod
    def kind_of(sql):
        words = " ".join(sql.split())
        match = re.match(r'(UPDATE|INSERT INTO|DELETE FROM) "(\w+)"', words)
        if match:
            return f"{match.group(1)} {match.group(2)}"
        if words.upper().startswith("SELECT"):
            table = re.search(r'FROM "(\w+)"', words)
            locking = " FOR UPDATE" if words.upper().endswith("FOR UPDATE") else ""
            return f"SELECT {table.group(1) if table else '…'}{locking}"
        return " ".join(words.split()[:1]).upper()

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            took = time.perf_counter() - started
            kind = self.kinds.setdefault(self.kind_of(sql), {"count": 0, "seconds": 0.0, "slowest": (0.0, None, None)})
            kind["count"] += 1
            kind["seconds"] += took
            if took > kind["slowest"][0]:
                kind["slowest"] = (took, sql, params)


def fresh_copy(parts, name):
    """A copy of the prepared database, for one anonymising run; Django is pointed at it."""
    from django.db import connections

    connections["default"].close()
    copy = f"{name}_anonymise_{os.getpid()}"
    admin = admin_connection(parts)
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{copy}"')
            cursor.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{name}" STRATEGY FILE_COPY')
            cursor.execute("CHECKPOINT")
    finally:
        admin.close()
    connections["default"].settings_dict["NAME"] = copy
    return copy


def drop_copy(parts, name, copy):
    from django.db import connections

    connections["default"].close()
    connections["default"].settings_dict["NAME"] = name
    admin = admin_connection(parts)
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{copy}"')
    finally:
        admin.close()


def approved_run():
    from unittest import mock

    from data_protection import services
    from staff.models import User

    administrator = User.objects.get(email=ADMINISTRATOR_EMAIL)
    # The approval queues the run as a task once committed: here the run is timed in this process.
    with mock.patch.object(services, "_start_running"):
        run = services.retention_run_work_out(user=administrator)
        return services.retention_run_approve(user=administrator, run=run, families_typed=run.families_listed)


def anonymise(args, parts, name):
    from django.db import connection

    from data_protection.anonymise import run_retention

    times, tally = [], None
    for number in range(1, args.runs + 1):
        copy = fresh_copy(parts, name)
        try:
            run = approved_run()
            load_before = load_average()
            tally = StatementTally()
            with connection.execute_wrapper(tally):
                started = time.perf_counter()
                run = run_retention(run.pk)
                times.append(time.perf_counter() - started)
            statements = sum(kind["count"] for kind in tally.kinds.values())
            print(f"RESULT run_retention {number} of {args.runs}: {times[-1]:.1f} s, {run.families_anonymised:,} "
                  f"families anonymised of {run.families_listed:,} listed, {statements:,} statements; "
                  f"load average {load_before}", flush=True)
        finally:
            drop_copy(parts, name, copy)
    if len(times) > 1:
        print(f"RESULT run_retention: median {statistics.median(times):.1f} s, min {min(times):.1f}, "
              f"max {max(times):.1f} of {len(times)}")
    batches = tally.kinds.get("SELECT families_family FOR UPDATE", {"count": 0})["count"]
    print(f"statements of the last run by kind ({batches:,} batches; count, total ms, slowest ms):")
    ranked = sorted(tally.kinds.items(), key=lambda item: -item[1]["seconds"])
    for kind, figures in ranked:
        print(f"  {figures['count']:9,}  {figures['seconds'] * 1000:10.0f} ms  {figures['slowest'][0] * 1000:8.1f} ms"
              f"  {kind}")
    if args.explain:
        _, sql, params = ranked[0][1]["slowest"]
        copy = fresh_copy(parts, name)
        try:
            from django.db import transaction

            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                plan = "\n".join(row[0] for row in cursor.fetchall())
                transaction.set_rollback(True)
            print(f"\n-- the slowest {ranked[0][0]} (fresh copy, rolled back): {short(sql, 300)}\n{plan}")
        finally:
            drop_copy(parts, name, copy)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    steps = parser.add_mutually_exclusive_group(required=True)
    steps.add_argument("--prepare", action="store_true", help="build the data (WIPES the families)")
    steps.add_argument("--run", action="store_true", help="time dry_run")
    steps.add_argument("--anonymise", action="store_true", help="time run_retention, each run on a fresh copy")
    parser.add_argument("--families", type=int, default=100_000, help="with --prepare: N (default 100000)")
    parser.add_argument("--seed", type=int, default=2026, help="with --prepare: the data's seed (default 2026)")
    parser.add_argument("--runs", type=int, help="how many runs (default 5 with --run, 1 with --anonymise)")
    parser.add_argument("--explain", action="store_true",
                        help="EXPLAIN (ANALYZE, BUFFERS) each query (--run) or the slowest (--anonymise)")
    args = parser.parse_args()
    parts, name = database_url()
    setup_django()
    if args.prepare:
        prepare(args, parts, name)
    elif args.anonymise:
        args.runs = args.runs or 1
        anonymise(args, parts, name)
    else:
        args.runs = args.runs or 5
        run(args)


if __name__ == "__main__":
    main()
