"""Finding a family the way callers and caller ID give it: phone numbers in any form, postcodes
without spaces, names without accents, references without the letter or only their start. Only
ever the families of the worker's own teams, in a fixed number of queries."""

import importlib
import re

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.validators import name_key, phone_for_display, phone_key, validate_uk_phone
from families import selectors, services
from families.models import Family, Person
from tests.factories import FamilyFactory, TeamFactory

search_keys_migration = importlib.import_module("families.migrations.0008_search_keys")


def add_family(user, team, *, carer, child=("Ava", ""), phone="", postcode=""):
    """A family added through the service that saves people, as the new-family form does."""
    return services.family_create(
        user=user,
        family=Family(team=team, source=Family.Source.SELF, postcode=postcode),
        carer=Person(first_name=carer[0], last_name=carer[1], phone=phone),
        child=Person(first_name=child[0], last_name=child[1]),
        relationship_kind="mother",
    )


def found(user, text):
    return [family.reference for family in selectors.family_search(user, text).families]


@pytest.fixture
def known(cast):
    """Families of the key worker's team, each stored one way, to be searched for another way."""
    team, user = cast.family.team, cast.key_worker
    # Ten families of another team first, so that the last one's number has two digits even on a
    # fresh database: "12" can be searched for, "7" is too short.
    FamilyFactory.create_batch(10, team=TeamFactory())
    return {
        "mobile": add_family(user, team, carer=("Grace", "Adeyemi"), phone="07700 900001"),
        "international": add_family(user, team, carer=("Ruth", "Mensah"), phone="+44 7700 900002"),
        "postcode": add_family(user, team, carer=("Hannah", "Price"), postcode="SO16 3QB"),
        "accented": add_family(user, team, carer=("Siobhán", "Byrne")),
        "plain": add_family(user, team, carer=("Siobhan", "Kelly")),
        "apostrophe": add_family(user, team, carer=("Maeve", "O'Brien")),
        "reference": add_family(user, team, carer=("Lena", "Fischer")),
    }


FORMS = [
    # Caller ID shows an international number; the family was stored with a national one.
    ("mobile", "+44 7700 900001"),
    ("mobile", "+447700900001"),
    ("mobile", "447700900001"),
    ("mobile", "0044 7700 900001"),
    ("mobile", "07700900001"),
    ("mobile", "07700 900"),  # the start of the number
    # ...and the other way round.
    ("international", "07700 900002"),
    ("international", "07700900002"),
    ("postcode", "SO163QB"),
    ("postcode", "so163qb"),
    ("postcode", "so16 3qb"),
    ("postcode", "SO16"),
    # Accents and case ignored, both ways.
    ("accented", "Siobhan Byrne"),
    ("accented", "siobhan"),
    ("plain", "Siobhán Kelly"),
    ("plain", "SIOBHÁN"),
    ("apostrophe", "OBrien"),
    ("apostrophe", "O’Brien"),
    ("apostrophe", "o'brien"),
    ("apostrophe", "O Brien"),
    ("apostrophe", "Maeve O'B"),
    ("apostrophe", "obri"),
    # References without the letter, without the hyphen, or only their start; filled in from the
    # family's reference (F-000123: {digits} 000123, {number} 123), which comes from its primary key.
    ("reference", "{digits}"),
    ("reference", "{number}"),
    ("reference", "F{number}"),
    ("reference", "f-{digits}"),
    ("reference", "F {digits}"),
    ("reference", "{reference:.6}"),
    ("reference", "{reference:.7}"),
]


def typed_for(family, typed):
    digits = family.reference[2:]
    return typed.format(digits=digits, number=int(digits), reference=family.reference)


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "typed"), FORMS, ids=[f"{who}:{typed}" for who, typed in FORMS])
def test_every_common_form_finds_the_family(cast, known, who, typed):
    assert known[who].reference in found(cast.key_worker, typed_for(known[who], typed))


@pytest.mark.django_db
def test_accents_are_ignored_both_ways_and_no_one_else_is_found(cast, known):
    siobhans = {known["accented"].reference, known["plain"].reference}
    assert set(found(cast.key_worker, "Siobhan")) == siobhans
    assert set(found(cast.key_worker, "Siobhán")) == siobhans


@pytest.mark.django_db
def test_a_reference_without_its_letter_finds_only_that_family(cast, known):
    reference = known["reference"].reference
    assert found(cast.key_worker, reference[2:]) == [reference]


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "typed"), FORMS, ids=[f"{who}:{typed}" for who, typed in FORMS])
def test_another_teams_family_is_never_found_whatever_the_form(cast, known, who, typed):
    assert not found(cast.outsider, typed_for(known[who], typed))
    # And the other way round: the outsider's family, stored as the key worker's is, is theirs alone.
    outsider_team = cast.outsider.memberships.get().team
    theirs = add_family(cast.outsider, outsider_team, carer=("Grace", "Adeyemi"), phone="07700 900001")
    assert theirs.reference in found(cast.outsider, "+44 7700 900001")
    assert theirs.reference not in found(cast.key_worker, "+44 7700 900001")


