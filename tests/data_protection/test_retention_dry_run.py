"""The retention run's dry run: which closed families are due under the closed family rule, worked
out in the database, and the figures an administrator reads before anything is removed."""

import random
from datetime import UTC, date, datetime, timedelta
from html import unescape
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from data_protection import services
from data_protection.models import LegalHold, RetentionRule
from data_protection.retention import dry_run, families_due
from data_protection.rules import keep_until
from families.models import Family, Person, Role
from safety_plans.models import IntelligenceEntry, SafetyPlan
from tests.conftest import client_for
from tests.factories import (
    ChildFactory,
    ContactFactory,
    FamilyFactory,
    MembershipFactory,
    PersonFactory,
    ReferralFactory,
    UserFactory,
)
from tests.meetings.factories import MeetingFactory

Kind = RetentionRule.Kind
StartsFrom = RetentionRule.StartsFrom
LONG_AGO = datetime(2010, 1, 1, 12, tzinfo=UTC)


@pytest.fixture
def administrator(db):
    return MembershipFactory(role=Role.ADMINISTRATOR).user


def closed_family(*, last_call=None, born=(), created_at=LONG_AGO, closed_on=date(2012, 1, 1), carers=1):
    """A closed family with one carer, a child per date in ``born`` (None: no date of birth), and
    one call at ``last_call`` (none if None)."""
    family = FamilyFactory(status=Family.Status.CLOSED, closure_reason=Family.ClosureReason.SUPPORT_COMPLETE,
                           closed_on=closed_on, created_at=created_at)
    for _ in range(carers):
        PersonFactory(family=family)
    for day in born:
        ChildFactory(family=family, date_of_birth=day)
    if last_call is not None:
        ContactFactory(family=family, occurred_at=last_call)
    return family


def at_noon(day):
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def due_on(today):
    return set(families_due(today).values_list("pk", flat=True))


def family_rule(**periods):
    rule = RetentionRule.objects.get(kind=Kind.CLOSED_FAMILY)
    for name, value in periods.items():
        setattr(rule, name, value)
    rule.save()
    return rule


def hold_on(family, user):
    return services.hold_place(user=user, family=family, reason=LegalHold.Reason.PROSECUTION,
                               details="Crown Court trial listed", review_on=timezone.localdate() + timedelta(days=30))


# ------------------------------------------------------------------ which families are due


@pytest.mark.django_db
def test_a_family_is_due_on_its_retention_date_and_not_the_day_before():
    # The 25th birthday (10 March 2025) is later than six years after the last call (2 January 2024).
    family = closed_family(last_call=at_noon(date(2018, 1, 2)), born=[date(2000, 3, 10)])
    assert due_on(date(2025, 3, 9)) == set()
    assert due_on(date(2025, 3, 10)) == {family.pk}
    assert families_due(date(2025, 3, 10)).get().retention_on == date(2025, 3, 10)


@pytest.mark.django_db
def test_whichever_period_ends_later_decides():
    recent_call = closed_family(last_call=at_noon(date(2020, 6, 15)), born=[date(1999, 1, 1)])
    young_child = closed_family(last_call=at_noon(date(2015, 6, 15)), born=[date(2001, 8, 20)])
    # The last call decides the first (15 June 2026), the child's 25th birthday the second (20 August 2026).
    assert due_on(date(2026, 6, 14)) == set()
    assert due_on(date(2026, 6, 15)) == {recent_call.pk}
    assert due_on(date(2026, 8, 19)) == {recent_call.pk}
    assert due_on(date(2026, 8, 20)) == {recent_call.pk, young_child.pk}


@pytest.mark.django_db
def test_the_youngest_child_decides():
    family = closed_family(last_call=at_noon(date(2010, 5, 1)), born=[date(1995, 1, 1), date(2002, 4, 30)])
    assert due_on(date(2027, 4, 29)) == set()
    assert due_on(date(2027, 4, 30)) == {family.pk}


@pytest.mark.django_db
def test_the_last_call_counts_by_its_day_in_uk_time():
    # 23:30 UTC on 30 June 2019 is 00:30 on 1 July in British Summer Time.
    family = closed_family(last_call=datetime(2019, 6, 30, 23, 30, tzinfo=UTC), born=[date(1990, 1, 1)])
    assert due_on(date(2025, 6, 30)) == set()
    assert due_on(date(2025, 7, 1)) == {family.pk}


