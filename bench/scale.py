"""Benchmark of every busy page at national scale: 100,000 families, 1,000,000 referrals and about
90,000 unresolved overdue flags, on PostgreSQL.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/pace_cases_bench_scale
    .venv/bin/python bench/scale.py --prepare --families 100000   # build the data set (WIPES it)
    .venv/bin/python bench/scale.py --run --requests 30           # p50 / p95 / max and queries per page

The database named by DATABASE_URL must be PostgreSQL and have "bench" in its name: --prepare WIPES
it (drops and creates it).

--prepare: drop the database and create it empty; migrate (which loads the reference data); 20
  teams, each with a manager, a PLO and 10 caseworkers, plus one national manager who manages every
  team (ORM: a few hundred rows); 150 of the local authorities the migrations load, each served
  by one team, with a skewed share of the families (a few big cities, many small areas); then with
  COPY: the families (family 1 has 473 referrals, the others share the rest of the referrals
  unevenly), a carer and one or two children each, about two calls each, the referrals (each about
  one child) with their "referral made" milestone and, for most, a decision (most within a working
  day, a long tail later), and each referral's decision deadline (met when decided); and parents'
  check-ins (outcomes.CheckIn: about half the carers at first contact, some later, some as support
  ends). Referrals not
  decided are still waiting; how many depends on the authority (a few authorities decide very
  little). Then deadlines.services.raise_overdue_flags raises the flags, as the overdue job does,
  and VACUUM (ANALYZE). Each step's time is printed.
--run: each page requested --requests times with django.test.Client (after 2 warm-up requests),
  signed in past the second factor (fewer for a page once --budget seconds have gone on it, the
  table says how many); p50, p95 and max of the time in the process
  (time.perf_counter around the request, a streamed response read to its end) and the number of
  queries of the last request (CaptureQueriesContext), as a Markdown table.

Nothing is written anywhere but the database: Celery's filesystem broker (the overdue job queues its
digests on commit) points at a temporary folder unless PACE_DATA_DIR is set, and REDIS_URL is ignored.
"""

import argparse
import bisect
import io
import itertools
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from overdue_job import (  # noqa: E402 - the sibling script, found through the path set just above
    admin_connection,
    check_columns,
    database_url,
    load_average,
    q,
    setup_django,
)

TEAMS = 20
CASEWORKERS_PER_TEAM = 10
AUTHORITIES = 150
REFERRALS = 1_000_000
BIG_FAMILY_REFERRALS = 473
CALLS_PER_FAMILY = 2
WAITING_SHARE = 0.09  # referrals still waiting for a decision, on average over the authorities
YEARS = 3
TICK = 10  # minutes: timestamps are whole multiples of it, formatted once each
EMAIL_DOMAIN = "bench.pace.invalid"
NULL = "\\N"  # COPY's text for an empty value
FIRST_NAMES = ("Joanne", "Tyler", "Grace", "Ruth", "Hannah", "Siobhán", "Amir", "Oliver", "Amelia", "Isla", "Jack",
               "Noah", "Mia", "Freya", "Zoë", "Aoife", "Precious", "Kai", "Mohammed", "Fatima", "Priya", "Chen",
               "George", "Emily", "Daniel", "Ella", "Ruby", "Theo", "Layla", "Rhys")
SURNAMES = ("Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Patel", "Khan", "Begum",
            "O'Brien", "Okafor", "Nguyễn", "Müller", "Nowak", "Murphy", "Singh", "Ali", "Hussain", "Campbell",
            "Byrne-Jones", "Ahmed", "Kaur", "Walsh")


# ------------------------------------------------------------------ databases, before Django


def recreate_database(parts, name):
    """Drop the database and create it empty (the audit trail's rows cannot be deleted, so wiping
    table by table is not possible once pages have been read)."""
    admin = admin_connection(parts)
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        admin.close()


class Step:
    """Prints how long the step in the ``with`` block took."""

    def __init__(self, label):
        self.label = label

    def __enter__(self):
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            print(f"{self.label}: {time.perf_counter() - self.started:.1f} s", flush=True)


# ------------------------------------------------------------------ preparing


def copy_rows(cursor, model, columns, rows):
    buffer = io.StringIO()
    buffer.writelines(rows)
    buffer.seek(0)
    cursor.copy_expert(f"COPY {q(model._meta.db_table)} ({', '.join(columns)}) FROM STDIN", buffer)


