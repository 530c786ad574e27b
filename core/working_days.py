"""Working-day arithmetic for statutory response clocks. Pure Python: no database.

Why working days: Working Together to Safeguard Children 2023 sets children's social
care's response times in working days (for example, a decision about the type of
response within one working day of a referral, and an assessment within 45 working
days). A working day is Monday to Friday, not a bank holiday. Bank holidays differ by
nation: England and Wales share one calendar, Scotland and Northern Ireland have their
own. The dates come from the ``holidays`` package, which ships its data (including
one-off days such as the 2022 state funeral and the 2023 coronation), so nothing is
fetched at run time.

Why Europe/London: a day counts in UK local time. A referral made at 00:30 BST on a
Tuesday was made on Tuesday, although it is still Monday in UTC. Every function takes
timezone-aware datetimes (naive ones raise ValueError), works out local dates, and
returns deadlines in UTC.

Some rules run on the clock instead (the 72-hour return home interview): those are real
elapsed hours, through nights, weekends and clock changes.
"""

from __future__ import annotations

import functools
from bisect import bisect_right
from calendar import monthrange
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Literal, get_args
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")


class Calendar(StrEnum):
    """A bank-holiday calendar; the values are the ``holidays`` package's GB subdivision codes."""

    ENGLAND_AND_WALES = "ENG"
    SCOTLAND = "SCT"
    NORTHERN_IRELAND = "NIR"


# Keyed by families.models.Nation values (a Nation member is a str and looks up the same).
_CALENDAR_FOR_NATION: dict[str, Calendar] = {
    "england": Calendar.ENGLAND_AND_WALES,
    "wales": Calendar.ENGLAND_AND_WALES,
    "scotland": Calendar.SCOTLAND,
    "northern_ireland": Calendar.NORTHERN_IRELAND,
}


def calendar_for(nation: str) -> Calendar:
    """The bank-holiday calendar of a nation ("england", "wales", "scotland", "northern_ireland")."""
    try:
        return _CALENDAR_FOR_NATION[nation]
    except KeyError:
        raise ValueError(f"Unknown nation {nation!r}") from None


@functools.lru_cache(maxsize=1024)
def _bank_holidays(calendar: Calendar, year: int) -> tuple[date, ...]:
    """The year's bank holidays that fall Monday to Friday, sorted.

    Weekend dates (Boxing Day on a Saturday) are left out: the weekday substitute the
    package adds ("Boxing Day (observed)" on the Monday) is the day off that counts.
    """
    days = holidays.country_holidays("GB", subdiv=calendar.value, years=year)
    return tuple(sorted(day for day in days if day.weekday() < 5))


def _bank_holidays_in(calendar: Calendar, after: date, until: date) -> int:
    """How many weekday bank holidays d have after < d <= until (after <= until)."""
    count = 0
    for year in range(after.year, until.year + 1):
        days = _bank_holidays(calendar, year)
        low = bisect_right(days, after) if year == after.year else 0
        high = bisect_right(days, until) if year == until.year else len(days)
        count += high - low
    return count


# Weekday arithmetic on proleptic ordinals: ordinal 1 (1 January of year 1) is a Monday.
def _weekdays_up_to(ordinal: int) -> int:
    """How many Mondays to Fridays have ordinals 1..ordinal."""
    weeks, rest = divmod(ordinal, 7)
    return weeks * 5 + min(rest, 5)


def _add_weekdays(day: date, count: int) -> date:
    """The count-th Monday-to-Friday after day (day itself when count is 0)."""
    if count == 0:
        return day
    target = _weekdays_up_to(day.toordinal()) + count
    weeks, rest = divmod(target, 5)
    return date.fromordinal(weeks * 7 - 2 if rest == 0 else weeks * 7 + rest)


def _working_days_after(calendar: Calendar, after: date, until: date) -> int:
    """How many working days d have after < d <= until (after <= until)."""
    weekdays = _weekdays_up_to(until.toordinal()) - _weekdays_up_to(after.toordinal())
    return weekdays - _bank_holidays_in(calendar, after, until)


