"""Benchmark of the retention dry run, data_protection.retention.dry_run, over N closed families.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/pace_cases_bench_retention
    .venv/bin/python bench/retention.py --prepare --families 100000   # build the data (WIPES the families)
    .venv/bin/python bench/retention.py --run                         # time dry_run (median of --runs)
    .venv/bin/python bench/retention.py --run --explain               # and EXPLAIN (ANALYZE, BUFFERS) each query

The database named by DATABASE_URL must be PostgreSQL and have "bench" in its name: --prepare WIPES
it (created if missing). It migrates; TRUNCATE … CASCADE the families and everything hanging off
them; creates a team and one worker (ORM); loads with COPY N closed families, each with a carer, one
or two children (about 3 % of families with a child whose date of birth is unknown), and zero to
three calls, and legal holds in force on 1 % of them; then VACUUM (ANALYZE). Dates are drawn so that
about half of the families are due today under the default rule ("6 years after the family's last
contact, or until the youngest child's 25th birthday, whichever is later").

--run: dry_run() --runs times (default 5) in this process, timed with time.perf_counter around the
call; prints the median, every run, the figures, and the statements of the last run. Nothing is
written by a run.
"""

import argparse
import io
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from overdue_job import (  # noqa: E402 - the sibling script, found through the path set just above
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
    from families.models import Contact, Family, LocalAuthority, Person, Team
    from staff.models import User

    rng = random.Random(seed)  # noqa: S311 - made-up benchmark data, reproducible
    authority = LocalAuthority.objects.order_by("pk").first()
    if authority is None:
        sys.exit("No local authority: did the migrations load the reference data?")
    team = Team.objects.create(name="Bench retention team", kind=Team.Kind.PARENT_LIAISON, local_authority=authority)
    worker = User.objects.create(email=f"retention@{EMAIL_DOMAIN}", full_name="Bench worker",
                                 password=make_password(None))
    family_cols = ["id", "reference", "team_id", "key_worker_id", "address", "postcode", "postcode_key",
                   "local_authority_id", "status", "closure_reason", "closed_on", "source", "preferred_channel",
                   "safe_contact_times", "voicemail_ok", "texts_ok", "contact_notes", "created_at", "updated_at",
                   "version"]
    person_cols = ["id", "family_id", "kind", "first_name", "last_name", "pronouns", "phone", "phone_digits",
                   "first_name_key", "last_name_key", "full_name_key", "email", "date_of_birth", "school",
                   "additional_needs", "risk_level", "looked_after", "placed_out_of_area", "created_at", "version"]
    contact_cols = ["id", "family_id", "occurred_at", "duration_minutes", "channel", "spoke_with_id", "worker_id",
                    "summary", "handle_with_care", "created_at", "version", "struck_at", "struck_by_id",
                    "struck_reason"]
    hold_cols = ["id", "family_id", "reason", "details", "review_on", "placed_by_id", "placed_at", "lifted_by_id",
                 "lifted_at", "lift_reason"]
    for model, columns in ((Family, family_cols), (Person, person_cols), (Contact, contact_cols),
                           (LegalHold, hold_cols)):
        check_columns(model, columns)
    tables = [q(m._meta.db_table) for m in (Family, Person, Contact, LegalHold)]

    today = timezone.localdate()
    first_day = date(2008, 1, 1)
    span = (today - first_day).days

    def stamp(day):
        return datetime(day.year, day.month, day.day, 12, tzinfo=UTC).isoformat(sep=" ")

    person_id = contact_id = hold_id = 0
    review_on = (today + timedelta(days=180)).isoformat()
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor
        for start in range(1, n + 1, CHUNK):
            families, people, contacts, holds = [], [], [], []
            for i in range(start, min(start + CHUNK, n + 1)):
                created = first_day + timedelta(days=rng.randrange(span - 400))
                closed = created + timedelta(days=rng.randrange(30, min(3 * 365, (today - created).days)))
                families.append(
                    f"{i}\tF-{i:06d}\t{team.id}\t\\N\t\t\t\t{authority.id}\tclosed\tsupport_complete\t"
                    f"{closed.isoformat()}\tself\tphone\t\tf\tf\t\t{stamp(created)}\t{stamp(closed)}\t1\n"
                )
                person_id += 1
                people.append(f"{person_id}\t{i}\tcarer\tA\tB\t\t\t\ta\tb\tab\t\t\\N\t\t\t\tf\tf\t"
                              f"{stamp(created)}\t1\n")
                for child in range(rng.choice([1, 1, 2])):
                    person_id += 1
                    undated = child == 0 and rng.random() < UNDATED_CHILD_SHARE
                    # Born 8 to 17 years before the family was added: the 25th birthday falls between
                    # about 2015 and 2042, so roughly half of the families are due today.
                    age = timedelta(days=rng.randrange(8 * 365, 17 * 365))
                    born = "\\N" if undated else (created - age).isoformat()
                    people.append(f"{person_id}\t{i}\tchild\tC\tB\t\t\t\tc\tb\tcb\t\t{born}\t\t\tmedium\tf\tf\t"
                                  f"{stamp(created)}\t1\n")
                for _ in range(rng.randrange(4)):
                    contact_id += 1
                    on = created + timedelta(days=rng.randrange((closed - created).days + 1))
                    contacts.append(f"{contact_id}\t{i}\t{stamp(on)}\t20\tphone\t\\N\t{worker.id}\tA call.\tf\t"
                                    f"{stamp(on)}\t1\t\\N\t\\N\t\n")
                if rng.random() < HELD_SHARE:
                    hold_id += 1
                    holds.append(f"{hold_id}\t{i}\tprosecution\tTrial listed\t{review_on}\t{worker.id}\t"
                                 f"{stamp(today)}\t\\N\t\\N\t\n")
            for table, columns, rows in zip(tables, (family_cols, person_cols, contact_cols, hold_cols),
                                            (families, people, contacts, holds), strict=True):
                copy_rows(raw, table, columns, rows)
            print(f"loaded families up to {i:,}", flush=True)
        for table, last in zip(tables, (n, person_id, contact_id, hold_id), strict=True):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", [max(last, 1)])
    return person_id, contact_id, hold_id


def prepare(args, parts, name):
    from django.core.management import call_command
    from django.db import connection

    create_database_if_missing(parts, name)
    call_command("migrate", verbosity=0)
    wipe()
    started = time.perf_counter()
    people, contacts, holds = load(args.families, args.seed)
    print(f"COPY: {args.families:,} families, {people:,} people, {contacts:,} calls, {holds:,} holds "
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    steps = parser.add_mutually_exclusive_group(required=True)
    steps.add_argument("--prepare", action="store_true", help="build the data (WIPES the families)")
    steps.add_argument("--run", action="store_true", help="time dry_run")
    parser.add_argument("--families", type=int, default=100_000, help="with --prepare: N (default 100000)")
    parser.add_argument("--seed", type=int, default=2026, help="with --prepare: the data's seed (default 2026)")
    parser.add_argument("--runs", type=int, default=5, help="with --run: how many runs (default 5)")
    parser.add_argument("--explain", action="store_true", help="with --run: EXPLAIN (ANALYZE, BUFFERS) each query")
    args = parser.parse_args()
    parts, name = database_url()
    setup_django()
    if args.prepare:
        prepare(args, parts, name)
    else:
        run(args)


if __name__ == "__main__":
    main()