@pytest.mark.django_db
def test_with_no_call_the_family_counts_from_the_day_it_was_added():
    family = closed_family(created_at=at_noon(date(2019, 9, 3)), born=[date(1990, 1, 1)])
    assert due_on(date(2025, 9, 2)) == set()
    assert due_on(date(2025, 9, 3)) == {family.pk}


@pytest.mark.django_db
def test_a_child_with_no_date_of_birth_keeps_the_family():
    kept = closed_family(last_call=at_noon(date(2010, 1, 1)), born=[date(1990, 1, 1), None])
    no_child = closed_family(last_call=at_noon(date(2010, 1, 1)))
    gone = closed_family(last_call=at_noon(date(2010, 1, 1)), born=[date(1990, 1, 1)])
    assert due_on(date(2030, 1, 1)) == {gone.pk}
    family_rule(or_starts_from="")  # six years after the last contact, birthdays not counted
    assert due_on(date(2030, 1, 1)) == {kept.pk, no_child.pk, gone.pk}


@pytest.mark.django_db
def test_an_open_family_is_never_due():
    family = FamilyFactory(created_at=LONG_AGO)
    ChildFactory(family=family, date_of_birth=date(1980, 1, 1))
    ContactFactory(family=family, occurred_at=LONG_AGO)
    assert due_on(date(2060, 1, 1)) == set()


@pytest.mark.django_db
def test_a_child_born_on_29_february_is_25_on_1_march_in_a_common_year():
    family = closed_family(last_call=at_noon(date(2010, 1, 1)), born=[date(2004, 2, 29)])
    assert due_on(date(2029, 2, 28)) == set()
    assert due_on(date(2029, 3, 1)) == {family.pk}
    leap = closed_family(last_call=at_noon(date(2010, 1, 1)), born=[date(2003, 2, 28)])
    assert date(2028, 2, 28) == families_due(date(2028, 2, 28)).get(pk=leap.pk).retention_on


@pytest.mark.django_db
def test_a_period_ending_on_a_day_the_month_lacks_ends_on_the_first_of_the_next():
    call_on_29_february = closed_family(last_call=at_noon(date(2020, 2, 29)), born=[date(1990, 1, 1)])
    call_on_31_january = closed_family(last_call=at_noon(date(2019, 1, 31)), born=[date(1990, 1, 1)])
    assert families_due(date(2030, 1, 1)).get(pk=call_on_29_february.pk).retention_on == date(2026, 3, 1)
    family_rule(years=6, months=1)  # 31 February 2025
    retention_on = families_due(date(2030, 1, 1)).get(pk=call_on_31_january.pk).retention_on
    assert retention_on == date(2025, 3, 1)
    family_rule(years=6, months=3)  # 31 April
    assert families_due(date(2030, 1, 1)).get(pk=call_on_31_january.pk).retention_on == date(2025, 5, 1)


@pytest.mark.django_db
def test_a_held_family_is_not_due_but_counted_as_held(administrator):
    held = closed_family(last_call=at_noon(date(2010, 1, 1)), born=[date(1990, 1, 1)])
    due = closed_family(last_call=at_noon(date(2010, 1, 1)), born=[date(1990, 1, 1)])
    hold_on(held, administrator)
    assert due_on(date(2030, 1, 1)) == {due.pk}
    result = dry_run(date(2030, 1, 1))
    assert (result.families, result.held) == (1, 1)
    held.legal_holds.update(lifted_at=timezone.now(), lifted_by=administrator, lift_reason="Trial over")
    assert due_on(date(2030, 1, 1)) == {due.pk, held.pk}


# ------------------------------------------------------------------ SQL and Python agree