def staff_and_teams(authorities):
    """20 teams (each serving every 20th authority), their people, and a national manager."""
    from django.contrib.auth.hashers import make_password

    from families.models import Membership, Role, Team
    from staff.models import User

    password = make_password(None)
    teams = Team.objects.bulk_create(
        Team(name=f"Bench team {t + 1:02d}", kind=Team.Kind.PARENT_LIAISON, local_authority_id=authorities[t].id)
        for t in range(TEAMS)
    )
    users, memberships, caseworkers = [], [], {}

    def person(email, name):
        user = User(email=f"{email}@{EMAIL_DOMAIN}", full_name=name, password=password)
        users.append(user)
        return user

    national = person("national.manager", "National manager")
    for t, team in enumerate(teams):
        memberships.append((national, team, Role.MANAGER))
        memberships.append((person(f"manager{t + 1}", f"Manager {t + 1}"), team, Role.MANAGER))
        memberships.append((person(f"plo{t + 1}", f"Police liaison {t + 1}"), team, Role.PLO))
        caseworkers[team.id] = []
        for w in range(CASEWORKERS_PER_TEAM):
            worker = person(f"worker{t + 1}-{w + 1}", f"Caseworker {t + 1}-{w + 1}")
            memberships.append((worker, team, Role.CASEWORKER))
            caseworkers[team.id].append(worker)
    User.objects.bulk_create(users)
    Membership.objects.bulk_create(Membership(user=u, team=t, role=r) for u, t, r in memberships)
    return teams, {team_id: [w.id for w in workers] for team_id, workers in caseworkers.items()}


def working_days_later(moment, days):
    """``moment`` plus ``days`` days, Saturdays and Sundays skipped (bank holidays are not)."""
    while days:
        moment += timedelta(days=1)
        if moment.weekday() < 5:
            days -= 1
    return moment


