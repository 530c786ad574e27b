"""The anonymised research export (reports.research): nothing that names anyone in any cell, every
group of the describing columns at least k families, coarser rows and left-out families counted and
stated, new identifiers every time, administrators only, recorded and audited, a fixed number of
queries."""

import csv
import io
import re
import zipfile
from datetime import UTC, date, datetime

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from families.models import Family, Person, Role
from outcomes.models import CheckIn
from referrals.models import Milestone
from reports import research
from reports.models import ResearchExport
from tests.conftest import client_for
from tests.factories import (
    ChildFactory,
    ContactFactory,
    FamilyFactory,
    LocalAuthorityFactory,
    MembershipFactory,
    MilestoneRecordFactory,
    PersonFactory,
    ReferralFactory,
    TeamFactory,
    exploitation_type,
    support_category,
)
from tests.outcomes.factories import CheckInFactory

URL = "/reports/research-export/"
ALL_FIELDS = [f.key for f in research.FIELDS]
QI_HEADERS = {qi.header for qi in research.QUASI_IDENTIFIERS.values()}
DATE_PATTERNS = [
    re.compile(r"\d{4}-\d{1,2}-\d{1,2}"),
    re.compile(r"\d{1,2}/\d{1,2}/\d{2,4}"),
    re.compile(r"\b\d{1,2}(st|nd|rd|th)? (January|February|March|April|May|June|July|August|September|October|"
               r"November|December)\b", re.IGNORECASE),
]


def at(year, month, day, hour=11):
    return datetime(year, month, day, hour, tzinfo=UTC)


MARCH_2025 = at(2025, 3, 10)
TEENAGER = date(2011, 2, 17)


@pytest.fixture
def administrator(db):
    return MembershipFactory(role=Role.ADMINISTRATOR).user


@pytest.fixture
def team(db):
    return TeamFactory()


def family_in(team, *, first_contact=MARCH_2025, local_authority=None, children=(TEENAGER,),
              closed_on=None, source=Family.Source.SELF, **extra):
    closed = {"status": Family.Status.CLOSED, "closure_reason": Family.ClosureReason.SUPPORT_COMPLETE,
              "closed_on": closed_on} if closed_on else {}
    family = FamilyFactory(team=team, local_authority=local_authority or team.local_authority,
                           created_at=first_contact, source=source, **closed, **extra)
    PersonFactory(family=family)
    for born in children:
        ChildFactory(family=family, date_of_birth=born)
    return family


def form_data(**overrides):
    data = {"from_month": "1", "from_year": "2025", "to_month": "12", "to_year": "2025", "status": "",
            "k": "5", "fields": ALL_FIELDS}
    data.update(overrides)
    return data


def unzipped(response):
    assert response.status_code == 200, response.content[:2000]
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(archive.namelist()) == ["README.txt", "data.csv"]
    table = list(csv.reader(io.StringIO(archive.read("data.csv").decode("utf-8-sig"))))
    return table[0], table[1:], archive.read("README.txt").decode("utf-8")


def export(client, **overrides):
    return unzipped(client.post(URL, form_data(**overrides)))


def groups(header, rows):
    """The rows' groups on the quasi-identifier columns, as the file shows them: their sizes."""
    positions = [index for index, name in enumerate(header) if name in QI_HEADERS]
    sizes = {}
    for row in rows:
        key = tuple(row[index] for index in positions)
        sizes[key] = sizes.get(key, 0) + 1
    return sizes


# ------------------------------------------------------------------ nothing that names anyone