BIRTHS = [date(2001, 2, 28), date(2000, 2, 29), date(1999, 12, 31), date(2002, 7, 31), date(1998, 3, 31), None]
CALLS = [date(2016, 2, 29), date(2017, 1, 31), date(2018, 8, 31), date(2019, 10, 31), date(2020, 3, 1)]
RULES = [
    {},  # the default: 6 years after the last contact, or the youngest child's 25th birthday
    {"years": 6, "months": 1, "starts_from": StartsFrom.LAST_CONTACT, "or_starts_from": ""},
    {"years": 3, "months": 11, "starts_from": StartsFrom.CLOSURE, "or_years": 0, "or_months": 1,
     "or_starts_from": StartsFrom.EIGHTEENTH_BIRTHDAY},
    {"years": 7, "months": 0, "starts_from": StartsFrom.OWN_DATE, "or_starts_from": ""},
    {"years": 2, "months": 6, "starts_from": StartsFrom.TWENTY_FIFTH_BIRTHDAY, "or_years": 5, "or_months": 0,
     "or_starts_from": StartsFrom.LAST_CONTACT},
]


@pytest.mark.django_db
@pytest.mark.parametrize("periods", RULES)
def test_the_database_and_keep_until_agree_family_by_family(periods):
    chosen = random.Random(14)  # noqa: S311 - made-up test data, the same every run
    for _ in range(40):
        born = chosen.sample(BIRTHS, chosen.randint(0, 2))
        last_call = chosen.choice([*CALLS, None])
        closed_family(
            last_call=at_noon(last_call) + timedelta(hours=chosen.choice([0, 11, -12])) if last_call else None,
            born=born, carers=0, created_at=at_noon(chosen.choice(CALLS)) - timedelta(days=400),
            closed_on=chosen.choice(CALLS),
        )
    rule = family_rule(**periods)
    for today in (date(2024, 2, 29), date(2025, 3, 1), date(2026, 2, 28), date(2026, 3, 1), date(2027, 1, 1)):
        expected = set()
        for family in Family.objects.filter(status=Family.Status.CLOSED).prefetch_related("people", "contacts"):
            calls = [contact.occurred_at for contact in family.contacts.all()]
            retention_on = keep_until(
                rule, last_contact=max(calls, default=family.created_at), closed_on=family.closed_on,
                birth_dates=[child.date_of_birth for child in family.people.all() if child.is_child],
                own_date=family.created_at,
            )
            if retention_on is not None and retention_on <= today:
                expected.add(family.pk)
        assert due_on(today) == expected, today


# ------------------------------------------------------------------ the dry run's figures


def family_with_records(user, *, records=1):
    family = closed_family(last_call=at_noon(date(2010, 1, 1)), born=[date(1990, 1, 1)])
    child = family.people.get(kind=Person.Kind.CHILD)
    for _ in range(records):
        ContactFactory(family=family, occurred_at=at_noon(date(2009, 6, 1)))
        ReferralFactory(family=family)
        MeetingFactory(family=family)
        IntelligenceEntry.objects.create(family=family, kind=IntelligenceEntry.Kind.VEHICLE, observed_at=LONG_AGO,
                                         description="A grey car outside school", source="Mum",
                                         recorded_by=user)
    SafetyPlan.objects.create(family=family, child=child, created_by=user)
    return family


@pytest.mark.django_db
def test_the_dry_run_counts_families_and_records_of_each_kind(administrator):
    user = UserFactory()
    family_with_records(user, records=1)
    family_with_records(user, records=2)
    hold_on(family_with_records(user, records=3), administrator)
    closed_family(last_call=at_noon(date(2029, 1, 1)), born=[date(1990, 1, 1)])  # not due yet
    result = dry_run(date(2030, 1, 1))
    assert (result.families, result.held) == (2, 1)
    counts = {kind.label: kind.records for kind in result.record_kinds}
    assert counts == {"People": 4, "Calls": 2 + 3, "Referrals to children's social care": 3, "Safety plans": 2,
                      "Intelligence entries": 3, "Meetings": 3}
    assert result.records == 4 + 5 + 3 + 2 + 3 + 3
    assert (result.oldest_retention_on, result.newest_retention_on) == (date(2016, 1, 1), date(2016, 1, 1))