def load(families_wanted, referrals_wanted, seed):
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction
    from django.utils import timezone

    from core.validators import name_key, phone_key
    from deadlines.models import Deadline
    from families.models import Contact, Family, LocalAuthority, Person, Relationship
    from families.services import FAMILY_REFERENCE_FORMAT
    from referrals.models import MilestoneRecord, Referral

    rng = random.Random(seed)  # noqa: S311 - made-up benchmark data, reproducible
    authorities = list(LocalAuthority.objects.filter(is_current=True, nation="england").order_by("code")[:AUTHORITIES])
    if len(authorities) < AUTHORITIES:
        sys.exit(f"Only {len(authorities)} current English authorities: did the migrations load the reference data?")
    with Step("teams and staff (ORM)"):
        teams, caseworkers = staff_and_teams(authorities)
    team_of_authority = [teams[i % TEAMS].id for i in range(AUTHORITIES)]
    # Skew: a Zipf-like share of the families per authority, in a shuffled order of authorities; and
    # how much each authority leaves waiting, from almost nothing to about half its referrals.
    size = [1 / (rank + 1) ** 0.8 for rank in range(AUTHORITIES)]
    rng.shuffle(size)
    cumulative = list(itertools.accumulate(size))
    slowness = [rng.lognormvariate(0, 1) for _ in range(AUTHORITIES)]
    mean_slowness = sum(s * w for s, w in zip(slowness, size, strict=True)) / sum(size)
    waiting_chance = [min(0.5, WAITING_SHARE * s / mean_slowness) for s in slowness]

    now = timezone.now().replace(second=0, microsecond=0)
    now -= timedelta(minutes=now.minute % TICK)
    span = YEARS * 365 * 24 * 60 // TICK  # ticks back from now
    moments = [now - timedelta(minutes=TICK * t) for t in range(span + 1)]
    text = [m.isoformat(sep=" ") for m in moments]  # text[t]: t ticks before now
    day = 24 * 60 // TICK

    def after(t, ticks):
        return max(t - ticks, 0)

    # Referrals per family: family 1 has 473, the others share the rest unevenly (most one to a few,
    # some many); every family has at least one.
    rest = referrals_wanted - BIG_FAMILY_REFERRALS - (families_wanted - 1)
    weights = list(itertools.accumulate(rng.paretovariate(1.5) for _ in range(families_wanted - 1)))
    per_family = [BIG_FAMILY_REFERRALS] + [1] * (families_wanted - 1)
    for _ in range(rest):
        per_family[1 + bisect.bisect(weights, rng.random() * weights[-1])] += 1

    family_cols = ["id", "reference", "team_id", "key_worker_id", "address", "postcode", "postcode_key",
                   "local_authority_id", "status", "closure_reason", "closed_on", "source", "preferred_channel",
                   "safe_contact_times", "voicemail_ok", "texts_ok", "contact_notes", "created_at", "updated_at",
                   "anonymised_at", "version"]
    person_cols = ["id", "family_id", "kind", "first_name", "last_name", "pronouns", "phone", "phone_digits",
                   "first_name_key", "last_name_key", "full_name_key", "email", "date_of_birth", "school",
                   "additional_needs", "risk_level", "looked_after", "placed_out_of_area", "created_at", "version"]
    relationship_cols = ["id", "carer_id", "child_id", "kind"]
    contact_cols = ["id", "family_id", "occurred_at", "duration_minutes", "channel", "spoke_with_id", "worker_id",
                    "summary", "handle_with_care", "created_at", "version", "struck_at", "struck_by_id",
                    "struck_reason"]
    referral_cols = ["id", "family_id", "local_authority_id", "referred_by", "decision", "previous_referral_id",
                     "summary", "csc_reference", "nrm_status", "channel_status", "status", "next_milestone",
                     "next_due_at", "created_by_id", "created_at", "version"]
    children_cols = ["id", "referral_id", "person_id"]
    milestone_cols = ["id", "referral_id", "milestone", "occurred_at", "note", "recorded_by_id", "recorded_at"]
    deadline_cols = ["id", "family_id", "subject_type_id", "subject_id", "kind", "label", "allowance", "nation",
                     "local_authority_id", "started_at", "due_at", "escalate_at", "met_at", "cancelled_at",
                     "closed_at", "created_at"]
    ReferralChildren = Referral.children.through
    for model, columns in ((Family, family_cols), (Person, person_cols), (Relationship, relationship_cols),
                           (Contact, contact_cols), (Referral, referral_cols), (ReferralChildren, children_cols),
                           (MilestoneRecord, milestone_cols), (Deadline, deadline_cols)):
        check_columns(model, columns)
    referral_type = ContentType.objects.get_for_model(Referral).id
    keys = {name: name_key(name) for name in FIRST_NAMES + SURNAMES}
    decisions = [d.value for d in Referral.Decision]
    referred_by = [r.value for r in Referral.ReferredBy]

    counts = dict.fromkeys(("families", "people", "calls", "referrals", "milestones", "deadlines", "waiting"), 0)
    person_id = relationship_id = contact_id = referral_id = milestone_id = 0
    chunk = 5_000
    with Step("COPY families, people, calls, referrals, milestones, deadlines"), transaction.atomic(), \
            connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg2's own cursor, for copy_expert
        for first in range(1, families_wanted + 1, chunk):
            rows = {name: [] for name in ("family", "person", "relationship", "contact", "referral", "children",
                                          "milestone", "deadline")}
            for f in range(first, min(first + chunk, families_wanted + 1)):
                a = 0 if f == 1 else bisect.bisect(cumulative, rng.random() * cumulative[-1])
                authority = authorities[a]
                team_id = team_of_authority[a]
                worker = rng.choice(caseworkers[team_id])
                n = per_family[f - 1]
                # The family's referrals, oldest first, the last at least a day old (a few today).
                starts = sorted((rng.randrange(day // 2 if rng.random() > 0.002 else 0, span - 2 * day)
                                 for _ in range(n)), reverse=True)
                surname = rng.choice(SURNAMES)
                carer_first = rng.choice(FIRST_NAMES)
                person_id += 1
                carer = person_id
                phone = f"07{rng.randrange(10**9):09d}"
                created = text[starts[0]]
                rows["person"].append(
                    f"{carer}\t{f}\tcarer\t{carer_first}\t{surname}\t\t{phone[:5]} {phone[5:]}\t{phone_key(phone)}\t"
                    f"{keys[carer_first]}\t{keys[surname]}\t{keys[carer_first]}{keys[surname]}\t\t\\N\t\t\t\tf\tf\t"
                    f"{created}\t1\n"
                )
                children = []
                for _ in range(rng.choice((1, 1, 2))):
                    person_id += 1
                    relationship_id += 1
                    first_name = rng.choice(FIRST_NAMES)
                    birth = (now - timedelta(days=rng.randrange(11 * 365, 17 * 365))).date().isoformat()
                    rows["person"].append(
                        f"{person_id}\t{f}\tchild\t{first_name}\t{surname}\t\t\t\t{keys[first_name]}\t"
                        f"{keys[surname]}\t{keys[first_name]}{keys[surname]}\t\t{birth}\t\t\t"
                        f"{rng.choice(('low', 'medium', 'high'))}\tf\tf\t{created}\t1\n"
                    )
                    rows["relationship"].append(f"{relationship_id}\t{carer}\t{person_id}\tmother\n")
                    children.append(person_id)
                for _ in range(rng.choice((1, 2, 3))):
                    contact_id += 1
                    at = text[rng.randrange(0, starts[0] + 1)]
                    rows["contact"].append(
                        f"{contact_id}\t{f}\t{at}\t{rng.randrange(5, 60)}\tphone\t{carer}\t{worker}\t"
                        f"Spoke with the parent about how the week went.\tf\t{at}\t1\t\\N\t\\N\t\n"
                    )
                still_open = False
                for start in starts:
                    referral_id += 1
                    started = moments[start]
                    due = working_days_later(started, 1)
                    escalate = working_days_later(started, 2)
                    waiting = rng.random() < waiting_chance[a]
                    if waiting:
                        decided_ticks = None
                        decision = ""
                    else:
                        roll = rng.random()
                        hours = (rng.uniform(1, 24) if roll < 0.6 else rng.uniform(24, 72) if roll < 0.85
                                 else rng.uniform(72, 240) if roll < 0.95 else rng.uniform(240, 1440))
                        decided_ticks = after(start, int(hours * 60 / TICK))
                        decision = rng.choice(decisions)
                    recent = start < 180 * day
                    status = "open" if waiting or recent else "closed"
                    still_open |= status == "open"
                    made = text[start]
                    due_text, escalate_text = due.isoformat(sep=" "), escalate.isoformat(sep=" ")
                    rows["referral"].append(
                        f"{referral_id}\t{f}\t{authority.id}\t{rng.choice(referred_by)}\t{decision}\t\\N\t\t\t\t\t"
                        f"{status}\t{'decision' if waiting else ''}\t{due_text if waiting else NULL}\t"
                        f"{worker}\t{made}\t1\n"
                    )
                    rows["children"].append(f"{referral_id}\t{referral_id}\t{children[0]}\n")
                    milestone_id += 1
                    rows["milestone"].append(
                        f"{milestone_id}\t{referral_id}\treferral_made\t{made}\t\t{worker}\t{made}\n"
                    )
                    met = "\\N"
                    if decided_ticks is not None:
                        met = text[decided_ticks]
                        milestone_id += 1
                        rows["milestone"].append(
                            f"{milestone_id}\t{referral_id}\tdecision\t{met}\t\t{worker}\t{met}\n"
                        )
                    rows["deadline"].append(
                        f"{referral_id}\t{f}\t{referral_type}\t{referral_id}\treferral:decision\t"
                        f"Decision on the referral\t1 working day\t{authority.nation}\t{authority.id}\t{made}\t"
                        f"{due_text}\t{escalate_text}\t{met}\t\\N\t{met}\t{made}\n"
                    )
                    counts["waiting"] += waiting
                counts["referrals"] += n
                family_status, reason, closed_on = "open", "", "\\N"
                if not still_open:
                    family_status, reason = "closed", "support_complete"
                    closed_on = moments[after(starts[-1], 30 * day)].date().isoformat()
                rows["family"].append(
                    f"{f}\t{FAMILY_REFERENCE_FORMAT.format(f)}\t{team_id}\t{worker}\t\tB{f % 99 + 1} {f % 9}AA\t"
                    f"B{f % 99 + 1}{f % 9}AA\t{authority.id}\t{family_status}\t{reason}\t{closed_on}\tself\tphone\t"
                    f"\tf\tf\t\t{created}\t{text[starts[-1]]}\t\\N\t1\n"
                )
            copy_rows(raw, Family, family_cols, rows["family"])
            copy_rows(raw, Person, person_cols, rows["person"])
            copy_rows(raw, Relationship, relationship_cols, rows["relationship"])
            copy_rows(raw, Contact, contact_cols, rows["contact"])
            copy_rows(raw, Referral, referral_cols, rows["referral"])
            copy_rows(raw, ReferralChildren, children_cols, rows["children"])
            copy_rows(raw, MilestoneRecord, milestone_cols, rows["milestone"])
            copy_rows(raw, Deadline, deadline_cols, rows["deadline"])
            for name, key in (("families", "family"), ("people", "person"), ("calls", "contact"),
                              ("milestones", "milestone"), ("deadlines", "deadline")):
                counts[name] += len(rows[key])
            if (first - 1) % 20_000 == 0:
                print(f"  … {counts['families']:,} families, {counts['referrals']:,} referrals", flush=True)
        counts["check-ins"] = load_check_ins(raw, rng, now)
        for model in (Family, Person, Relationship, Contact, Referral, ReferralChildren, MilestoneRecord, Deadline):
            table = model._meta.db_table
            cursor.execute(  # the table name comes from model metadata
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), GREATEST((SELECT max(id) FROM {q(table)}), 1))",  # noqa: S608
                [table],
            )
    print(", ".join(f"{v:,} {k}" for k, v in counts.items()))
    return now


