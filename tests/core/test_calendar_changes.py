"""Changes made here on top of the library's bank holidays, and how each process keeps them."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from core import working_days
from core.working_days import (
    Calendar,
    CalendarChange,
    add_working_days,
    bank_holidays,
    calendar_source,
    is_working_day,
    working_days_between,
)

LONDON = ZoneInfo("Europe/London")
# A Wednesday with no bank holiday in any nation; the next day is a Thursday.
ONE_OFF = date(2026, 6, 17)
CORONATION = date(2023, 5, 8)


def london(*args):
    return datetime(*args, tzinfo=LONDON)


def test_an_added_day_counts_in_its_nation_only():
    assert is_working_day(ONE_OFF, "scotland")
    working_days.install_changes([CalendarChange(Calendar.SCOTLAND, ONE_OFF, added=True)])
    assert not is_working_day(ONE_OFF, "scotland")
    assert is_working_day(ONE_OFF, "england")
    assert is_working_day(ONE_OFF, "northern_ireland")
    # Tuesday 16 June, one working day: Thursday in Scotland, Wednesday elsewhere.
    assert add_working_days(london(2026, 6, 16, 10), 1, "scotland") == london(2026, 6, 19, 0, 0)
    assert add_working_days(london(2026, 6, 16, 10), 1, "wales") == london(2026, 6, 18, 0, 0)
    assert working_days_between(london(2026, 6, 16, 10), london(2026, 6, 18, 10), "scotland") == 1


def test_a_withdrawn_day_is_a_working_day_again():
    assert not is_working_day(CORONATION, "england")
    working_days.install_changes([CalendarChange(Calendar.ENGLAND_AND_WALES, CORONATION, added=False)])
    assert is_working_day(CORONATION, "england")
    assert is_working_day(CORONATION, "wales")
    assert not is_working_day(CORONATION, "scotland")
    assert CORONATION not in bank_holidays(Calendar.ENGLAND_AND_WALES, 2023)


def test_a_weekend_day_added_changes_nothing():
    saturday = date(2026, 6, 20)
    before = bank_holidays(Calendar.ENGLAND_AND_WALES, 2026)
    working_days.install_changes([CalendarChange(Calendar.ENGLAND_AND_WALES, saturday, added=True)])
    assert bank_holidays(Calendar.ENGLAND_AND_WALES, 2026) == before


def test_days_worked_out_before_a_change_are_not_kept_after_it():
    """Each set of changes has its own memo of years: nothing cached survives a change."""
    assert ONE_OFF not in bank_holidays(Calendar.SCOTLAND, 2026)
    working_days.install_changes([CalendarChange(Calendar.SCOTLAND, ONE_OFF, added=True)])
    assert ONE_OFF in bank_holidays(Calendar.SCOTLAND, 2026)
    working_days.install_changes([])
    assert ONE_OFF not in bank_holidays(Calendar.SCOTLAND, 2026)


def test_the_snapshot_is_read_again_once_it_is_old(monkeypatch):
    reads = []

    def loader():
        reads.append(1)
        return [CalendarChange(Calendar.SCOTLAND, ONE_OFF, added=True)]

    monkeypatch.setattr(working_days, "_changes_loader", loader)
    clock = [1000.0]
    monkeypatch.setattr(working_days, "monotonic", lambda: clock[0])
    working_days.install_changes([])
    assert is_working_day(ONE_OFF, "scotland")
    clock[0] += working_days.CHANGES_MAX_AGE_SECONDS - 1
    assert is_working_day(ONE_OFF, "scotland")
    assert reads == []
    clock[0] += 1
    assert not is_working_day(ONE_OFF, "scotland")
    assert not is_working_day(ONE_OFF, "scotland")
    assert reads == [1]


def test_within_a_transaction_block_the_fresh_changes_are_used_and_then_dropped(monkeypatch):
    monkeypatch.setattr(working_days, "_changes_loader", lambda: [CalendarChange(Calendar.SCOTLAND, ONE_OFF, True)])
    working_days.install_changes([])
    with working_days.changes_as_this_transaction_sees():
        assert not is_working_day(ONE_OFF, "scotland")
    assert is_working_day(ONE_OFF, "scotland")


def test_calendar_source():
    working_days.install_changes([
        CalendarChange(Calendar.SCOTLAND, ONE_OFF, added=True),
        CalendarChange(Calendar.ENGLAND_AND_WALES, CORONATION, added=False),
    ])
    source = calendar_source()
    assert source.package == "holidays"
    assert source.version == "0.108"
    assert source.covers_until == 2100
    assert source.changes_made_here == 2


def test_nations_of_a_calendar():
    assert working_days.nations_of(Calendar.ENGLAND_AND_WALES) == ["england", "wales"]
    assert working_days.nations_of(Calendar.SCOTLAND) == ["scotland"]
    assert Calendar.NORTHERN_IRELAND.label == "Northern Ireland"


@pytest.mark.django_db
def test_the_database_loader_reads_only_changes_in_force(cast):
    from django.utils import timezone

    from core.models import BankHolidayChange
    from core.selectors import calendar_changes_in_force

    BankHolidayChange.objects.create(calendar="SCT", day=ONE_OFF, change="added", name="One-off", source="Test",
                                     created_by=cast.manager)
    BankHolidayChange.objects.create(calendar="ENG", day=CORONATION, change="withdrawn", name="x", source="Test",
                                     created_by=cast.manager, undone_at=timezone.now(), undone_by=cast.manager)
    assert calendar_changes_in_force() == [CalendarChange(Calendar.SCOTLAND, ONE_OFF, True)]
