"""The working-day calendar. Expected dates are worked out by hand from gov.uk's bank
holiday lists; only the sweeps at the end compare against a day-by-day reference walk."""

import dataclasses
import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from core.working_days import (
    Allowance,
    Calendar,
    add_calendar_months,
    add_hours,
    add_working_days,
    calendar_for,
    is_working_day,
    working_days_between,
    working_days_overdue,
)

LONDON = ZoneInfo("Europe/London")
NATIONS = ["england", "wales", "scotland", "northern_ireland"]


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# Calendars.


def test_england_and_wales_share_a_calendar():
    assert calendar_for("england") is calendar_for("wales") is Calendar.ENGLAND_AND_WALES
    assert calendar_for("scotland") is Calendar.SCOTLAND
    assert calendar_for("northern_ireland") is Calendar.NORTHERN_IRELAND


def test_unknown_nation():
    with pytest.raises(ValueError, match="Unknown nation"):
        is_working_day(date(2026, 1, 5), "france")


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 1, 2), True),  # Fri: England has no 2 January holiday.
        (date(2026, 4, 3), False),  # Good Friday.
        (date(2026, 4, 6), False),  # Easter Monday.
        (date(2026, 8, 3), True),  # Scotland's summer bank holiday only.
        (date(2026, 8, 31), False),  # Late summer bank holiday.
        (date(2026, 12, 25), False),  # Fri.
        (date(2026, 12, 26), False),  # Sat: a weekend day anyway.
        (date(2026, 12, 28), False),  # Mon: Boxing Day substitute.
        (date(2026, 12, 29), True),
        (date(2027, 12, 25), False),  # Sat.
        (date(2027, 12, 27), False),  # Mon: Christmas Day substitute.
        (date(2027, 12, 28), False),  # Tue: Boxing Day substitute.
        (date(2027, 12, 29), True),
        (date(2022, 9, 19), False),  # State funeral of Queen Elizabeth II.
        (date(2023, 5, 8), False),  # Coronation of Charles III.
        (date(2022, 6, 2), False),  # Spring bank holiday moved for the Platinum Jubilee...
        (date(2022, 6, 3), False),  # ...and the Jubilee itself.
        (date(2022, 5, 30), True),  # The usual last Monday in May was a working day.
        (date(2026, 1, 10), False),  # An ordinary Saturday.
        (date(2026, 1, 11), False),  # An ordinary Sunday.
        (date(2026, 1, 12), True),  # An ordinary Monday.
    ],
)
@pytest.mark.parametrize("nation", ["england", "wales"])
def test_england_and_wales(nation, day, working):
    assert is_working_day(day, nation) is working


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 1, 2), False),  # 2 January.
        (date(2026, 4, 3), False),  # Good Friday...
        (date(2026, 4, 6), True),  # ...but no Easter Monday.
        (date(2026, 6, 15), False),  # One-off: Scotland at the FIFA World Cup finals.
        (date(2026, 8, 3), False),  # Summer bank holiday: first Monday in August...
        (date(2026, 8, 31), True),  # ...not the last.
        (date(2026, 11, 30), False),  # St Andrew's Day, a Monday in 2026.
        (date(2025, 12, 1), False),  # St Andrew's Day 2025 fell on a Sunday: Monday substitute.
        (date(2024, 12, 2), False),  # ...and 2024's on a Saturday.
        (date(2027, 1, 4), False),  # Sat 2 January 2027: Monday substitute.
        (date(2022, 1, 3), False),  # 1 and 2 January 2022 fell at the weekend: Monday...
        (date(2022, 1, 4), False),  # ...and Tuesday substitutes.
        (date(2022, 9, 19), False),  # State funeral.
        (date(2023, 5, 8), False),  # Coronation.
    ],
)
def test_scotland(day, working):
    assert is_working_day(day, "scotland") is working


