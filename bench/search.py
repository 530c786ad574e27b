"""Benchmark of the family search, families.selectors.family_search, on PostgreSQL with many families.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/pace_search_bench
    .venv/bin/python bench/search.py --prepare --families 100000   # build the data set (WIPES it)
    .venv/bin/python bench/search.py --run --queries 40            # p50 / p95 per kind of search text
    .venv/bin/python bench/search.py --explain                     # the plan of one search of each kind

The database named by DATABASE_URL must be PostgreSQL and have "bench" in its name: --prepare WIPES
its families (it is created if missing). It migrates, then makes one team that holds most of the
families (the worst case: the searcher's team is the one with the most to search) and a few others,
and N families with one or two carers and one or two children each. Their names come from common
UK first names and surnames, some with accents or apostrophes; their phone numbers, postcodes and
references are all different. People's keys are made by services._prepare_person, the path every
saved person takes.

--run: for each kind of search text (a surname, first name and surname, a name typed without its
accent, a phone number as stored and as caller ID gives it, the start of one, a postcode without its
space, the start of one, a reference without its letter, the start of one), --queries texts taken
from random rows; each search is timed in the process (time.perf_counter around the selector call,
both its queries included), after one warm-up search of each kind. Prints the median and the 95th
percentile, and how many families the searches found.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 5_000
OTHER_TEAMS = 4
MAIN_TEAM_SHARE = 0.6
FIRST_NAMES = (
    "Joanne", "Tyler", "Grace", "Ruth", "Hannah", "Siobhán", "Maeve", "Lena", "Amir", "Oliver", "Amelia", "Isla",
    "Ava", "Jack", "Harry", "Noah", "Leo", "Mia", "Ivy", "Freya", "Zoë", "Chloé", "Renée", "José", "Aoife", "Niamh",
    "Ciarán", "Seán", "Róisín", "Éabha", "Precious", "Kai", "Dami", "Sandra", "Mohammed", "Fatima", "Aisha",
    "Yusuf", "Ibrahim", "Zainab", "Priya", "Arjun", "Ravi", "Anjali", "Chen", "Wei", "Mei", "Ling", "Thomas",
    "George", "Charlotte", "Emily", "Sophie", "Lucy", "Jessica", "Daniel", "Samuel", "Joseph", "Ella", "Poppy",
    "Ruby", "Evie", "Alfie", "Archie", "Oscar", "Henry", "Theo", "Arthur", "Lily", "Rosie", "Daisy", "Phoebe",
    "Matilda", "Florence", "Willow", "Sienna", "Maya", "Layla", "Nia", "Cerys", "Dylan", "Rhys", "Owen", "Callum",
    "Kyle", "Shannon",
)
SURNAMES = (
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Johnson", "Roberts",
    "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes", "Green", "Hall", "Lewis", "Harris",
    "Clarke", "Patel", "Jackson", "Wood", "Turner", "Martin", "Cooper", "Hill", "Ward", "Morris", "Moore", "Clark",
    "Lee", "King", "Baker", "Harrison", "Morgan", "Allen", "James", "Scott", "Phillips", "Watson", "Davis",
    "Parker", "Price", "Bennett", "Young", "Griffiths", "Mitchell", "Kelly", "Cook", "Carter", "Richardson",
    "Bailey", "Collins", "Bell", "Shaw", "Murphy", "Miller", "Cox", "Richards", "Khan", "Marshall", "Anderson",
    "Simpson", "Ellis", "Adams", "Singh", "Begum", "Wilkinson", "Foster", "Chapman", "Powell", "Webb", "Rogers",
    "Gray", "Mason", "Ali", "Hunt", "Hussain", "Campbell", "Matthews", "Owen", "Palmer", "Holmes", "Mills",
    "Barnes", "Knight", "Lloyd", "Butler", "Russell", "Barker", "Fisher", "Stevens", "Jenkins", "Murray", "Dixon",
    "Harvey", "Graham", "Pearson", "Ahmed", "Fletcher", "Walsh", "Kaur", "Gibson", "Howard", "Andrews", "Stewart",
    "Elliott", "Reynolds", "Saunders", "Payne", "Fox", "Ford", "Pearce", "Day", "Brooks", "West", "Lawrence",
    "Cole", "Atkinson", "Bradley", "Spencer", "Gill", "Dawson", "Ball", "Burton", "O'Brien", "O'Connor", "O'Neill",
    "Okafor", "Adeyemi", "Mensah", "Nguyễn", "Müller", "Kowalski", "Nowak", "Ó Súilleabháin", "Byrne", "Doyle",
    "Ryan", "Fitzgerald", "Byrne-Jones", "Smith-Patel",
)
AREAS = ("B", "BS", "CF", "LS", "M", "L", "NE", "NG", "S", "SO", "SW", "SE", "N", "E", "W", "EC", "WC", "G", "EH", "BT")
LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


def database_url():
    parts = urlsplit(os.environ.get("DATABASE_URL", ""))
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        sys.exit("Refusing to run: DATABASE_URL must name a PostgreSQL database.")
    name = parts.path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"Refusing to run: database {name!r} has no 'bench' in its name, and --prepare wipes it.")
    return parts, name


def create_database_if_missing(parts, name):
    admin = psycopg2.connect(
        dbname="postgres", user=parts.username or None, password=parts.password or None,
        host=parts.hostname or None, port=parts.port or None,
    )
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        admin.close()


def setup_django():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pace_cases.settings")
    os.environ.setdefault("DEBUG", "1")
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()


# ------------------------------------------------------------------ preparing


def phone_for(n):
    """A mobile number written as people do, different for each n: "07123 456789"."""
    digits = f"07{n:09d}"
    return f"{digits[:5]} {digits[5:]}"


def postcode_for(n):
    """A postcode-shaped text, different for each n."""
    area = AREAS[n % len(AREAS)]
    district = (n // len(AREAS)) % 99 + 1
    sector = (n // (len(AREAS) * 99)) % 10
    unit = (n // (len(AREAS) * 990)) % (len(LETTERS) ** 2)
    return f"{area}{district} {sector}{LETTERS[unit // len(LETTERS)]}{LETTERS[unit % len(LETTERS)]}"


def prepare(families_wanted, seed):
    from django.core.management import call_command
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from families.models import Family, Membership, Person, Relationship, Role, Team
    from families.services import FAMILY_REFERENCE_FORMAT, _prepare_person
    from staff.models import User

    call_command("migrate", verbosity=0)
    rng = random.Random(seed)  # noqa: S311 - made-up data, repeatable
    with connection.cursor() as cursor:
        tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in (Membership, Family, Team))
        cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    User.objects.filter(email__endswith="@bench.pace.invalid").delete()
    teams = [Team.objects.create(name="National support team (bench)", kind=Team.Kind.NATIONAL)]
    teams += [Team.objects.create(name=f"Other team {n} (bench)", kind=Team.Kind.NATIONAL) for n in range(OTHER_TEAMS)]
    searcher = User.objects.create_user(email="searcher@bench.pace.invalid", full_name="Bench Searcher")
    Membership.objects.create(user=searcher, team=teams[0], role=Role.CASEWORKER)

    started = time.perf_counter()
    phones = rng.sample(range(1_000_000_000), families_wanted * 2)
    for first in range(1, families_wanted + 1, CHUNK):
        numbers = range(first, min(first + CHUNK, families_wanted + 1))
        with transaction.atomic():
            families = [
                Family(
                    pk=n,
                    reference=FAMILY_REFERENCE_FORMAT.format(n),
                    team=teams[0] if rng.random() < MAIN_TEAM_SHARE else rng.choice(teams[1:]),
                    postcode=postcode_for(n),
                    source=Family.Source.SELF,
                )
                for n in numbers
            ]
            for family in families:  # as Family.save keeps it; bulk_create does not call save()
                family.postcode_key = family.postcode.replace(" ", "")
            Family.objects.bulk_create(families)
            people, pairs = [], []
            for family in families:
                surname = rng.choice(SURNAMES)
                carers = [
                    Person(family=family, kind=Person.Kind.CARER, first_name=rng.choice(FIRST_NAMES),
                           last_name=surname if rng.random() < 0.8 else "",
                           phone=phone_for(phones.pop()))
                    for _ in range(rng.choice((1, 1, 2)))
                ]
                children = [
                    Person(family=family, kind=Person.Kind.CHILD, first_name=rng.choice(FIRST_NAMES),
                           last_name=surname if rng.random() < 0.9 else "")
                    for _ in range(rng.choice((1, 1, 2)))
                ]
                for person in (*carers, *children):
                    _prepare_person(person)
                people += carers + children
                pairs += [(carer, child) for carer in carers for child in children]
            Person.objects.bulk_create(people)
            Relationship.objects.bulk_create(Relationship(carer=c, child=k, kind="mother") for c, k in pairs)
        print(f"{numbers[-1]} families, {time.perf_counter() - started:.0f} s", flush=True)
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Family]):
            cursor.execute(sql)
        cursor.execute("VACUUM ANALYZE")
    print(f"{Family.objects.count()} families, {Person.objects.count()} people; "
          f"{Family.objects.filter(team=teams[0]).count()} in the searcher's team")


# ------------------------------------------------------------------ searching


def texts_by_kind(count, seed):
    """For each kind of search text, ``count`` texts made from random rows of the searcher's team."""
    from families.models import Family, Person

    rng = random.Random(seed)  # noqa: S311 - made-up data, repeatable
    team_people = Person.objects.filter(family__team__name="National support team (bench)")
    carers = list(team_people.filter(kind="carer").exclude(last_name="").order_by("?")[: count * 2])
    families = list(Family.objects.filter(team__name="National support team (bench)").order_by("?")[:count])
    accented = list(team_people.filter(first_name__in=["Siobhán", "Zoë", "Chloé", "Renée", "Ciarán", "Róisín"])
                    .order_by("?")[:count])

    def national(person):
        return person.phone

    def international(person):
        return "+44" + person.phone.replace(" ", "")[1:]

    return {
        "surname": [p.last_name for p in carers[:count]],
        "first name and surname": [f"{p.first_name} {p.last_name}" for p in carers[:count]],
        "name typed without accents": [
            p.first_name.replace("á", "a").replace("ë", "e").replace("é", "e").replace("ó", "o") for p in accented
        ],
        "phone, as stored": [national(p) for p in carers[:count]],
        "phone, as caller ID": [international(p) for p in carers[count:]],
        "start of a phone number": [p.phone[:8] for p in carers[:count]],
        "postcode without space": [f.postcode.replace(" ", "").lower() for f in families],
        "start of a postcode": [f.postcode.split(" ")[0] for f in families],
        "reference without letter": [f.reference[2:] for f in families],
        "start of a reference": [f.reference[: rng.choice((5, 6, 7))] for f in families],
    }