@pytest.mark.django_db
def test_the_oldest_and_newest_retention_dates_among_those_due():
    closed_family(last_call=at_noon(date(2017, 5, 4)), born=[date(1990, 1, 1)])
    closed_family(last_call=at_noon(date(2012, 11, 30)), born=[date(1990, 1, 1)])
    closed_family(last_call=at_noon(date(2010, 1, 1)), born=[None])
    result = dry_run(date(2025, 1, 1))
    assert result.families == 2
    assert (result.oldest_retention_on, result.newest_retention_on) == (date(2018, 11, 30), date(2023, 5, 4))


@pytest.mark.django_db
def test_a_kind_whose_rule_no_longer_follows_the_family_is_not_counted():
    family_with_records(UserFactory())
    RetentionRule.objects.filter(kind=Kind.CALLS).update(years=10)
    calls = next(kind for kind in dry_run(date(2030, 1, 1)).record_kinds if kind.label == "Calls")
    assert (calls.follows_family, calls.records) == (False, None)


@pytest.mark.django_db
def test_nothing_due_gives_zero_figures():
    result = dry_run(date(2030, 1, 1))
    assert (result.families, result.held, result.records, result.oldest_retention_on) == (0, 0, 0, None)


def queries_of_dry_run_with(families_due_count):
    user = UserFactory()
    for _ in range(families_due_count):
        family_with_records(user)
    with CaptureQueriesContext(connection) as captured:
        result = dry_run(date(2030, 1, 1))
    assert result.families == families_due_count
    return len(captured)


@pytest.mark.django_db
def test_the_dry_run_takes_the_same_number_of_queries_for_2_and_20_families():
    with_two = queries_of_dry_run_with(2)
    Family.objects.filter(status=Family.Status.CLOSED).update(status=Family.Status.OPEN, closure_reason="",
                                                                 closed_on=None)
    assert queries_of_dry_run_with(20) == with_two == 4


# ------------------------------------------------------------------ the page and the command


def dry_run_url():
    return reverse("data_protection:retention_dry_run")


@pytest.mark.django_db
def test_everyone_but_administrators_gets_404(cast):
    for user in (cast.key_worker, cast.teammate, cast.manager, cast.outsider):
        assert client_for(user).get(dry_run_url()).status_code == 404, user
    anonymous = client_for(None).get(dry_run_url())
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_an_administrator_reads_what_would_go(administrator):
    user = UserFactory()
    family_with_records(user, records=2)
    hold_on(family_with_records(user), administrator)
    client = client_for(administrator)
    page = unescape(client.get(dry_run_url()).content.decode())
    assert "Retention: what would go" in page
    assert f"Worked out for {timezone.localdate():%-d %B %Y}" in page
    assert ("6 years after the family's last contact, or until the youngest child's 25th birthday, "
            "whichever is later") in page
    assert "1 closed family would be anonymised" in page
    assert "1 family is kept only because of a legal hold" in page
    assert "Nothing has been removed" in page
    assert "Approve and anonymise" in page
    assert dry_run_url() in unescape(client.get(reverse("data_protection:rules")).content.decode())


@pytest.mark.django_db
def test_the_page_shows_the_counts_of_each_kind(administrator):
    family_with_records(UserFactory(), records=2)
    response = client_for(administrator).get(dry_run_url())
    kinds = {kind.label: kind.records for kind in response.context["result"].record_kinds}
    assert kinds["Calls"] == 3
    page = " ".join(unescape(response.content.decode()).split())
    assert ('<th scope="row">Calls</th> <td>6 years after the family\'s last contact, or until the youngest '
            'child\'s 25th birthday, whichever is later: the same as its family</td> '
            '<td class="text-end">3</td>') in page


@pytest.mark.django_db
def test_the_command_prints_the_same_figures(administrator):
    family_with_records(UserFactory(), records=2)
    hold_on(closed_family(last_call=at_noon(date(2010, 1, 1)), born=[date(1990, 1, 1)]), administrator)
    out = StringIO()
    call_command("retention_dry_run", "--on", "2030-01-01", stdout=out)
    printed = out.getvalue()
    assert "Worked out for 1 January 2030" in printed
    assert "Families that would be anonymised: 1" in printed
    assert "Kept only because of a legal hold or an open subject access request: 1" in printed
    assert "Calls: 3" in printed
    assert "Nothing has been removed" in printed