def test_no_direct_identifier_in_any_cell(administrator, team):
    families = []
    for number in range(6):
        family = family_in(team, address=f"{number + 17} Marmalade Lane, Quillbury", postcode="ZZ9 9ZZ",
                           reference=f"F-7731{number:02d}")
        PersonFactory(family=family, first_name="Zebedee", last_name=f"Quillfeather{number}",
                      phone=f"07700 9001{number:02d}", email=f"quillfeather{number}@example.net")
        child = family.people.get(kind=Person.Kind.CHILD)
        child.first_name, child.last_name, child.school = "Ottoline", "Marchbanks", "Quillbury Academy"
        child.additional_needs = "Loves the xylophone"
        child.save()
        child.exploitation_types.add(exploitation_type("cce"))
        call = ContactFactory(family=family, occurred_at=at(2025, 3, 12, 14),
                              summary="Spoke about the xylophone lessons and the Quillbury park")
        call.support_given.add(support_category("listening"))
        referral = ReferralFactory(family=family, csc_reference="CSC-55501", summary="Xylophone worries")
        MilestoneRecordFactory(referral=referral, occurred_at=at(2025, 3, 14), note="Rang the Quillbury desk")
        MilestoneRecordFactory(referral=referral, milestone=Milestone.DECISION, occurred_at=at(2025, 3, 19))
        CheckInFactory(family=family, parent=family.people.filter(kind=Person.Kind.CARER).first(),
                       asked_on=date(2025, 3, 12))
        families.append(family)

    header, rows, readme = export(client_for(administrator))

    assert len(rows) == 6, "every family is in one group of six, so all are exported"
    words = ["Zebedee", "Quillfeather", "Ottoline", "Marchbanks", "Quillbury", "Marmalade", "xylophone", "ZZ9",
             "07700", "example.net", "F-7731", "CSC-55501", "@"]
    cells = [cell for row in [header, *rows] for cell in row]
    for cell in cells:
        for word in words:
            assert word.lower() not in cell.lower(), (word, cell)
        for pattern in DATE_PATTERNS:
            assert not pattern.search(cell), (pattern.pattern, cell)
    for word in words:
        assert word.lower() not in readme.lower(), word
    for family in families:
        assert family.reference not in readme
    # The dates that were there, to the month only.
    assert {row[header.index("First supported")] for row in rows} == {"March 2025"}
    assert {row[header.index("Children's ages at first contact")] for row in rows} == {"14–15"}
    assert {row[header.index("Working days from the first referral to its decision")] for row in rows} == {"2–5"}


def test_identifiers_are_new_every_export_and_not_the_records_own(administrator, team):
    families = [family_in(team) for _ in range(6)]
    client = client_for(administrator)

    _, first, _ = export(client)
    _, second, _ = export(client)

    first_ids, second_ids = [row[0] for row in first], [row[0] for row in second]
    assert len(set(first_ids)) == len(first_ids) == 6
    assert not set(first_ids) & set(second_ids)
    ours = {str(f.pk) for f in families} | {f.reference for f in families}
    for identifier in first_ids + second_ids:
        assert re.fullmatch(r"[0-9a-f]{16}", identifier)
        assert identifier not in ours
        assert not any(identifier.endswith(str(f.pk)) and len(str(f.pk)) > 3 for f in families)
    # In the order of the identifiers, not of the records.
    assert first_ids == sorted(first_ids)


# ------------------------------------------------------------------ k-anonymity


def test_every_group_of_the_describing_columns_has_at_least_k_families(administrator):
    authorities = [LocalAuthorityFactory() for _ in range(3)]
    teams = [TeamFactory(local_authority=authority) for authority in authorities]
    sources = [Family.Source.SELF, Family.Source.POLICE, Family.Source.SCHOOL]
    for number in range(60):
        family = family_in(
            teams[number % 3], first_contact=at(2025, 1 + number % 12, 1 + number % 27),
            children=[date(2008 + number % 9, 1 + number % 12, 3)] * (1 + number % 3),
            source=sources[number % 7 % 3],
            closed_on=date(2025, 12, 1 + number % 20) if number % 4 == 0 else None,
        )
        if number % 5:
            family.people.filter(kind=Person.Kind.CHILD).first().exploitation_types.add(
                exploitation_type("cce" if number % 2 else "cse"))
    client = client_for(administrator)

    for k in (5, 8):
        header, rows, readme = export(client, k=str(k))
        sizes = groups(header, rows)
        assert rows, "some families are exported"
        assert min(sizes.values()) >= k, sizes
        recorded = ResearchExport.objects.latest("pk")
        assert recorded.k == k
        assert recorded.rows_exported == len(rows)
        assert recorded.rows_exported + recorded.rows_left_out == recorded.families_chosen == 60
        assert f"k = {k}" in readme
        assert f"{recorded.rows_left_out:,} famil" in readme


