"""Changes to the bank-holiday calendar (audited by django-auditlog, attributed by its middleware or
``set_actor``). The deadlines counted on it are moved by deadlines.calendar, which calls these
inside its transaction."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from core.errors import UserFixableError
from core.models import BankHolidayChange
from core.working_days import Calendar, library_bank_holidays, library_years


def _day_in_words(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def _refuse_unless_it_would_change_something(*, calendar: Calendar, day: date, change: str):
    """A change must alter which weekdays are working days: anything else is refused with the reason,
    next to the day."""
    first, last = library_years()
    if not first <= day.year <= last:
        raise UserFixableError(f"Choose a day from {first} to {last}, the years the calendar covers.", field="day")
    when, where = _day_in_words(day), calendar.label
    if day.weekday() >= 5:
        raise UserFixableError(
            f"{when} is a weekend day, which is never a working day: this change would move no deadline. "
            "If a weekday is given instead, choose that day.",
            field="day",
        )
    in_force = BankHolidayChange.objects.filter(calendar=calendar, day=day, undone_at__isnull=True).first()
    if in_force and in_force.change == BankHolidayChange.Change.ADDED:
        raise UserFixableError(
            f"{when} is already a bank holiday in {where}: it was added here ({in_force.name})."
            if change == BankHolidayChange.Change.ADDED
            else f"{when} is a bank holiday in {where} only because it was added here: undo that change instead.",
            field="day",
        )
    if in_force:
        raise UserFixableError(
            f"{when} was withdrawn here: undo that change instead, and it is a bank holiday again."
            if change == BankHolidayChange.Change.ADDED
            else f"{when} is not a bank holiday in {where}: it was withdrawn here already.",
            field="day",
        )
    library_name = library_bank_holidays(calendar, day.year).get(day)
    if change == BankHolidayChange.Change.ADDED and library_name:
        raise UserFixableError(f"{when} is already a bank holiday in {where} ({library_name}).", field="day")
    if change == BankHolidayChange.Change.WITHDRAWN and not library_name:
        raise UserFixableError(f"{when} is not a bank holiday in {where}, so it cannot be withdrawn.", field="day")


def bank_holiday_change_record(*, user, calendar: Calendar, day: date, change: str, name: str,
                               source: str) -> BankHolidayChange:
    """Add ``day`` to, or withdraw it from, ``calendar``'s bank holidays, made by ``user``. Inside
    the caller's transaction, which moves the deadlines (deadlines.calendar.calendar_change_record)."""
    calendar = Calendar(calendar)
    with transaction.atomic():
        _refuse_unless_it_would_change_something(calendar=calendar, day=day, change=change)
        return BankHolidayChange.objects.create(
            calendar=calendar, day=day, change=change, name=name, source=source, created_by=user
        )


def bank_holiday_change_undo(*, user, change: BankHolidayChange) -> BankHolidayChange:
    """The change no longer applies: the library's day stands again. The row stays, marked undone."""
    with transaction.atomic():
        locked = BankHolidayChange.objects.select_for_update().get(pk=change.pk)
        if locked.undone_at is not None:
            raise UserFixableError("This change was undone already.")
        locked.undone_at = timezone.now()
        locked.undone_by = user
        locked.save(update_fields=["undone_at", "undone_by"])
        return locked