def run(count, seed):
    from families.selectors import family_search
    from staff.models import User

    searcher = User.objects.get(email="searcher@bench.pace.invalid")
    print(f"{'kind of text':28} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'found (median)':>15}")
    for kind, texts in texts_by_kind(count, seed).items():
        family_search(searcher, texts[0])  # warm-up
        times, found = [], []
        for text in texts:
            started = time.perf_counter()
            result = family_search(searcher, text)
            times.append((time.perf_counter() - started) * 1000)
            found.append(len(result.families))
        p95 = statistics.quantiles(times, n=20)[18] if len(times) >= 2 else times[0]
        print(f"{kind:28} {len(texts):>4} {statistics.median(times):>8.1f} {p95:>8.1f} {statistics.median(found):>15}")


def explain(seed):
    from families import selectors
    from families.permissions import visible_families
    from staff.models import User

    searcher = User.objects.get(email="searcher@bench.pace.invalid")
    for kind, texts in texts_by_kind(1, seed).items():
        ids = selectors._matching_family_ids(selectors._read_search_text(texts[0]))
        query = visible_families(searcher).filter(pk__in=ids).order_by("status", "-updated_at", "pk")
        print(f"\n=== {kind}: {texts[0]!r}")
        print(query[: selectors.SEARCH_LIMIT + 1].explain(analyze=True, buffers=True))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prepare", action="store_true")
    parser.add_argument("--families", type=int, default=100_000)
    parser.add_argument("--run", action="store_true")
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    parts, name = database_url()
    if args.prepare:
        create_database_if_missing(parts, name)
    setup_django()
    if args.prepare:
        prepare(args.families, args.seed)
    if args.run:
        run(args.queries, args.seed)
    if args.explain:
        explain(args.seed)


if __name__ == "__main__":
    main()