@pytest.mark.django_db
def test_outsider_search_page_says_no_family_found(cast, known, outsider_client):
    reference = known["reference"].reference
    for text in ("Siobhan", "+447700900001", "SO163QB", reference[2:], reference[:6], "F-0"):
        response = outsider_client.post(reverse("families:search"), {"q": text}, headers={"HX-Request": "true"})
        page = response.content.decode()
        assert "No family found" in page
        assert not re.search(r"F-\d{6}", page), text


@pytest.mark.django_db
def test_several_matches_say_how_many_and_one_match_says_enter_opens_it(cast, key_worker_client):
    add_family(cast.key_worker, cast.family.team, carer=("Dami", "Okafor"))
    response = key_worker_client.post(reverse("families:search"), {"q": "okafor"}, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert "2 families match: use the arrow keys to choose one." in page
    assert 'data-q="okafor"' in page
    response = key_worker_client.post(reverse("families:search"), {"q": "Tyler"}, headers={"HX-Request": "true"})
    assert "1 family found: press Enter to open it." in response.content.decode()


@pytest.mark.django_db
def test_more_families_than_are_shown_says_so(cast, key_worker_client):
    for n in range(selectors.SEARCH_LIMIT):
        add_family(cast.key_worker, cast.family.team, carer=(f"Parent{n}", "Okafor"))
    results = selectors.family_search(cast.key_worker, "Okafor")
    assert len(results.families) == selectors.SEARCH_LIMIT
    assert results.more
    response = key_worker_client.post(reverse("families:search"), {"q": "Okafor"}, headers={"HX-Request": "true"})
    assert f"More than {selectors.SEARCH_LIMIT} families match" in response.content.decode()


@pytest.mark.django_db
def test_no_family_found_offers_to_add_one_without_the_text_in_a_url(cast, key_worker_client):
    response = key_worker_client.post(
        reverse("families:search"), {"q": "+44 7700 900555"}, headers={"HX-Request": "true"}
    )
    page = response.content.decode()
    assert "No family found" in page
    form = re.search(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', page, re.S)
    assert form.group(1) == reverse("families:create")
    assert 'name="q" value="+44 7700 900555"' in form.group(2)
    assert 'name="from_search"' in form.group(2)
    assert "900555" not in "".join(re.findall(r'(?:href|action)="([^"]*)"', page))


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["Okafor", "Joanne Oka", "+447700900001", "07700 9", "SO163QB", "F-0", "000001"])
def test_search_runs_the_same_number_of_queries_whatever_the_data(cast, text):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            selectors.family_search(cast.key_worker, text)
        return len(captured)

    team = cast.family.team
    for n in range(3):
        add_family(cast.key_worker, team, carer=(f"Jo{n}", "Okafor"), phone=f"07700 90000{n}", postcode="SO16 3QB")
    small = queries()
    for n in range(3, 25):
        add_family(cast.key_worker, team, carer=(f"Jo{n}", "Okafor"), phone=f"07700 9000{n:02d}", postcode="SO16 3QB")
    # The families (one statement with its matching subquery) and, when some match, their people.
    assert small == queries() <= 2


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("07700 900001", "7700900001"),
        ("+44 7700 900001", "7700900001"),
        ("+447700900001", "7700900001"),
        ("447700900001", "7700900001"),
        ("0044 7700 900001", "7700900001"),
        ("+44 (0)7700 900001", "7700900001"),
        ("0121 496 0000", "1214960000"),
        ("07700 9", "77009"),  # the start of a number keeps its digits without the 0
        ("+44 7700", "7700"),
        ("", ""),
    ],
)
def test_phone_key_is_the_national_number_however_it_is_written(written, key):
    assert phone_key(written) == key


def test_a_whole_number_is_shown_in_national_form_and_anything_else_as_typed():
    assert phone_for_display("+447700900001") == "07700 900001"
    assert phone_for_display("07700 9") == "07700 9"
    validate_uk_phone(phone_for_display("+447700900001"))  # what the search carries over is accepted


@pytest.mark.parametrize(
    ("name", "key"),
    [("Siobhán", "siobhan"), ("SIOBHAN", "siobhan"), ("O'Brien", "obrien"), ("O’Brien", "obrien"),
     ("Smith-Jones", "smithjones"), ("Zoë", "zoe"), ("Łukasz", "lukasz"), ("Straße", "strasse"), ("محمد", "محمد")],
)
def test_name_key_ignores_case_accents_and_punctuation_and_keeps_other_scripts(name, key):
    assert name_key(name) == key