CHECK_IN_SHARE = 0.5  # carers rated at first contact
LATER_CHECK_IN_SHARE = 1 / 3  # of those, rated again once or twice
CLOSING_CHECK_IN_SHARE = 0.4  # of those in closed families, rated as support ended
# A first rating is more often low than high; a later one drifts up more often than down.
FIRST_RATING_WEIGHTS = (20, 35, 30, 12, 3)  # for 1 to 5
LATER_DRIFT, LATER_DRIFT_WEIGHTS = (-1, 0, 1, 2), (10, 30, 40, 20)


def load_check_ins(raw, rng, now):
    """Parents' own ratings (outcomes.CheckIn) with COPY, from the carers just loaded (one query): about
    half rated "at first contact" within a fortnight of the family's record being made; a third of
    those again, once or twice, about three months apart (never after the family closed, nor after
    today); four in ten of those in closed families "as support ends", within 10 days of the closing.
    Ratings 1 to 5, a few questions left unanswered, support from children's social care asked of
    about four in ten. Returns the number of check-ins."""
    from django.utils import timezone

    from families.models import Person
    from outcomes.measures import QUESTIONS_VERSION
    from outcomes.models import CheckIn

    columns = ["id", "family_id", "parent_id", "contact_id", "occasion", "asked_on", "confidence", "understanding",
               "wellbeing", "csc_support", "questions_version", "recorded_by_id", "recorded_at", "version"]
    check_columns(CheckIn, columns)
    today = timezone.localdate(now)

    def cell(score):
        return NULL if score is None else str(score)

    def first_rating(empty_chance):
        if rng.random() < empty_chance:
            return None
        return rng.choices(range(1, 6), weights=FIRST_RATING_WEIGHTS)[0]

    def drifted(score, empty_chance=0.05):
        if score is None or rng.random() < empty_chance:
            return None
        return min(5, max(1, score + rng.choices(LATER_DRIFT, weights=LATER_DRIFT_WEIGHTS)[0]))

    carers = Person.objects.filter(kind=Person.Kind.CARER).order_by("pk").values_list(
        "pk", "family_id", "family__key_worker_id", "family__created_at", "family__closed_on")
    rows, check_in_id = [], 0

    def add(occasion, carer, family, worker, asked_on, scores):
        nonlocal check_in_id
        check_in_id += 1
        answers = "\t".join(cell(score) for score in scores)
        day = asked_on.isoformat()
        rows.append(f"{check_in_id}\t{family}\t{carer}\t\\N\t{occasion}\t{day}\t{answers}\t{QUESTIONS_VERSION}\t"
                    f"{worker}\t{day} 12:00:00+00\t1\n")

    for carer, family, worker, created_at, closed_on in carers.iterator(chunk_size=5_000):
        if rng.random() >= CHECK_IN_SHARE:
            continue
        asked_on = min(timezone.localdate(created_at) + timedelta(days=rng.randrange(14)), today)
        first = [rng.choices(range(1, 6), weights=FIRST_RATING_WEIGHTS)[0], first_rating(0.05), first_rating(0.05),
                 first_rating(0.6)]
        add(CheckIn.Occasion.FIRST, carer, family, worker, asked_on, first)
        last_asked, last_day = asked_on, min(today, closed_on or today)
        if rng.random() < LATER_CHECK_IN_SHARE:
            for _ in range(rng.choice((1, 2))):
                last_asked += timedelta(days=rng.randrange(75, 120))
                if last_asked > last_day:
                    break
                confidence = drifted(first[0], empty_chance=0.03 if first[2] is not None else 0)
                add(CheckIn.Occasion.REVIEW, carer, family, worker, last_asked,
                    [confidence, drifted(first[1]), drifted(first[2], empty_chance=0), first_rating(0.6)])
        if closed_on and rng.random() < CLOSING_CHECK_IN_SHARE:
            closing = min(closed_on + timedelta(days=rng.randrange(10)), today)
            if closing > last_asked:
                add(CheckIn.Occasion.CLOSURE, carer, family, worker, closing,
                    [drifted(first[0], empty_chance=0), drifted(first[1]), drifted(first[2]), first_rating(0.5)])
        if len(rows) >= 20_000:
            copy_rows(raw, CheckIn, columns, rows)
            rows.clear()
    copy_rows(raw, CheckIn, columns, rows)
    table = CheckIn._meta.db_table
    raw.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), GREATEST(%s, 1))", [table, check_in_id])
    return check_in_id