def test_small_groups_are_made_coarser_then_left_out_and_the_file_says_how_many(administrator, team):
    elsewhere = LocalAuthorityFactory(name="Otherborough")
    for _ in range(5):
        family_in(team, first_contact=at(2025, 3, 10))
    for _ in range(3):
        family_in(team, first_contact=at(2025, 1, 20))
    for _ in range(2):
        family_in(team, first_contact=at(2025, 2, 5))
    alone = family_in(team, first_contact=at(2025, 6, 2), local_authority=elsewhere)

    header, rows, readme = export(client_for(administrator), fields=["local_authority", "first_supported", "calls"])

    assert header == [research.IDENTIFIER_HEADER, "Local authority", "First supported", "Calls"]
    shown = sorted(row[2] for row in rows)
    assert shown == ["January to March 2025"] * 5 + ["March 2025"] * 5
    assert "Otherborough" not in {row[1] for row in rows}
    recorded = ResearchExport.objects.get()
    assert (recorded.families_chosen, recorded.rows_exported, recorded.rows_left_out) == (11, 10, 1)
    assert (recorded.rows_generalised, recorded.groups_generalised) == (5, 3)
    assert "11 families matched. 10 rows exported (one per family) in data.csv; 1 family left out." in readme
    assert "5 rows (from 3 groups of fewer than 5 families) show some of those columns coarser" in readme
    assert "Shown as: 5 rows by month, 5 rows by quarter." in readme
    assert not LogEntry.objects.filter(object_id=alone.pk, additional_data__read="export").exists()


def test_k_is_raised_on_the_form_but_never_below_the_setting(administrator, team, settings):
    settings.RESEARCH_EXPORT_K = 6
    for _ in range(6):
        family_in(team)
    client = client_for(administrator)

    refused = client.post(URL, form_data(k="5", from_year="2025"))

    assert refused.status_code == 200
    assert refused.context["form"].errors["k"] == ["k must be from 6 (the service's setting) to 100."]
    assert 'value="5"' in refused.content.decode()
    assert not ResearchExport.objects.exists()
    _, rows, readme = export(client, k="6")
    assert len(rows) == 6 and "k = 6" in readme


def test_a_period_that_ends_before_it_starts_is_refused_next_to_the_field(administrator):
    response = client_for(administrator).post(URL, form_data(from_month="6", to_month="3"))

    assert response.status_code == 200
    assert response.context["form"].errors["to_year"] == ["The last month cannot be before the first."]


def test_when_every_family_would_be_left_out_nothing_is_exported(administrator, team):
    for _ in range(3):
        family_in(team)

    response = client_for(administrator).post(URL, form_data())

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "None of the 3 families chosen could be exported without a group of fewer than 5: choose more families, "
        "or fewer of the fields that describe them (marked as describing a family)."
    ]
    assert not ResearchExport.objects.exists()


def test_too_many_families_are_refused(administrator, team, monkeypatch):
    monkeypatch.setattr(research, "MAX_FAMILIES", 4)
    for _ in range(5):
        family_in(team)

    response = client_for(administrator).post(URL, form_data())

    assert "More than 4 families match what was chosen." in response.context["form"].non_field_errors()[0]


# ------------------------------------------------------------------ which families, which facts