def test_scottish_days_are_working_days_in_england():
    for day in [date(2026, 1, 2), date(2026, 6, 15), date(2026, 8, 3), date(2026, 11, 30), date(2025, 12, 1)]:
        assert is_working_day(day, "england")


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 3, 17), False),  # St Patrick's Day, a Tuesday.
        (date(2026, 4, 6), False),  # Easter Monday.
        (date(2026, 7, 13), False),  # Battle of the Boyne (12 July) fell on a Sunday.
        (date(2027, 7, 12), False),
        (date(2026, 8, 31), False),
    ],
)
def test_northern_ireland(day, working):
    assert is_working_day(day, "northern_ireland") is working


def test_northern_irish_days_are_working_days_in_england():
    for day in [date(2026, 3, 17), date(2026, 7, 13), date(2027, 7, 12)]:
        assert is_working_day(day, "england")


def test_is_working_day_refuses_datetimes():
    # A datetime's own date may be the UTC one: callers take the London date first.
    with pytest.raises(TypeError):
        is_working_day(london(2026, 1, 5, 9, 0), "england")


# add_working_days.


def test_friday_evening_referral_is_due_at_the_end_of_monday():
    assert add_working_days(london(2026, 1, 16, 18, 30), 1, "england") == utc(2026, 1, 20, 0, 0)


def test_friday_evening_before_a_bank_holiday_monday():
    # Mon 25 May 2026 is the spring bank holiday; BST, so the end of Tue 26 May is 23:00 UTC.
    assert add_working_days(london(2026, 5, 22, 18, 30), 1, "england") == utc(2026, 5, 26, 23, 0)


@pytest.mark.parametrize("start", [london(2026, 1, 17, 11, 0), london(2026, 1, 18, 23, 30)])
def test_weekend_referral_is_due_at_the_end_of_monday(start):
    assert add_working_days(start, 1, "england") == utc(2026, 1, 20, 0, 0)


def test_the_start_day_is_the_london_date_not_the_utc_one():
    # 23:30 UTC on Sunday 31 May 2026 is 00:30 BST on Monday 1 June: due at the end of Tuesday.
    assert add_working_days(utc(2026, 5, 31, 23, 30), 1, "england") == utc(2026, 6, 2, 23, 0)


def test_result_is_in_utc():
    assert add_working_days(london(2026, 1, 16, 18, 30), 1, "england").tzinfo is UTC


def test_zero_working_days_is_the_end_of_the_start_day_even_at_a_weekend():
    assert add_working_days(london(2026, 3, 28, 12, 0), 0, "england") == utc(2026, 3, 29, 0, 0)  # Sat, GMT.
    assert add_working_days(london(2026, 3, 29, 12, 0), 0, "england") == utc(2026, 3, 29, 23, 0)  # Sun, BST.


@pytest.mark.parametrize(
    ("nation", "due"),
    [
        # Fri 25 Dec, Sat, Sun, Mon 28 Dec (Boxing Day substitute): Tuesday 29 December.
        ("england", utc(2026, 12, 30, 0, 0)),
        ("scotland", utc(2026, 12, 30, 0, 0)),
        ("northern_ireland", utc(2026, 12, 30, 0, 0)),
    ],
)
def test_christmas_2026(nation, due):
    assert add_working_days(london(2026, 12, 24, 10, 0), 1, nation) == due


@pytest.mark.parametrize(
    ("nation", "due"),
    [
        # Fri 1 Jan 2027 is New Year's Day: Monday 4 January.
        ("england", utc(2027, 1, 5, 0, 0)),
        # Scotland's 2 January is a Saturday, so Monday 4 January is off too: Tuesday 5.
        ("scotland", utc(2027, 1, 6, 0, 0)),
    ],
)
def test_new_year_2027(nation, due):
    assert add_working_days(london(2026, 12, 31, 16, 0), 1, nation) == due


def test_second_of_january_2026():
    # Thu 1 January (a holiday everywhere) + 1: Fri 2 in England, Mon 5 in Scotland.
    assert add_working_days(london(2026, 1, 1, 12, 0), 1, "england") == utc(2026, 1, 3, 0, 0)
    assert add_working_days(london(2026, 1, 1, 12, 0), 1, "scotland") == utc(2026, 1, 6, 0, 0)


