from dataclasses import dataclass
from datetime import date

from django.shortcuts import get_object_or_404

from core.models import BankHolidayChange
from core.working_days import Calendar, CalendarChange, library_bank_holidays


def calendar_changes_in_force() -> list[CalendarChange]:
    """Every change made here and not undone, for core.working_days (one query)."""
    rows = BankHolidayChange.objects.filter(undone_at__isnull=True).values_list("calendar", "day", "change")
    return [
        CalendarChange(Calendar(calendar), day, change == BankHolidayChange.Change.ADDED)
        for calendar, day, change in rows
    ]


def calendar_changes_of_year(year: int):
    """The changes of a year's days, undone ones included, for the calendar page."""
    return (
        BankHolidayChange.objects.filter(day__year=year)
        .select_related("created_by", "undone_by")
        .order_by("calendar", "day", "created_at")
    )


@dataclass(frozen=True)
class CalendarDay:
    day: date
    name: str
    # "library": from the holidays package; "added" or "withdrawn": a change made here is in force.
    origin: str
    change: BankHolidayChange | None = None

    @property
    def is_weekend(self) -> bool:
        return self.day.weekday() >= 5


@dataclass(frozen=True)
class NationCalendar:
    calendar: Calendar
    days: list[CalendarDay]
    changes: list[BankHolidayChange]

    @property
    def label(self) -> str:
        return self.calendar.label


def calendar_year(year: int) -> list[NationCalendar]:
    """Each nation's bank holidays of ``year`` as the calendar page lists them: the library's days, with
    those withdrawn here marked, the days added here, and every change made here (undone ones too).
    Read from the database, not from this process's snapshot, so the page shows what was saved."""
    changes = list(calendar_changes_of_year(year))
    nations = []
    for calendar in Calendar:
        own = [change for change in changes if change.calendar == calendar]
        in_force = {change.day: change for change in own if change.is_in_force}
        days = [
            CalendarDay(day, name, "withdrawn" if day in in_force else "library", in_force.get(day))
            for day, name in library_bank_holidays(calendar, year).items()
        ]
        days += [
            CalendarDay(change.day, change.name, "added", change)
            for change in in_force.values()
            if change.change == BankHolidayChange.Change.ADDED
        ]
        nations.append(NationCalendar(calendar, sorted(days, key=lambda row: row.day), own))
    return nations


def calendar_change(pk: int) -> BankHolidayChange:
    """One change made here, or Http404 (the caller has checked that the user is an administrator)."""
    return get_object_or_404(BankHolidayChange, pk=pk)