def test_chosen_by_team_status_and_month_of_first_contact_anonymised_families_included(administrator, team,
                                                                                        settings):
    settings.RESEARCH_EXPORT_K = 2
    other_team = TeamFactory()
    in_period = [family_in(team, first_contact=at(2025, 4, 1)) for _ in range(4)]
    anonymised = [family_in(team, first_contact=at(2025, 4, 2), children=[None], anonymised_at=at(2026, 1, 1))
                  for _ in range(2)]
    # The first call, before the record was made, is when they first came to us.
    called_first = family_in(team, first_contact=at(2026, 2, 1))
    ContactFactory(family=called_first, occurred_at=at(2025, 5, 3))
    family_in(team, first_contact=at(2026, 1, 5))  # after the period
    family_in(other_team, first_contact=at(2025, 4, 1))
    family_in(team, first_contact=at(2025, 4, 1), closed_on=date(2025, 9, 1))  # closed

    header, rows, _ = export(client_for(administrator), teams=[str(team.pk)], status="open",
                             fields=["status", "calls", "age_bands"], k="2")

    assert len(rows) == 7
    assert {row[header.index("Status")] for row in rows} == {"Open"}
    ages = sorted(row[header.index("Children's ages at first contact")] for row in rows)
    # Born 17 February 2011: 14 on 1 April 2025 and on the first call, 3 May 2025 (not 2026).
    assert ages == ["14–15"] * 5 + ["Age not known"] * 2
    assert sorted(row[header.index("Calls")] for row in rows) == ["0"] * 6 + ["1"]
    exported = set(LogEntry.objects.filter(additional_data__read="export").values_list("object_id", flat=True))
    assert exported == {f.pk for f in [*in_period, *anonymised, called_first]}


def test_first_and_latest_ratings_and_working_days_to_the_first_decision(db, team):
    family = family_in(team)
    parent = family.people.get(kind=Person.Kind.CARER)
    other_parent = PersonFactory(family=family)
    CheckInFactory(family=family, parent=parent, asked_on=date(2025, 3, 12), confidence=2, wellbeing=None)
    CheckInFactory(family=family, parent=other_parent, asked_on=date(2025, 4, 1), confidence=5)
    review = CheckIn.Occasion.REVIEW
    CheckInFactory(family=family, parent=parent, asked_on=date(2025, 6, 12), confidence=3, understanding=None,
                   occasion=review)
    CheckInFactory(family=family, parent=parent, asked_on=date(2025, 9, 12), confidence=4, understanding=None,
                   occasion=review)
    later = ReferralFactory(family=family)
    MilestoneRecordFactory(referral=later, occurred_at=at(2025, 8, 1))
    first = ReferralFactory(family=family)
    # Friday 14 March to Friday 28 March 2025: ten working days.
    MilestoneRecordFactory(referral=first, occurred_at=at(2025, 3, 14))
    MilestoneRecordFactory(referral=first, milestone=Milestone.DECISION, occurred_at=at(2025, 3, 28))
    criteria = research.Criteria(first_month=date(2025, 1, 1), last_month=date(2025, 12, 1), k=5,
                                 fields=("referrals", "outcomes", "calls"))

    [facts] = research.family_facts(criteria)

    assert facts.ratings == {"confidence": (2, 4), "understanding": (3, None), "wellbeing": (3, 3)}
    assert facts.referrals == 2
    assert facts.first_referral_decision == "6–20"


def test_grouping_with_no_describing_field_is_one_group(db):
    facts = [research.Facts(family_id=number) for number in range(4)]

    assert research.k_anonymise(facts, [], 5).left_out == 4
    assert len(research.k_anonymise(facts, [], 4).kept) == 4


# ------------------------------------------------------------------ who may, and what is recorded


def test_everyone_but_administrators_is_refused(cast, team):
    plo = MembershipFactory(team=cast.family.team, role=Role.PLO).user
    for user in (cast.key_worker, cast.teammate, cast.manager, cast.outsider, plo):
        client = client_for(user)
        assert client.get(URL).status_code == 404, user
        assert client.post(URL, form_data()).status_code == 404, user
    anonymous = client_for(None).get(URL)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("login"))
    assert not ResearchExport.objects.exists()