@pytest.mark.parametrize(
    ("nation", "due"),
    [
        # Good Friday 3 April, Easter Monday 6 April: Tuesday 7, ending 23:00 UTC (BST).
        ("england", utc(2026, 4, 7, 23, 0)),
        ("wales", utc(2026, 4, 7, 23, 0)),
        ("northern_ireland", utc(2026, 4, 7, 23, 0)),
        # Scotland: Good Friday only, so Monday 6 April.
        ("scotland", utc(2026, 4, 6, 23, 0)),
    ],
)
def test_easter_2026(nation, due):
    assert add_working_days(london(2026, 4, 2, 14, 0), 1, nation) == due


def test_substitute_christmas_2027():
    # Sat 25 and Sun 26 December 2027: Mon 27 and Tue 28 off, due Wednesday 29.
    assert add_working_days(london(2027, 12, 24, 15, 0), 1, "england") == utc(2027, 12, 30, 0, 0)


def test_st_andrews_day_2026():
    # Fri 27 November + 1: Mon 30 November in England, Tue 1 December in Scotland.
    assert add_working_days(london(2026, 11, 27, 17, 0), 1, "england") == utc(2026, 12, 1, 0, 0)
    assert add_working_days(london(2026, 11, 27, 17, 0), 1, "scotland") == utc(2026, 12, 2, 0, 0)


def test_summer_bank_holidays():
    # Fri 31 July 2026 + 1: Mon 3 August in England; Scotland's holiday, so Tuesday 4 there.
    assert add_working_days(london(2026, 7, 31, 12, 0), 1, "england") == utc(2026, 8, 3, 23, 0)
    assert add_working_days(london(2026, 7, 31, 12, 0), 1, "scotland") == utc(2026, 8, 4, 23, 0)
    # Fri 28 August 2026 + 1: England's late summer holiday is Mon 31 August.
    assert add_working_days(london(2026, 8, 28, 12, 0), 1, "england") == utc(2026, 9, 1, 23, 0)
    assert add_working_days(london(2026, 8, 28, 12, 0), 1, "scotland") == utc(2026, 8, 31, 23, 0)


def test_march_clock_change():
    # BST starts Sun 29 March 2026. Fri 27 (GMT) + 1 = Mon 30, ending at local midnight, 23:00 UTC.
    due = add_working_days(london(2026, 3, 27, 10, 0), 1, "england")
    assert due == utc(2026, 3, 30, 23, 0)
    assert due.astimezone(LONDON) == london(2026, 3, 31, 0, 0)


def test_october_clock_change():
    # BST ends Sun 25 October 2026. Fri 23 (BST) + 1 = Mon 26, ending at midnight GMT.
    assert add_working_days(london(2026, 10, 23, 15, 0), 1, "england") == utc(2026, 10, 27, 0, 0)
    # Thu 22 + 1 = Fri 23, ending at midnight BST.
    assert add_working_days(london(2026, 10, 22, 15, 0), 1, "england") == utc(2026, 10, 23, 23, 0)


def test_45_working_days():
    # Mon 5 January 2026: no bank holidays for nine weeks, so Monday 9 March.
    assert add_working_days(london(2026, 1, 5, 9, 0), 45, "england") == utc(2026, 3, 10, 0, 0)
    # Mon 2 March 2026: 45 weekdays reach Mon 4 May. England loses 3 April, 6 April and
    # 4 May: Thursday 7 May. Scotland loses 3 April and 4 May: Wednesday 6 May.
    assert add_working_days(london(2026, 3, 2, 9, 0), 45, "england") == utc(2026, 5, 7, 23, 0)
    assert add_working_days(london(2026, 3, 2, 9, 0), 45, "scotland") == utc(2026, 5, 6, 23, 0)


def test_negative_working_days():
    with pytest.raises(ValueError, match="negative"):
        add_working_days(london(2026, 1, 5, 9, 0), -1, "england")


# Exactly due, one second late, and working days overdue.


