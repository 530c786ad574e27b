"""Working-day arithmetic for statutory response clocks. Pure Python: the database is reached
only through the loader core.apps registers for the changes made here (see below).

Why working days: Working Together to Safeguard Children 2023 sets children's social
care's response times in working days (for example, a decision about the type of
response within one working day of a referral, and an assessment within 45 working
days). A working day is Monday to Friday, not a bank holiday. Bank holidays differ by
nation: England and Wales share one calendar, Scotland and Northern Ireland have their
own. The dates come from the ``holidays`` package, which ships its data (including
one-off days such as the 2022 state funeral and the 2023 coronation), so nothing is
fetched at run time.

Why changes made here: bank holidays are only as current as the pinned library. A one-off day
proclaimed between its releases (a state funeral, a coronation, a day for one nation), or an
official list that disagrees with it, is recorded by an administrator as a
core.models.BankHolidayChange (a day added or withdrawn, with its source) and applied on top of
the library's days.

Why Europe/London: a day counts in UK local time. A referral made at 00:30 BST on a
Tuesday was made on Tuesday, although it is still Monday in UTC. Every function takes
timezone-aware datetimes (naive ones raise ValueError), works out local dates, and
returns deadlines in UTC.

Some rules run on the clock instead (the 72-hour return home interview): those are real
elapsed hours, through nights, weekends and clock changes.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_right
from calendar import monthrange
from collections.abc import Callable, Iterable, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from time import monotonic
from types import MappingProxyType
from typing import Literal, get_args
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")


class Calendar(StrEnum):
    """A bank-holiday calendar; the values are the ``holidays`` package's GB subdivision codes."""

    ENGLAND_AND_WALES = "ENG"
    SCOTLAND = "SCT"
    NORTHERN_IRELAND = "NIR"

    @property
    def label(self) -> str:
        return _CALENDAR_LABELS[self]


_CALENDAR_LABELS = {
    Calendar.ENGLAND_AND_WALES: "England and Wales",
    Calendar.SCOTLAND: "Scotland",
    Calendar.NORTHERN_IRELAND: "Northern Ireland",
}


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


def nations_of(calendar: Calendar) -> list[str]:
    """The nations ("england", "wales", …) whose working days follow ``calendar``."""
    return [nation for nation, their_calendar in _CALENDAR_FOR_NATION.items() if their_calendar is calendar]


# The library's own days never change while a process runs, so this cache is never cleared; the
# changes made here are applied per snapshot (_Calendars), which memoises its own years.
@functools.lru_cache(maxsize=1024)
def library_bank_holidays(calendar: Calendar, year: int) -> Mapping[date, str]:
    """The ``holidays`` package's bank holidays of the year, weekend dates included, with their names."""
    return MappingProxyType(dict(sorted(holidays.country_holidays("GB", subdiv=calendar.value, years=year).items())))


def library_years() -> tuple[int, int]:
    """The first and last years the library's rules cover."""
    covered = holidays.country_holidays("GB")
    return covered.start_year, covered.end_year


@dataclass(frozen=True)
class CalendarChange:
    """A day added to, or withdrawn from, a calendar here (a core.models.BankHolidayChange not undone)."""

    calendar: Calendar
    day: date
    added: bool


class _Calendars:
    """Every calendar as a process sees it: the library's days with one set of changes applied.

    Never altered once built: a newer set of changes is a new instance, so nothing memoised here
    can outlive the changes it was worked out from.
    """

    def __init__(self, changes: Iterable[CalendarChange] = ()):
        self.changes = tuple(changes)
        self.loaded_at = monotonic()
        self._years: dict[tuple[Calendar, int], tuple[date, ...]] = {}

    def bank_holidays(self, calendar: Calendar, year: int) -> tuple[date, ...]:
        """The year's bank holidays that fall Monday to Friday, sorted.

        Weekend dates (Boxing Day on a Saturday) are left out: the weekday substitute the
        package adds ("Boxing Day (observed)" on the Monday) is the day off that counts.
        """
        key = (calendar, year)
        days = self._years.get(key)
        if days is None:
            found = {day for day in library_bank_holidays(calendar, year) if day.weekday() < 5}
            for change in self.changes:
                if change.calendar is calendar and change.day.year == year:
                    (found.add if change.added else found.discard)(change.day)
            days = self._years[key] = tuple(sorted(day for day in found if day.weekday() < 5))
        return days