def prepare(families_wanted, referrals_wanted, seed):
    from django.core.management import call_command
    from django.db import connection

    from deadlines import services
    from deadlines.models import OverdueFlag

    with Step("migrate"):
        call_command("migrate", verbosity=0, interactive=False)
    now = load(families_wanted, referrals_wanted, seed)
    with Step("ANALYZE before the overdue job"), connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    with Step("raise_overdue_flags (the overdue job's first run)"):
        run = services.raise_overdue_flags(now)
    print(f"  {run}")
    print(f"  {OverdueFlag.objects.filter(resolved_at__isnull=True).count():,} unresolved flags")
    with Step("VACUUM (ANALYZE)"), connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        print(f"  database {cursor.fetchone()[0]}")
    connection.close()


# ------------------------------------------------------------------ running


def signed_in(user):
    """A test client signed in as ``user`` past the second factor (as tests.two_factor.verified_login)."""
    from django.conf import settings
    from django.contrib.auth import SESSION_KEY
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Bench app", confirmed=True)
    session = client.session
    if session.get(SESSION_KEY) != str(user.pk):
        sys.exit(f"Could not sign in as {user.email}.")
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    return client


def pages():
    """(label, user, method, url, data) for each page measured."""
    from django.urls import reverse
    from django.utils import timezone

    from families.models import Family
    from referrals.models import Referral
    from staff.models import User

    national = User.objects.get(email=f"national.manager@{EMAIL_DOMAIN}")
    big = Family.objects.get(pk=1)
    caseworker = User.objects.get(pk=big.key_worker_id)
    authority_id = big.local_authority_id
    referral = Referral.objects.filter(family=big).order_by("-created_at").first()
    today = timezone.localdate()
    year_ago = today.replace(year=today.year - 1)
    return [
        ("overdue CSV export (all teams)", national, "get", reverse("deadlines:queue_export"), {}),
        ("delay figures (referrals:figures)", national, "get", reverse("referrals:figures"), {}),
        ("overdue queue", national, "get", reverse("deadlines:queue"), {}),
        ("overdue queue, one local authority", national, "get", reverse("deadlines:queue"),
         {"local_authority": authority_id}),
        ("family page (473 referrals)", caseworker, "get", reverse("families:detail", args=[big.pk]), {}),
        ("caseworker home (My work)", caseworker, "get", reverse("home"), {}),
        ("search by reference", caseworker, "post", reverse("families:search"), {"q": big.reference}),
        # A surname shared by one family in twenty-five, as typed so far.
        ("search by name (a common surname, 5 letters)", caseworker, "post", reverse("families:search"),
         {"q": "Okafo"}),
        ("referral page", caseworker, "get", reverse("referrals:detail", args=[big.pk, referral.pk]), {}),
        ("outcomes report", national, "get", reverse("outcomes:report"), {}),
        ("service report, one authority", national, "get", reverse("reports:service"),
         {"start": year_ago.isoformat(), "end": today.isoformat(), "local_authorities": authority_id}),
    ]