def test_exactly_due_and_one_second_late():
    due = add_working_days(london(2026, 1, 16, 18, 30), 1, "england")  # End of Mon 19 January.
    assert working_days_overdue(due, utc(2026, 1, 19, 23, 59, 59), "england") == 0
    assert working_days_overdue(due, utc(2026, 1, 20, 0, 0, 0), "england") == 0
    assert working_days_overdue(due, utc(2026, 1, 20, 0, 0, 1), "england") == 1


@pytest.mark.parametrize(
    ("now", "overdue"),
    [
        (london(2026, 1, 19, 15, 0), 0),  # Monday afternoon: not yet due.
        (london(2026, 1, 20, 9, 0), 1),  # Tuesday.
        (london(2026, 1, 20, 23, 59), 1),
        (london(2026, 1, 21, 9, 0), 2),  # Wednesday.
        (london(2026, 1, 24, 9, 0), 4),  # Saturday: Tue to Fri.
        (london(2026, 1, 26, 9, 0), 5),  # Monday.
    ],
)
def test_working_days_overdue_after_a_monday_deadline(now, overdue):
    assert working_days_overdue(utc(2026, 1, 20, 0, 0), now, "england") == overdue


def test_late_only_over_a_weekend_is_zero_working_days_overdue():
    due = utc(2026, 1, 17, 0, 0)  # End of Friday 16 January.
    assert working_days_overdue(due, london(2026, 1, 17, 10, 0), "england") == 0
    assert working_days_overdue(due, london(2026, 1, 18, 22, 0), "england") == 0
    assert working_days_overdue(due, london(2026, 1, 19, 9, 0), "england") == 1


def test_overdue_across_christmas():
    due = utc(2026, 12, 25, 0, 0)  # End of Thursday 24 December.
    assert working_days_overdue(due, london(2026, 12, 28, 10, 0), "england") == 0  # Fri 25, Mon 28 are off.
    assert working_days_overdue(due, london(2026, 12, 29, 10, 0), "england") == 1


def test_overdue_counts_in_london_time():
    due = utc(2026, 5, 26, 23, 0)  # End of Tuesday 26 May, BST.
    # 23:30 UTC is 00:30 on Wednesday in London.
    assert working_days_overdue(due, utc(2026, 5, 26, 23, 30), "england") == 1


def test_overdue_for_an_hour_based_deadline():
    due = utc(2026, 1, 19, 20, 0)  # Monday 20:00.
    assert working_days_overdue(due, utc(2026, 1, 19, 21, 0), "england") == 0  # Late, but on the due day.
    assert working_days_overdue(due, utc(2026, 1, 20, 9, 0), "england") == 1


# add_hours.


def test_72_hours_run_through_the_weekend():
    assert add_hours(london(2026, 1, 16, 20, 0), 72) == utc(2026, 1, 19, 20, 0)


def test_24_hours_across_the_october_clock_change_are_real_hours():
    # Sat 24 October 2026 12:00 BST is 11:00 UTC; 24 hours later the London clock shows 11:00.
    end = add_hours(london(2026, 10, 24, 12, 0), 24)
    assert end == utc(2026, 10, 25, 11, 0)
    assert end.astimezone(LONDON).hour == 11


def test_24_hours_across_the_march_clock_change_are_real_hours():
    end = add_hours(london(2026, 3, 28, 12, 0), 24)
    assert end == utc(2026, 3, 29, 12, 0)
    assert end.astimezone(LONDON).hour == 13


# add_calendar_months.


@pytest.mark.parametrize(
    ("start", "months", "due"),
    [
        (london(2026, 1, 31, 10, 0), 1, utc(2026, 3, 1, 0, 0)),  # End of Sat 28 February.
        (london(2028, 1, 31, 10, 0), 1, utc(2028, 3, 1, 0, 0)),  # Leap year: end of 29 February.
        (london(2026, 11, 30, 10, 0), 3, utc(2027, 3, 1, 0, 0)),  # End of 28 February 2027.
        (london(2028, 2, 29, 10, 0), 12, utc(2029, 3, 1, 0, 0)),  # End of 28 February 2029.
        (london(2026, 1, 15, 10, 0), 6, utc(2026, 7, 15, 23, 0)),  # End of 15 July, BST.
        (utc(2026, 5, 31, 23, 30), 1, utc(2026, 7, 1, 23, 0)),  # Starts 1 June in London.
        (london(2026, 3, 10, 10, 0), 0, utc(2026, 3, 11, 0, 0)),
    ],
)
def test_add_calendar_months(start, months, due):
    assert add_calendar_months(start, months) == due


