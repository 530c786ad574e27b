"""When a record may go under its retention rule: worked examples, and the defaults the system
starts with."""

from datetime import UTC, date, datetime

import pytest

from data_protection.models import RetentionRule
from data_protection.rules import keep_until, later_by, rule_in_words

Kind = RetentionRule.Kind
StartsFrom = RetentionRule.StartsFrom


def rule(years=0, months=0, starts_from=StartsFrom.LAST_CONTACT, or_years=0, or_months=0, or_starts_from=""):
    return RetentionRule(years=years, months=months, starts_from=starts_from, or_years=or_years,
                         or_months=or_months, or_starts_from=or_starts_from, reason="Test")


SIX_YEARS_OR_25 = rule(6, starts_from=StartsFrom.LAST_CONTACT, or_starts_from=StartsFrom.TWENTY_FIFTH_BIRTHDAY)


def test_six_years_after_last_contact_when_the_youngest_is_already_grown_up():
    # Last contact 3 March 2026; the child turns 25 on 10 May 2027: six years later is later.
    assert keep_until(SIX_YEARS_OR_25, last_contact=date(2026, 3, 3), birth_dates=[date(2002, 5, 10)]) == date(
        2032, 3, 3
    )


def test_the_youngest_childs_25th_birthday_when_that_is_later():
    # Two children: the younger (born 2014) turns 25 on 1 September 2039, after 3 March 2032.
    assert keep_until(
        SIX_YEARS_OR_25, last_contact=date(2026, 3, 3), birth_dates=[date(2009, 1, 20), date(2014, 9, 1)]
    ) == date(2039, 9, 1)


def test_an_unknown_date_of_birth_keeps_the_record():
    assert keep_until(SIX_YEARS_OR_25, last_contact=date(2026, 3, 3), birth_dates=[]) is None
    assert keep_until(SIX_YEARS_OR_25, last_contact=date(2026, 3, 3), birth_dates=[date(2002, 5, 10), None]) is None


def test_an_open_family_is_kept():
    after_closure = rule(6, starts_from=StartsFrom.CLOSURE)
    assert keep_until(after_closure, closed_on=None, last_contact=date(2026, 3, 3)) is None
    assert keep_until(after_closure, closed_on=date(2026, 4, 30)) == date(2032, 4, 30)


def test_born_on_29_february_turns_18_and_25_on_1_march_in_a_common_year():
    born = [date(2008, 2, 29)]
    assert keep_until(rule(starts_from=StartsFrom.EIGHTEENTH_BIRTHDAY), birth_dates=born) == date(2026, 3, 1)
    assert keep_until(rule(starts_from=StartsFrom.TWENTY_FIFTH_BIRTHDAY), birth_dates=born) == date(2033, 3, 1)
    # Three years after the 25th birthday is the 28th, in a leap year: the day itself.
    assert keep_until(rule(3, starts_from=StartsFrom.TWENTY_FIFTH_BIRTHDAY), birth_dates=born) == date(2036, 2, 29)


def test_years_after_29_february_and_months_into_a_shorter_month():
    assert later_by(date(2024, 2, 29), years=6) == date(2030, 3, 1)
    assert later_by(date(2024, 2, 29), years=4) == date(2028, 2, 29)
    assert later_by(date(2026, 1, 31), months=1) == date(2026, 3, 1)
    assert later_by(date(2026, 8, 31), years=1, months=3) == date(2027, 12, 1)
    assert later_by(date(2026, 11, 15), months=3) == date(2027, 2, 15)


def test_audit_entries_count_from_their_own_date_even_as_a_moment():
    seven_years = rule(7, starts_from=StartsFrom.OWN_DATE)
    # 23:30 UTC on 30 June is already 1 July in London (summer time).
    assert keep_until(seven_years, own_date=datetime(2026, 6, 30, 23, 30, tzinfo=UTC)) == date(2033, 7, 1)


def test_the_rule_in_words():
    assert rule_in_words(SIX_YEARS_OR_25) == (
        "6 years after the family's last contact, or until the youngest child's 25th birthday, whichever is later"
    )
    assert rule_in_words(rule(1, 6, StartsFrom.CLOSURE)) == "1 year and 6 months after the family's closure"
    assert rule_in_words(rule(0, 0, StartsFrom.EIGHTEENTH_BIRTHDAY)) == "Until the youngest child's 18th birthday"


@pytest.mark.django_db
def test_every_kind_of_record_has_a_default_rule_with_its_reason():
    rules = {stored.kind: stored for stored in RetentionRule.objects.all()}
    assert set(rules) == set(Kind.values)
    assert all(len(stored.reason) > 40 for stored in rules.values())
    family = rules[Kind.CLOSED_FAMILY]
    assert "Limitation Act 1980" in family.reason
    assert rule_in_words(family) == rule_in_words(SIX_YEARS_OR_25)
    for kind in (Kind.CALLS, Kind.REFERRALS, Kind.SAFETY_PLANS, Kind.INTELLIGENCE):
        assert rule_in_words(rules[kind]) == rule_in_words(family), kind
    assert rule_in_words(rules[Kind.AUDIT_ENTRIES]) == "7 years after the record's own date"