@pytest.mark.django_db
def test_people_saved_by_the_service_get_their_keys(cast):
    family = add_family(cast.key_worker, cast.family.team, carer=("Zoë", "O’Connor-Smith"), phone="+44 7700 900321",
                        postcode="so16 3qb")
    carer = family.people.get(kind=Person.Kind.CARER)
    keys = (carer.first_name_key, carer.last_name_key, carer.full_name_key)
    assert keys == ("zoe", "oconnorsmith", "zoeoconnorsmith")
    assert carer.phone_digits == "7700900321"
    family.refresh_from_db()
    assert family.postcode_key == "SO163QB"


@pytest.mark.django_db
def test_editing_the_postcode_moves_its_key(cast):
    services.family_update(user=cast.key_worker, family=_with_postcode(cast.family, "LS1 4AP"),
                           expected_version=cast.family.version)
    assert Family.objects.get(pk=cast.family.pk).postcode_key == "LS14AP"
    assert cast.family.reference in found(cast.key_worker, "ls14ap")


def _with_postcode(family, postcode):
    family = Family.objects.get(pk=family.pk)
    family.postcode = postcode
    return family


@pytest.mark.django_db
def test_the_migration_fills_the_keys_of_existing_rows(cast):
    family = add_family(cast.key_worker, cast.family.team, carer=("Siobhán", "O'Brien"), phone="+44 7700 900777",
                        postcode="SO16 3QB")
    expected = {
        person.pk: (person.phone_digits, person.first_name_key, person.last_name_key, person.full_name_key)
        for person in Person.objects.all()
    }
    # As rows were before the migration: no keys, and the phone digits kept in their old national form.
    Person.objects.update(phone_digits="07700900777", first_name_key="", last_name_key="", full_name_key="")
    Family.objects.update(postcode_key="")
    assert not found(cast.key_worker, "Siobhan")

    search_keys_migration.fill_search_keys(django_apps, connection.schema_editor())

    filled = {
        person.pk: (person.phone_digits, person.first_name_key, person.last_name_key, person.full_name_key)
        for person in Person.objects.all()
    }
    # The same keys the service gives (the phone of people without one is left empty).
    assert {pk: keys[1:] for pk, keys in filled.items()} == {pk: keys[1:] for pk, keys in expected.items()}
    assert filled[family.people.get(kind=Person.Kind.CARER).pk][0] == "7700900777"
    assert Family.objects.get(pk=family.pk).postcode_key == "SO163QB"
    assert Family.objects.get(pk=cast.family.pk).postcode_key == "B11AA"
    assert found(cast.key_worker, "siobhan o brien") == [family.reference]


@pytest.mark.django_db
def test_the_migration_works_in_batches(cast, monkeypatch):
    monkeypatch.setattr(search_keys_migration, "BATCH_SIZE", 2)
    for n in range(5):
        add_family(cast.key_worker, cast.family.team, carer=(f"Ciarán{n}", "Ó Súilleabháin"))
    Person.objects.update(first_name_key="", last_name_key="", full_name_key="")
    search_keys_migration.fill_search_keys(django_apps, connection.schema_editor())
    assert not Person.objects.filter(first_name_key="").exists()
    assert set(Person.objects.filter(first_name__startswith="Ciarán").values_list("last_name_key", flat=True)) == {
        "osuilleabhain"
    }


@pytest.mark.django_db
def test_family_page_heading_shows_the_names(cast, key_worker_client):
    response = key_worker_client.get(cast.family.get_absolute_url())
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", response.content.decode(), re.S).group(1)
    assert heading.startswith(f"{cast.family.reference} · Joanne Okafor and Tyler Okafor")


@pytest.mark.django_db
def test_heading_of_a_family_of_three_without_surnames(cast, key_worker_client):
    family = add_family(cast.key_worker, cast.family.team, carer=("Precious", ""), child=("Kai", ""))
    services.person_add(user=cast.key_worker, family=family, person=Person(kind=Person.Kind.CARER, first_name="Sam"))
    response = key_worker_client.get(family.get_absolute_url())
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", response.content.decode(), re.S).group(1)
    assert heading.startswith(f"{family.reference} · Precious, Sam and Kai")


@pytest.mark.django_db
def test_a_person_without_a_surname_has_no_trailing_space():
    assert Person(first_name="Precious", last_name="").full_name == "Precious"
    assert Person(first_name="Precious", last_name="Okafor").full_name == "Precious Okafor"


@pytest.mark.django_db
def test_other_teams_are_not_searched_even_with_many_families(cast):
    other_team = TeamFactory()
    for _ in range(5):
        FamilyFactory(team=other_team, postcode="SO16 3QB")
    assert not found(cast.key_worker, "SO16")


@pytest.mark.django_db
def test_a_key_longer_than_its_name_still_fits_its_column(cast):
    """ "ß" gives "ss": on PostgreSQL a key longer than the column would stop the save."""
    family = add_family(cast.key_worker, cast.family.team, carer=("ß" * 80, "ß" * 80))
    carer = family.people.get(kind=Person.Kind.CARER)
    assert carer.first_name_key == "s" * 80
    assert len(carer.full_name_key) == 160