# working_days_between.


def test_working_days_between_across_easter():
    # Thu 2 to Tue 7 April 2026: Fri and Mon are holidays in England, Fri only in Scotland.
    start, end = london(2026, 4, 2, 9, 0), london(2026, 4, 7, 9, 0)
    assert working_days_between(start, end, "england") == 1
    assert working_days_between(start, end, "scotland") == 2
    assert working_days_between(end, start, "england") == -1


def test_working_days_between_across_the_new_year():
    # Wed 23 December 2026 to Wed 6 January 2027. England: 24, 29, 30, 31 Dec, 4, 5, 6 Jan.
    # Scotland also loses Mon 4 January (2 January substitute).
    start, end = london(2026, 12, 23, 9, 0), london(2027, 1, 6, 17, 0)
    assert working_days_between(start, end, "england") == 7
    assert working_days_between(start, end, "scotland") == 6
    assert working_days_between(end, start, "england") == -7


def test_working_days_between_over_years():
    # 2025 and 2026 each have 261 weekdays and 8 England bank holidays on weekdays;
    # 1 January 2025 is excluded (the start), 1 January 2027 is a holiday.
    assert working_days_between(london(2025, 1, 1, 9, 0), london(2027, 1, 1, 9, 0), "england") == 506


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        (london(2026, 1, 16, 9, 0), london(2026, 1, 16, 17, 0), 0),  # Same day.
        (london(2026, 1, 16, 9, 0), london(2026, 1, 17, 9, 0), 0),  # Fri to Sat.
        (london(2026, 1, 16, 9, 0), london(2026, 1, 19, 9, 0), 1),  # Fri to Mon.
        (london(2026, 1, 17, 9, 0), london(2026, 1, 19, 9, 0), 1),  # Sat to Mon.
        (london(2026, 1, 12, 9, 0), london(2026, 1, 26, 9, 0), 10),  # Two weeks.
        # 23:30 UTC on Mon 1 June is Tuesday in London.
        (london(2026, 6, 1, 12, 0), utc(2026, 6, 1, 23, 30), 1),
    ],
)
def test_working_days_between(start, end, days):
    assert working_days_between(start, end, "england") == days


# Naive datetimes.


@pytest.mark.parametrize(
    "call",
    [
        lambda naive: add_working_days(naive, 1, "england"),
        lambda naive: add_hours(naive, 72),
        lambda naive: add_calendar_months(naive, 1),
        lambda naive: working_days_between(naive, utc(2026, 1, 20, 0, 0), "england"),
        lambda naive: working_days_between(utc(2026, 1, 20, 0, 0), naive, "england"),
        lambda naive: working_days_overdue(naive, utc(2026, 1, 20, 0, 0), "england"),
        lambda naive: working_days_overdue(utc(2026, 1, 20, 0, 0), naive, "england"),
        lambda naive: Allowance(1, "working_days").due_from(naive, "england"),
    ],
)
def test_naive_datetimes_are_refused(call):
    naive = datetime(2026, 1, 16, 18, 30)  # noqa: DTZ001 - deliberately naive.
    with pytest.raises(ValueError, match="Naive"):
        call(naive)


# Allowance.


@pytest.mark.parametrize(
    ("allowance", "text"),
    [
        (Allowance(1, "working_days"), "1 working day"),
        (Allowance(45, "working_days"), "45 working days"),
        (Allowance(72, "hours"), "72 hours"),
        (Allowance(1, "hours"), "1 hour"),
        (Allowance(3, "calendar_months"), "3 calendar months"),
        (Allowance(1, "calendar_months"), "1 calendar month"),
    ],
)
def test_allowance_in_plain_english(allowance, text):
    assert str(allowance) == text