def request_once(client, method, url, data):
    """(ms to the end, status, bytes, ms to the first piece of a streamed response or None)."""
    started = time.perf_counter()
    response = getattr(client, method)(url, data)
    if not response.streaming:
        return (time.perf_counter() - started) * 1000, response.status_code, len(response.content), None
    pieces = iter(response.streaming_content)
    first = next(pieces, b"")
    first_ms = (time.perf_counter() - started) * 1000
    size = len(first) + sum(len(part) for part in pieces)
    return (time.perf_counter() - started) * 1000, response.status_code, size, first_ms


def run(requests, budget, only):
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from deadlines.models import OverdueFlag
    from families.models import Family
    from referrals.models import Referral

    # The test client's host, and e-mail kept in memory; not setup_test_environment(), whose
    # instrumented template rendering would add to every page's time.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    print(f"{Family.objects.count():,} families, {Referral.objects.count():,} referrals, "
          f"{OverdueFlag.objects.filter(resolved_at__isnull=True).count():,} unresolved flags; "
          f"load average before: {load_average()}", flush=True)
    clients = {}
    lines = ["| page | requests | p50 ms | p95 ms | max ms | queries | status | bytes | first piece p95 ms |",
             "|---|---:|---:|---:|---:|---:|---|---:|---:|"]
    failed = []
    for label, user, method, url, data in pages():
        if only and not any(word in label for word in only):
            continue
        client = clients.get(user.pk) or clients.setdefault(user.pk, signed_in(user))
        try:
            for _ in range(2):
                request_once(client, method, url, data)
            times, firsts, statuses = [], [], set()
            started = time.perf_counter()
            for _ in range(requests - 1):
                if time.perf_counter() - started > budget:
                    break  # a page this slow: fewer requests, and the table says how many
                elapsed, status, size, first = request_once(client, method, url, data)
                times.append(elapsed)
                firsts.append(first)
                statuses.add(status)
            with CaptureQueriesContext(connection) as captured:
                elapsed, status, size, first = request_once(client, method, url, data)
            times.append(elapsed)
            firsts.append(first)
            statuses.add(status)
        except Exception as error:  # noqa: BLE001 - a page that fails at this scale is reported, not hidden
            lines.append(f"| {label} | failed: {type(error).__name__}: {str(error)[:120]} | | | | | | | |")
            print(lines[-1], flush=True)
            failed.append(label)
            continue
        if statuses != {200}:
            failed.append(label)
        first_p95 = f"{p95_of(firsts):.0f}" if None not in firsts else ""
        lines.append(f"| {label} | {len(times)} | {statistics.median(times):.0f} | {p95_of(times):.0f} | "
                     f"{max(times):.0f} | {len(captured.captured_queries)} | {', '.join(map(str, sorted(statuses)))} | "
                     f"{size:,} | {first_p95} |")
        print(lines[-1], flush=True)
    print(f"\nload average after: {load_average()}\n")
    print("\n".join(lines))
    return failed