def local_date(moment: datetime) -> date:
    """The Europe/London date of an aware datetime."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"Naive datetime {moment!r}: deadlines need timezone-aware datetimes")
    return moment.astimezone(LONDON).date()


def end_of_local_day(day: date) -> datetime:
    """The end of a London day, as the first instant of the next one (local midnight), in UTC.

    UK clocks change at 01:00 UTC, never at midnight, so local midnight always exists once.
    """
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=LONDON).astimezone(UTC)


def _check_not_negative(amount: int, what: str) -> None:
    if amount < 0:
        raise ValueError(f"{what} must not be negative, got {amount}")


def is_working_day(day: date, nation: str) -> bool:
    """Whether a (London) date is a working day in the nation: Monday to Friday, not a bank holiday.

    Takes a date, not a datetime: use local_date() first, so a moment's UTC date is never
    used by mistake.
    """
    if isinstance(day, datetime):
        raise TypeError("is_working_day takes a date; use local_date(moment) for a datetime")
    return day.weekday() < 5 and day not in _bank_holidays(calendar_for(nation), day.year)


def add_working_days(start: datetime, days: int, nation: str) -> datetime:
    """The due moment for "within `days` working days of `start`", in UTC.

    The due day is the `days`-th working day AFTER start's London date, whatever the
    time of day and whether or not that date is itself a working day: a referral on
    Friday at 18:30, or on Saturday, with 1 working day is due on Monday (Tuesday if
    Monday is a bank holiday). The response is on time until the END of the due day,
    returned as the first instant of the following London day (local midnight), so a
    response exactly at the returned instant is on time and one a second later is late.
    With 0 days the due moment is the end of start's own London day.

    Arithmetic, not a day-by-day walk: jump `days` weekdays, then as many more weekdays
    as there were bank holidays in the jump, until a jump crosses none.
    """
    _check_not_negative(days, "days")
    calendar = calendar_for(nation)
    due_day = local_date(start)
    remaining = days
    while remaining:
        after = due_day
        due_day = _add_weekdays(after, remaining)
        remaining = _bank_holidays_in(calendar, after, due_day)
    return end_of_local_day(due_day)


def add_hours(start: datetime, hours: int) -> datetime:
    """`start` plus `hours` real elapsed hours, in UTC.

    Hour-based rules (the 72-hour return home interview) run through nights, weekends and
    bank holidays, and across clock changes: 24 hours from 12:00 on the Saturday before
    the October change ends at 11:00 local time on the Sunday.
    """
    local_date(start)  # Rejects naive datetimes.
    _check_not_negative(hours, "hours")
    return start.astimezone(UTC) + timedelta(hours=hours)


def add_calendar_months(start: datetime, months: int) -> datetime:
    """The end of the same London day of the month, `months` months later, in UTC.

    A day-of-month the target month lacks becomes its last day: 31 January plus one
    month is due at the end of 28 (or 29) February. As with working days, the due
    moment is the following local midnight.
    """
    _check_not_negative(months, "months")
    day = local_date(start)
    years, month_index = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month_index + 1
    return end_of_local_day(date(year, month, min(day.day, monthrange(year, month)[1])))


def working_days_between(start: datetime, end: datetime, nation: str) -> int:
    """How many working days d have start's London date < d <= end's London date.

    Negative (minus the count the other way) when end is before start. Used for delays,
    such as working days from referral to decision: a decision on the same day is 0, the
    next working day 1. Constant work per call for spans of a year or two: weekdays are
    counted arithmetically and bank holidays found by bisecting per-year sorted lists.
    """
    calendar = calendar_for(nation)
    start_day, end_day = local_date(start), local_date(end)
    if end_day < start_day:
        return -_working_days_after(calendar, end_day, start_day)
    return _working_days_after(calendar, start_day, end_day)


def working_days_overdue(due_at: datetime, now: datetime, nation: str) -> int:
    """How many working days late a deadline is at `now`: 0 when not yet due.

    Late means now > due_at (at due_at exactly it is on time). The due day is the London
    day in which the deadline falls, taking a local-midnight due_at (as add_working_days
    returns) as the end of the day before. The count is the working days after the due
    day up to and including today: a deadline at the end of Monday is 1 working day
    overdue from Tuesday 00:00 to the end of Tuesday, 2 on Wednesday. So a deadline missed
    by some hours on its own day (an hour-based one at Monday 20:00, seen at 21:00), or
    missed only over a weekend or bank holiday, is 0 working days overdue while late:
    compare now > due_at to know whether it has passed at all.
    """
    local_date(due_at)  # Rejects naive datetimes.
    local_date(now)
    if now <= due_at:
        return 0
    due_day = local_date(due_at - timedelta(microseconds=1))
    return _working_days_after(calendar_for(nation), due_day, local_date(now))


Unit = Literal["working_days", "hours", "calendar_months"]
_UNIT_NAMES: dict[str, tuple[str, str]] = {
    "working_days": ("working day", "working days"),
    "hours": ("hour", "hours"),
    "calendar_months": ("calendar month", "calendar months"),
}


@dataclass(frozen=True)
class Allowance:
    """A statutory time allowance, such as 1 working day, 45 working days or 72 hours."""

    amount: int
    unit: Unit

    def __post_init__(self) -> None:
        if self.unit not in get_args(Unit):
            raise ValueError(f"Unknown unit {self.unit!r}")
        _check_not_negative(self.amount, "amount")

    def twice(self) -> Allowance:
        """Late by twice the allowance is when a flag's escalation level rises."""
        return Allowance(self.amount * 2, self.unit)

    def due_from(self, start: datetime, nation: str) -> datetime:
        """The due moment, in UTC, for this allowance from `start` (nation matters for working days only)."""
        if self.unit == "working_days":
            return add_working_days(start, self.amount, nation)
        if self.unit == "hours":
            return add_hours(start, self.amount)
        return add_calendar_months(start, self.amount)

    def __str__(self) -> str:
        singular, plural = _UNIT_NAMES[self.unit]
        return f"{self.amount} {singular if self.amount == 1 else plural}"