@pytest.mark.parametrize(
    "allowance",
    [Allowance(1, "working_days"), Allowance(45, "working_days"), Allowance(0, "working_days"),
     Allowance(72, "hours"), Allowance(1, "hours"), Allowance(3, "calendar_months"), Allowance(1, "calendar_months")],
)
def test_allowance_parses_its_own_words(allowance):
    assert Allowance.parse(str(allowance)) == allowance


def test_allowance_parse_takes_singular_or_plural_and_spaces_around():
    assert Allowance.parse(" 1 working days ") == Allowance(1, "working_days")
    assert Allowance.parse("2 hour") == Allowance(2, "hours")


@pytest.mark.parametrize("text", ["", "working days", "1 week", "-1 hours", "1.5 hours", "10 Working Days", "1  hour"])
def test_allowance_parse_refuses_anything_else(text):
    with pytest.raises(ValueError, match="Not an allowance"):
        Allowance.parse(text)


def test_allowance_due_from():
    start = london(2026, 1, 16, 18, 30)
    assert Allowance(1, "working_days").due_from(start, "england") == utc(2026, 1, 20, 0, 0)
    assert Allowance(72, "hours").due_from(start, "england") == utc(2026, 1, 19, 18, 30)
    # End of 16 April, BST.
    assert Allowance(3, "calendar_months").due_from(start, "england") == utc(2026, 4, 16, 23, 0)


def test_allowance_validation():
    with pytest.raises(ValueError, match="Unknown unit"):
        Allowance(1, "weeks")
    with pytest.raises(ValueError, match="negative"):
        Allowance(-1, "hours")
    allowance = Allowance(1, "hours")
    with pytest.raises(dataclasses.FrozenInstanceError):
        allowance.amount = 2
    assert allowance == Allowance(1, "hours")
    assert hash(allowance) == hash(Allowance(1, "hours"))


# Sweeps against a day-by-day walk over the package's own data.

SUBDIVISIONS = {"england": "ENG", "wales": "WLS", "scotland": "SCT", "northern_ireland": "NIR"}


def _reference_holidays(nation: str) -> set[date]:
    return set(holidays.country_holidays("GB", subdiv=SUBDIVISIONS[nation], years=range(2022, 2033)))


def _reference_working(day: date, days_off: set[date]) -> bool:
    return day.weekday() < 5 and day not in days_off


@pytest.mark.parametrize("nation", NATIONS)
def test_add_working_days_matches_a_day_by_day_walk(nation):
    days_off = _reference_holidays(nation)
    day = date(2025, 11, 1)
    while day < date(2028, 3, 1):
        for count in (0, 1, 2, 5, 20, 45):
            due, left = day, count
            while left:
                due += timedelta(days=1)
                left -= _reference_working(due, days_off)
            start = datetime.combine(day, datetime.min.time(), tzinfo=LONDON) + timedelta(hours=13)
            expected = datetime.combine(due + timedelta(days=1), datetime.min.time(), tzinfo=LONDON)
            assert add_working_days(start, count, nation) == expected, (day, count)
        day += timedelta(days=1)


@pytest.mark.parametrize("nation", NATIONS)
def test_working_days_between_matches_a_day_by_day_count(nation):
    days_off = _reference_holidays(nation)
    rng = random.Random(2026)  # noqa: S311 - test data.
    first = date(2024, 1, 1).toordinal()
    for _ in range(300):
        a = date.fromordinal(first + rng.randrange(365 * 6))
        b = a + timedelta(days=rng.randrange(-400, 400))
        low, high = min(a, b), max(a, b)
        count = sum(_reference_working(low + timedelta(days=i), days_off) for i in range(1, (high - low).days + 1))
        expected = count if b >= a else -count
        start = datetime.combine(a, datetime.min.time(), tzinfo=LONDON) + timedelta(hours=10)
        end = datetime.combine(b, datetime.min.time(), tzinfo=LONDON) + timedelta(hours=15)
        assert working_days_between(start, end, nation) == expected, (a, b)
