"""Our calendar against GOV.UK's bank-holiday list, every day of every year both cover.

The list is the copy of https://www.gov.uk/bank-holidays.json that the govuk-bank-holidays package
ships (read with use_cached_holidays=True: no network). Every disagreement must be in EXPLAINED,
with the reason; one that is a gap in our calendar is corrected there, not listed here.
"""

from datetime import date, timedelta

import pytest
from govuk_bank_holidays.bank_holidays import BankHolidays

from core.working_days import Calendar, is_working_day, library_years

DIVISIONS = {
    BankHolidays.ENGLAND_AND_WALES: ("england", Calendar.ENGLAND_AND_WALES),
    BankHolidays.SCOTLAND: ("scotland", Calendar.SCOTLAND),
    BankHolidays.NORTHERN_IRELAND: ("northern_ireland", Calendar.NORTHERN_IRELAND),
}

# (division, day): which side has the day as a bank holiday, and why the other does not.
EXPLAINED = {
    # A one-off bank holiday for Scotland only, for Scotland's part in the 2026 FIFA World Cup finals:
    # the holidays package (0.108) has it from the Privy Council's Scotland bank holiday proclamation
    # (published February 2026, the source the package cites). The copy of GOV.UK's list shipped with
    # govuk-bank-holidays 0.19 does not list it yet. Ours follows the proclamation: nothing to correct.
    (BankHolidays.SCOTLAND, date(2026, 6, 15)): "ours",
}


@pytest.fixture(scope="module")
def govuk():
    return BankHolidays(use_cached_holidays=True)


def _days(first: int, last: int):
    day, end = date(first, 1, 1), date(last, 12, 31)
    while day <= end:
        yield day
        day += timedelta(days=1)


def test_govuk_lists_only_weekdays(govuk):
    """GOV.UK gives the substitute weekday, never the weekend date, so comparing Monday to Friday
    compares every day that a working-day count depends on."""
    weekend = [
        (division, holiday["date"])
        for division in DIVISIONS
        for holiday in govuk.get_holidays(division=division)
        if holiday["date"].weekday() >= 5
    ]
    assert weekend == []


def test_our_calendar_agrees_with_govuk_but_for_the_explained_days(govuk):
    first_ours, last_ours = library_years()
    disagreements = {}
    compared_years = {}
    for division, (nation, _calendar) in DIVISIONS.items():
        listed = {holiday["date"] for holiday in govuk.get_holidays(division=division)}
        years = {day.year for day in listed}
        # GOV.UK's years are whole years: it lists every bank holiday of each year it covers.
        first, last = max(min(years), first_ours), min(max(years), last_ours)
        compared_years[division] = (first, last)
        for day in _days(first, last):
            if day.weekday() >= 5:
                continue
            ours = not is_working_day(day, nation)
            theirs = day in listed
            if ours != theirs:
                disagreements[(division, day)] = "ours" if ours else "GOV.UK's"
    assert disagreements == EXPLAINED
    # The copy covers 2012 to 2028 for every nation: if a new copy covers less, say so here.
    assert all(first <= 2012 and last >= 2028 for first, last in compared_years.values()), compared_years
