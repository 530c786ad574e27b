"""Adding or withdrawing a bank holiday here: the change, the deadlines that move with it, and the
administrators' calendar page."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.errors import UserFixableError
from core.models import BankHolidayChange
from core.working_days import Allowance, Calendar
from deadlines import calendar as calendar_changes
from deadlines import services
from deadlines.models import Deadline, OverdueFlag
from deadlines.signals import deadlines_rescheduled
from families.models import Family, Role
from tests.conftest import client_for
from tests.factories import MembershipFactory

LONDON = ZoneInfo("Europe/London")
CALENDAR_URL = reverse("deadlines:calendar")
# Wednesday 17 June 2026: no bank holiday in any nation.
ONE_OFF = date(2026, 6, 17)
# Monday 15 June 2026, 10:00: five working days run to the end of Monday 22 June (ten to Monday 29th).
STARTED = datetime(2026, 6, 15, 10, 0, tzinfo=LONDON)
# Every test here runs on this clock unless it travels on: before the deadlines fall due.
TODAY = datetime(2026, 6, 15, 12, 0, tzinfo=LONDON)


def london(*args):
    return datetime(*args, tzinfo=LONDON)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(TODAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def administrator(db):
    return MembershipFactory(role=Role.ADMINISTRATOR).user


@pytest.fixture
def administrator_client(administrator):
    return client_for(administrator)


FIVE_WORKING_DAYS = Allowance(5, "working_days")


def open_deadline(family, *, kind="test:calendar", nation="england", allowance=FIVE_WORKING_DAYS, started_at=STARTED):
    return services.deadline_set(family=family, subject=family, kind=kind, label="Something promised",
                                 allowance=allowance, nation=nation, started_at=started_at)


def add_one_off(user, *, calendar=Calendar.ENGLAND_AND_WALES, day=ONE_OFF, now=None):
    return calendar_changes.calendar_change_record(
        user=user, calendar=calendar, day=day, change=BankHolidayChange.Change.ADDED,
        name="A one-off bank holiday", source="Royal proclamation, 1 June 2026", now=now,
    )


# ------------------------------------------------------------------ moving deadlines


@pytest.mark.django_db
def test_a_day_added_moves_open_deadlines_spanning_it_in_that_nation_only(cast, administrator):
    english = open_deadline(cast.family)
    welsh = open_deadline(cast.family, kind="test:wales", nation="wales")
    northern_irish = open_deadline(cast.family, kind="test:ni", nation="northern_ireland")
    in_hours = open_deadline(cast.family, kind="test:hours", allowance=Allowance(72, "hours"))
    started_after = open_deadline(cast.family, kind="test:after", started_at=london(2026, 6, 17, 9, 0))
    assert english.due_at == london(2026, 6, 23, 0, 0)

    outcome = add_one_off(administrator)

    assert outcome.rescheduled == 2
    assert outcome.message == "2 open deadlines in England and Wales were recomputed."
    for deadline in (english, welsh):
        deadline.refresh_from_db()
        assert deadline.due_at == london(2026, 6, 24, 0, 0)  # one working day later: end of Tuesday 23rd
        assert deadline.escalate_at == london(2026, 7, 1, 0, 0)  # end of Tuesday 30th, not Monday 29th
    for unchanged in (northern_irish, in_hours, started_after):
        before = (unchanged.due_at, unchanged.escalate_at)
        unchanged.refresh_from_db()
        assert (unchanged.due_at, unchanged.escalate_at) == before


@pytest.mark.django_db
def test_undoing_the_change_moves_them_back(cast, administrator):
    deadline = open_deadline(cast.family)
    change = add_one_off(administrator).change

    outcome = calendar_changes.calendar_change_undo(user=administrator, change=change)

    assert outcome.message == "1 open deadline in England and Wales was recomputed."
    deadline.refresh_from_db()
    assert deadline.due_at == london(2026, 6, 23, 0, 0)
    change.refresh_from_db()
    assert change.undone_by == administrator and change.undone_at is not None


@pytest.mark.django_db
def test_withdrawing_a_library_day_moves_deadlines_earlier(cast, administrator):
    # Five working days from Wednesday 26 August 2026 skip the late summer bank holiday (Monday 31st):
    # due at the end of Thursday 3 September, or of Wednesday 2nd without it.
    deadline = open_deadline(cast.family, started_at=london(2026, 8, 26, 10, 0))
    assert deadline.due_at == london(2026, 9, 4, 0, 0)
    calendar_changes.calendar_change_record(
        user=administrator, calendar=Calendar.ENGLAND_AND_WALES, day=date(2026, 8, 31),
        change=BankHolidayChange.Change.WITHDRAWN, name="Not a bank holiday after all", source="Test",
    )
    deadline.refresh_from_db()
    assert deadline.due_at == london(2026, 9, 3, 0, 0)


@pytest.mark.django_db
def test_met_and_cancelled_deadlines_stay_as_they_were(cast, administrator):
    met = open_deadline(cast.family, kind="test:met")
    services.deadline_meet(met, at=london(2026, 6, 16, 12, 0))
    add_one_off(administrator)
    met.refresh_from_db()
    assert met.due_at == london(2026, 6, 23, 0, 0)


@pytest.mark.django_db
def test_apps_hear_which_subjects_moved(cast, administrator):
    open_deadline(cast.family)
    heard = []

    def receiver(sender, subject_type, subject_ids, **kwargs):
        heard.append((subject_type, subject_ids))

    deadlines_rescheduled.connect(receiver)
    try:
        add_one_off(administrator)
    finally:
        deadlines_rescheduled.disconnect(receiver)
    assert heard == [(ContentType.objects.get_for_model(Family), [cast.family.pk])]


@pytest.mark.django_db
def test_a_flagged_deadline_no_longer_due_is_replaced_and_its_flag_resolved(cast, administrator):
    deadline = open_deadline(cast.family)
    services.raise_overdue_flags(now=london(2026, 6, 23, 12, 0))
    flag = OverdueFlag.objects.get(deadline=deadline)
    now = london(2026, 6, 23, 12, 30)

    assert add_one_off(administrator, now=now).rescheduled == 1

    deadline.refresh_from_db()
    flag.refresh_from_db()
    assert deadline.cancelled_at == now and deadline.closed_at == now
    assert flag.resolved_at == now
    replacement = Deadline.objects.get(subject_id=cast.family.pk, kind="test:calendar", cancelled_at__isnull=True)
    assert replacement.due_at == london(2026, 6, 24, 0, 0)
    assert replacement.started_at == deadline.started_at and replacement.allowance == deadline.allowance
    # When the new due moment passes, the overdue job flags the replacement (a flag is one deadline's
    # for good: the old row could not have been flagged again).
    run = services.raise_overdue_flags(now=london(2026, 6, 24, 9, 0))
    assert run.flagged == 1
    assert OverdueFlag.objects.get(deadline=replacement).resolved_at is None


@pytest.mark.django_db
def test_a_flagged_deadline_still_overdue_keeps_its_flag_which_escalates_at_the_new_moment(cast, administrator):
    deadline = open_deadline(cast.family)
    services.raise_overdue_flags(now=london(2026, 6, 25, 12, 0))
    add_one_off(administrator, now=london(2026, 6, 25, 13, 0))
    deadline.refresh_from_db()
    flag = OverdueFlag.objects.get(deadline=deadline)
    assert deadline.cancelled_at is None and deadline.due_at == london(2026, 6, 24, 0, 0)
    assert flag.resolved_at is None
    assert flag.escalate_at == deadline.escalate_at == london(2026, 7, 1, 0, 0)
    assert flag.due_at == deadline.due_at  # the queue sorts on the flag's copy


@pytest.mark.django_db
def test_an_unflagged_deadline_moved_into_the_past_is_replaced_for_the_overdue_job(cast, administrator,
                                                                                    frozen_clock):
    # Wednesday 26 August 2026 + 5 working days: the end of Thursday 3 September, over the late summer
    # bank holiday; the end of Wednesday 2nd without it.
    deadline = open_deadline(cast.family, started_at=london(2026, 8, 26, 10, 0))
    frozen_clock.move_to(london(2026, 9, 3, 8, 0))
    assert services.raise_overdue_flags().flagged == 0  # not due yet; the watermark moves to 08:00
    frozen_clock.move_to(london(2026, 9, 3, 9, 0))
    calendar_changes.calendar_change_record(
        user=administrator, calendar=Calendar.ENGLAND_AND_WALES, day=date(2026, 8, 31),
        change=BankHolidayChange.Change.WITHDRAWN, name="Not a bank holiday", source="Test",
    )
    deadline.refresh_from_db()
    assert deadline.cancelled_at == london(2026, 9, 3, 9, 0)
    replacement = Deadline.objects.get(subject_id=cast.family.pk, kind="test:calendar", cancelled_at__isnull=True)
    assert replacement.due_at == london(2026, 9, 3, 0, 0)
    # Due before the watermark, so the job finds it only as a deadline created since its last run.
    frozen_clock.move_to(london(2026, 9, 3, 9, 5))
    assert services.raise_overdue_flags().flagged == 1
    assert OverdueFlag.objects.filter(deadline=replacement).exists()


@pytest.mark.django_db
def test_rescheduling_works_in_batches_with_a_constant_number_of_queries(cast, administrator, monkeypatch):
    from tests.factories import FamilyFactory

    def deadlines(count):
        for _ in range(count):
            open_deadline(FamilyFactory(team=cast.family.team))

    def queries_to_reschedule():
        with CaptureQueriesContext(connection) as queries:
            calendar_changes.deadlines_reschedule_for_calendar(calendar=Calendar.ENGLAND_AND_WALES, day=ONE_OFF)
        return len(queries)

    deadlines(3)
    BankHolidayChange.objects.create(calendar="ENG", day=ONE_OFF, change="added", name="x", source="x",
                                     created_by=administrator)
    small = queries_to_reschedule()
    BankHolidayChange.objects.all().delete()
    calendar_changes.deadlines_reschedule_for_calendar(calendar=Calendar.ENGLAND_AND_WALES, day=ONE_OFF)
    deadlines(30)
    BankHolidayChange.objects.create(calendar="ENG", day=ONE_OFF, change="added", name="x", source="x",
                                     created_by=administrator)
    assert queries_to_reschedule() == small
    monkeypatch.setattr(calendar_changes, "RESCHEDULE_BATCH", 7)
    BankHolidayChange.objects.all().delete()
    assert calendar_changes.deadlines_reschedule_for_calendar(calendar=Calendar.ENGLAND_AND_WALES, day=ONE_OFF) == 33
    assert not Deadline.objects.filter(cancelled_at__isnull=True, due_at=london(2026, 6, 24, 0, 0)).exists()


@pytest.mark.django_db
def test_the_process_reads_the_calendar_again_when_the_change_commits(cast, administrator,
                                                                      django_capture_on_commit_callbacks):
    from core.working_days import is_working_day

    with django_capture_on_commit_callbacks(execute=True):
        add_one_off(administrator)
    assert not is_working_day(ONE_OFF, "england")


# ------------------------------------------------------------------ the change and its audit


@pytest.mark.django_db
def test_the_change_is_audited_with_the_administrator(cast, administrator_client, administrator):
    response = administrator_client.post(CALENDAR_URL, {
        "calendar": "ENG", "change": "added", "day": "2026-06-17", "name": "A one-off day",
        "source": "Royal proclamation, 1 June 2026",
    })
    assert response.status_code == 302
    change = BankHolidayChange.objects.get()
    entry = LogEntry.objects.get_for_object(change).get()
    assert entry.action == LogEntry.Action.CREATE
    assert entry.actor == administrator
    administrator_client.post(reverse("deadlines:calendar_change_undo", args=[change.pk]))
    undone = LogEntry.objects.get_for_object(change).get(action=LogEntry.Action.UPDATE)
    assert undone.actor == administrator
    assert "undone_at" in undone.changes_dict


@pytest.mark.django_db
def test_outside_a_request_the_actor_is_named_with_set_actor(cast, administrator):
    with set_actor(administrator):
        change = add_one_off(administrator).change
    assert LogEntry.objects.get_for_object(change).get().actor == administrator


@pytest.mark.django_db
def test_a_change_undone_twice_is_refused(cast, administrator):
    change = add_one_off(administrator).change
    calendar_changes.calendar_change_undo(user=administrator, change=change)
    with pytest.raises(UserFixableError, match="undone already"):
        calendar_changes.calendar_change_undo(user=administrator, change=change)


# ------------------------------------------------------------------ the page


@pytest.mark.django_db
def test_the_page_lists_each_nations_days_and_the_changes(cast, administrator, administrator_client):
    add_one_off(administrator, calendar=Calendar.SCOTLAND)
    response = administrator_client.get(CALENDAR_URL, {"year": 2026})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Friday 25 December 2026" in html
    assert "Wednesday 17 June 2026" in html
    assert "Royal proclamation, 1 June 2026" in html
    assert "the <code>holidays</code> package, version 0.108" in html
    scotland = next(n for n in response.context["nations"] if n.calendar is Calendar.SCOTLAND)
    assert [row.origin for row in scotland.days if row.day == ONE_OFF] == ["added"]
    england = next(n for n in response.context["nations"] if n.calendar is Calendar.ENGLAND_AND_WALES)
    assert ONE_OFF not in [row.day for row in england.days]


@pytest.mark.django_db
def test_saving_says_how_many_deadlines_moved(cast, administrator_client):
    open_deadline(cast.family)
    response = administrator_client.post(CALENDAR_URL, {
        "calendar": "ENG", "change": "added", "day": "2026-06-17", "name": "A one-off day", "source": "Test",
    }, follow=True)
    assert response.redirect_chain[-1][0] == f"{CALENDAR_URL}?year=2026"
    assert "1 open deadline in England and Wales was recomputed." in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"day": "2026-12-25"}, "day", "Friday 25 December 2026 is already a bank holiday in England and Wales"),
        ({"day": "2026-06-17", "change": "withdrawn"}, "day", "is not a bank holiday in England and Wales"),
        ({"day": "2026-06-20"}, "day", "Saturday 20 June 2026 is a weekend day"),
        ({"day": "17 June"}, "day", "must be a real date"),
        ({"day": "2150-06-17"}, "day", "check the year"),
        ({"source": ""}, "source", "Say where the change was announced"),
        ({"name": "<b>Day</b>"}, "name", "angle-bracket"),
        ({"calendar": "FR"}, "calendar", "Choose the nation from the list"),
    ],
)
def test_form_errors_are_shown_next_to_the_field_and_keep_what_was_typed(cast, administrator_client, data, field,
                                                                         message):
    typed = {"calendar": "ENG", "change": "added", "day": "2026-06-17", "name": "A one-off day",
             "source": "Royal proclamation", **data}
    response = administrator_client.post(CALENDAR_URL, typed)
    assert response.status_code == 200
    form = response.context["form"]
    assert any(message in error for error in form.errors[field]), form.errors
    assert form.data["name"] == typed["name"] and form.data["source"] == typed["source"]
    assert not BankHolidayChange.objects.exists()


@pytest.mark.django_db
def test_adding_back_a_day_withdrawn_here_asks_for_an_undo(cast, administrator, administrator_client):
    calendar_changes.calendar_change_record(
        user=administrator, calendar=Calendar.ENGLAND_AND_WALES, day=date(2026, 12, 25),
        change=BankHolidayChange.Change.WITHDRAWN, name="Test", source="Test",
    )
    response = administrator_client.post(CALENDAR_URL, {
        "calendar": "ENG", "change": "added", "day": "2026-12-25", "name": "Christmas Day", "source": "Test",
    })
    assert "undo that change instead" in response.context["form"].errors["day"][0]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["manager", "key_worker", "outsider"])
def test_only_administrators_see_or_change_the_calendar(cast, administrator, who):
    change = add_one_off(administrator).change
    client = client_for(getattr(cast, who))
    assert client.get(CALENDAR_URL).status_code == 404
    assert client.post(CALENDAR_URL, {"calendar": "SCT", "change": "added", "day": "2026-06-18",
                                      "name": "x", "source": "x"}).status_code == 404
    assert client.post(reverse("deadlines:calendar_change_undo", args=[change.pk])).status_code == 404
    change.refresh_from_db()
    assert change.is_in_force and BankHolidayChange.objects.count() == 1


@pytest.mark.django_db
def test_signed_out_visitors_are_sent_to_sign_in(anonymous_client):
    assert anonymous_client.get(CALENDAR_URL).status_code == 302


@pytest.mark.django_db
def test_the_thresholds_page_says_where_the_calendar_comes_from(cast, manager_client, administrator_client):
    url = reverse("referrals:thresholds")
    html = manager_client.get(url).content.decode()
    assert "package version 0.108, covering up to 2100, with 0 changes made here" in html
    assert CALENDAR_URL not in html
    assert f'href="{CALENDAR_URL}"' in administrator_client.get(url).content.decode()