# How the changes made here reach every process without a query on every page (page query counts
# are pinned by tests): each process keeps a snapshot, loaded on first use and again once it is
# older than this. The process that makes a change reloads it as soon as the change commits, and
# works out the deadlines it moves inside the change's own transaction (changes_as_this_transaction_sees);
# other web processes follow within this many seconds. That is safe for what is shown because
# stored due dates were already moved by that transaction, and a change is made days or weeks before
# the day it concerns. A deadline opened by another process in those seconds could still be worked
# out on the old calendar: deadlines.calendar reschedules once more after this interval to catch it.
# (A version number in a shared cache would spread a change faster, but no cache is shared between
# processes here: Django's default cache lives in each process.) Tests start each case from an empty
# snapshot (tests/conftest.py), so a reload never lands inside a pinned query count.
CHANGES_MAX_AGE_SECONDS = 60

_changes_loader: Callable[[], Iterable[CalendarChange]] | None = None
_current: _Calendars | None = None
_in_transaction: ContextVar[_Calendars | None] = ContextVar("calendar_in_transaction", default=None)


def set_changes_loader(loader: Callable[[], Iterable[CalendarChange]]) -> None:
    """Where the changes made here come from (core.apps registers the database's)."""
    global _changes_loader, _current
    _changes_loader = loader
    _current = None


def _load() -> _Calendars:
    return _Calendars(_changes_loader() if _changes_loader else ())


def reload_changes() -> None:
    """Read the changes made here again now (after one commits in this process)."""
    global _current
    _current = _load()


def install_changes(changes: Iterable[CalendarChange]) -> None:
    """Use these changes, as if just loaded (tests start each case from a known calendar)."""
    global _current
    _current = _Calendars(changes)


@contextmanager
def changes_as_this_transaction_sees():
    """Within the block, this thread counts on the changes as the current transaction reads them,
    its own uncommitted change included; the rest of the process keeps its snapshot, so a change
    that is rolled back is never seen there."""
    token = _in_transaction.set(_load())
    try:
        yield
    finally:
        _in_transaction.reset(token)


def _calendars() -> _Calendars:
    global _current
    pending = _in_transaction.get()
    if pending is not None:
        return pending
    current = _current
    if current is None or monotonic() - current.loaded_at >= CHANGES_MAX_AGE_SECONDS:
        current = _current = _load()
    return current


def changes_made_here() -> tuple[CalendarChange, ...]:
    """The changes in force, as this process last read them."""
    return _calendars().changes


def bank_holidays(calendar: Calendar, year: int) -> tuple[date, ...]:
    """The year's weekday bank holidays in ``calendar``, the changes made here applied."""
    return _calendars().bank_holidays(calendar, year)


def is_bank_holiday(day: date, calendar: Calendar) -> bool:
    """Whether ``day`` is a weekday bank holiday in ``calendar`` (weekend days are never counted)."""
    return day in bank_holidays(calendar, day.year)


def weekday_bank_holidays_between(calendar: Calendar, first: date, last: date) -> tuple[date, ...]:
    """The weekday bank holidays d with first <= d <= last in ``calendar``, the changes made here
    applied, sorted: what a query that counts working days itself needs (referrals.figures)."""
    return tuple(day for year in range(first.year, last.year + 1) for day in bank_holidays(calendar, year)
                 if first <= day <= last)


def _bank_holidays_in(calendar: Calendar, after: date, until: date) -> int:
    """How many weekday bank holidays d have after < d <= until (after <= until)."""
    calendars = _calendars()
    count = 0
    for year in range(after.year, until.year + 1):
        days = calendars.bank_holidays(calendar, year)
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
    return day.weekday() < 5 and not is_bank_holiday(day, calendar_for(nation))


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

    @classmethod
    def parse(cls, text: str) -> Allowance:
        """The allowance in the words ``str()`` writes ("1 working day", "45 working days", "72 hours";
        singular or plural either way); ValueError for anything else. Deadlines store their allowance
        in these words, and are worked out again from them when the calendar changes."""
        match = _ALLOWANCE_TEXT.fullmatch(text.strip())
        if match is None:
            raise ValueError(f"Not an allowance: {text!r}")
        unit = next(unit for unit, names in _UNIT_NAMES.items() if match["unit"] in names)
        return cls(int(match["amount"]), unit)


_ALLOWANCE_TEXT = re.compile(
    r"(?P<amount>\d+) (?P<unit>" + "|".join(re.escape(name) for names in _UNIT_NAMES.values() for name in names) + ")"
)


@dataclass(frozen=True)
class CalendarSource:
    """Where the bank holidays come from, for the pages that say so."""

    package: str
    version: str
    covers_until: int
    changes_made_here: int


def calendar_source() -> CalendarSource:
    """The library and version in use, the last year its rules cover, and how many changes made here
    are in force (as this process last read them: no query)."""
    return CalendarSource(
        package="holidays",
        version=holidays.__version__,
        covers_until=library_years()[1],
        changes_made_here=len(changes_made_here()),
    )