def test_the_export_is_recorded_and_each_family_exported_has_it_in_its_history(administrator, team):
    families = [family_in(team) for _ in range(5)]

    _, rows, _ = export(client_for(administrator), fields=["local_authority", "outcomes"])

    recorded = ResearchExport.objects.get()
    assert recorded.made_by == administrator
    assert recorded.fields == ["local_authority", "outcomes"]
    assert (recorded.k, recorded.families_chosen, recorded.rows_exported, recorded.rows_left_out) == (5, 5, 5, 0)
    assert recorded.chosen_by == ("Teams: all; Local authorities: all; Status: open or closed; "
                                  "First supported from January 2025 to December 2025")
    event = LogEntry.objects.get(content_type=ContentType.objects.get_for_model(ResearchExport),
                                 object_id=recorded.pk)
    assert event.actor == administrator
    assert event.additional_data["event"] == research.EVENT
    assert event.additional_data["rows_exported"] == 5
    reads = LogEntry.objects.filter(action=LogEntry.Action.ACCESS, additional_data__read="export")
    assert sorted(reads.values_list("object_id", flat=True)) == sorted(f.pk for f in families)
    identifiers = {row[0] for row in rows}
    for read in reads:
        assert read.actor == administrator
        assert read.additional_data["family_id"] == read.object_id
        assert read.additional_data["what"] == research.READ_WHAT
        assert not identifiers & set(map(str, read.additional_data.values()))

    page = client_for(administrator).get(URL)
    assert page.status_code == 200
    assert "Teams: all; Local authorities: all" in page.content.decode()


def _seed(count, team):
    for number in range(count):
        family = family_in(team, first_contact=at(2025, 1 + number % 3, 4), closed_on=date(2025, 11, 3)
                           if number % 2 else None)
        child = family.people.get(kind=Person.Kind.CHILD)
        child.exploitation_types.add(exploitation_type("cce"))
        call = ContactFactory(family=family, occurred_at=at(2025, 4, 1))
        call.support_given.add(support_category("listening"))
        referral = ReferralFactory(family=family)
        MilestoneRecordFactory(referral=referral, occurred_at=at(2025, 4, 2))
        MilestoneRecordFactory(referral=referral, milestone=Milestone.DECISION, occurred_at=at(2025, 4, 3))
        CheckInFactory(family=family, parent=family.people.filter(kind=Person.Kind.CARER).first())


def _queries_to_export(client):
    with CaptureQueriesContext(connection) as queries:
        unzipped(client.post(URL, form_data()))
    return len(queries)


def test_the_number_of_queries_is_the_same_for_10_and_40_families(administrator, team, django_assert_num_queries):
    client = client_for(administrator)
    _seed(10, team)
    with_ten = _queries_to_export(client)
    assert ResearchExport.objects.get().rows_exported == 10
    _seed(30, team)

    with django_assert_num_queries(with_ten):
        unzipped(client.post(URL, form_data()))
    assert ResearchExport.objects.latest("pk").rows_exported == 40


def test_the_page_runs_a_fixed_number_of_queries(administrator, team, django_assert_num_queries):
    client = client_for(administrator)
    _seed(10, team)
    unzipped(client.post(URL, form_data()))
    with CaptureQueriesContext(connection) as first:
        client.get(URL)
    queries = len(first)  # now: the next request empties the log it reads
    for _ in range(3):
        unzipped(client.post(URL, form_data()))
    TeamFactory()

    with django_assert_num_queries(queries):
        response = client.get(URL)
    assert response.status_code == 200


def test_first_contact_months_are_london_months(db, team):
    # 23:30 UTC on 31 May 2025 is 00:30 on 1 June in London (summer time).
    family_in(team, first_contact=datetime(2025, 5, 31, 23, 30, tzinfo=UTC))
    criteria = research.Criteria(first_month=date(2025, 6, 1), last_month=date(2025, 6, 1), k=5, fields=("status",))

    [facts] = research.family_facts(criteria)

    assert facts.first_supported == date(2025, 6, 1)
    assert research.QUASI_IDENTIFIERS["first_supported"].levels[1](facts) == "April to June 2025"