def p95_of(values):
    return statistics.quantiles(values, n=20, method="inclusive")[18] if len(values) > 1 else values[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prepare", action="store_true", help="build the data set (WIPES the database)")
    parser.add_argument("--families", type=int, default=100_000, help="with --prepare (default 100000)")
    parser.add_argument("--referrals", type=int, default=None,
                        help=f"with --prepare (default {REFERRALS // 100_000} per family: {REFERRALS:,} for 100,000)")
    parser.add_argument("--seed", type=int, default=16, help="with --prepare: the data's seed (default 16)")
    parser.add_argument("--run", action="store_true", help="measure every page")
    parser.add_argument("--requests", type=int, default=30, help="with --run: requests per page (default 30)")
    parser.add_argument("--budget", type=float, default=120,
                        help="with --run: seconds per page after which it gets no more requests (default 120)")
    parser.add_argument("--only", nargs="*", help="with --run: only the pages whose label contains one of these")
    args = parser.parse_args()
    if not (args.prepare or args.run):
        parser.error("give --prepare, --run or both")
    parts, name = database_url()
    if args.prepare:
        with Step(f"drop and create {name}"):
            recreate_database(parts, name)
    setup_django()
    if args.prepare:
        started = time.perf_counter()
        prepare(args.families, args.referrals or args.families * (REFERRALS // 100_000), args.seed)
        print(f"--prepare: {time.perf_counter() - started:.0f} s in all", flush=True)
    if args.run:
        failed = run(args.requests, args.budget, args.only)
        if failed:
            sys.exit(f"Pages that failed or did not answer 200 alone: {', '.join(failed)}")


if __name__ == "__main__":
    main()
