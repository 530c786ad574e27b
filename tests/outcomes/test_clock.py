"""The next check-in's clock: due three months after the parent's latest ratings while the family is
open, met by the next ratings; "as support ends" once the family is closed; back to three-monthly
when it is reopened."""

import datetime

import pytest
from auditlog.context import set_actor
from django.contrib.contenttypes.models import ContentType

from core.working_days import end_of_local_day
from deadlines import kinds
from deadlines.models import Deadline, OverdueFlag
from deadlines.services import raise_overdue_flags
from families import services as family_services
from families.models import Person
from outcomes import deadline_kinds
from outcomes.models import CheckIn
from tests.factories import PersonFactory
from tests.outcomes.conftest import close, london, record, reopen

pytestmark = pytest.mark.django_db

D = datetime.date


def clocks(parent):
    return Deadline.objects.filter(
        subject_type=ContentType.objects.get_for_model(Person), subject_id=parent.pk, kind=deadline_kinds.CHECK_IN,
    ).order_by("pk")


def open_clock(parent):
    return clocks(parent).filter(met_at__isnull=True, cancelled_at__isnull=True).get()


def test_the_kind_is_registered_for_the_key_worker_and_managers():
    kind = kinds.get(deadline_kinds.CHECK_IN)
    assert kind.label == "Ask the parent's ratings again"
    assert kind.group == "Outcomes"
    assert kind.tells == {kinds.Audience.KEY_WORKER, kinds.Audience.TEAM_MANAGERS}


def test_the_first_ratings_start_a_clock_due_three_months_on(cast, family):
    record(cast, family, asked_on=D(2026, 9, 14))
    deadline = open_clock(cast.carer)
    assert deadline.due_at == end_of_local_day(D(2026, 12, 14))
    assert deadline.family_id == family.pk
    assert deadline.label == "Ask Joanne's ratings again"
    link = kinds.links_for([deadline])[deadline.pk]
    assert link == f"/outcomes/families/{family.pk}/check-ins/new/?parent={cast.carer.pk}"


def test_a_month_without_the_day_gives_its_last_day():
    assert deadline_kinds.next_due_on(D(2026, 11, 30)) == D(2027, 2, 28)
    assert deadline_kinds.next_due_on(D(2027, 11, 30)) == D(2028, 2, 29)


def test_the_next_ratings_meet_the_clock_and_start_the_next(cast, family, clock):
    record(cast, family, asked_on=D(2026, 6, 1))
    first_clock = open_clock(cast.carer)
    record(cast, family, asked_on=D(2026, 8, 20), confidence=4)
    first_clock.refresh_from_db()
    # Met by the end of the day the parent was asked, not when it was typed in.
    assert first_clock.met_at == end_of_local_day(D(2026, 8, 20))
    assert first_clock.cancelled_at is None
    assert open_clock(cast.carer).due_at == end_of_local_day(D(2026, 11, 20))


def test_ratings_dated_before_the_latest_leave_the_clock_alone(cast, family):
    record(cast, family, asked_on=D(2026, 3, 1))
    record(cast, family, asked_on=D(2026, 9, 1))
    before = open_clock(cast.carer)
    record(cast, family, asked_on=D(2026, 5, 1))
    assert open_clock(cast.carer).pk == before.pk
    assert before.due_at == end_of_local_day(D(2026, 12, 1))


def test_each_parent_has_a_clock_of_their_own(cast, family):
    dad = PersonFactory(family=family, first_name="Marcus")
    record(cast, family, asked_on=D(2026, 9, 1))
    record(cast, family, asked_on=D(2026, 10, 1), parent=dad)
    assert open_clock(cast.carer).due_at == end_of_local_day(D(2026, 12, 1))
    assert open_clock(dad).due_at == end_of_local_day(D(2027, 1, 1))


def test_an_overdue_check_in_is_flagged(cast, family, clock):
    record(cast, family, asked_on=D(2026, 8, 27))
    # Due by the end of Friday 27 November: on time at the stroke of midnight, late a second after.
    raise_overdue_flags(now=end_of_local_day(D(2026, 11, 27)))
    assert not OverdueFlag.objects.exists()
    raise_overdue_flags(now=end_of_local_day(D(2026, 11, 27)) + datetime.timedelta(seconds=1))
    flag = OverdueFlag.objects.get()
    assert flag.deadline.kind == deadline_kinds.CHECK_IN
    record(cast, family, asked_on=D(2026, 11, 30))
    flag.refresh_from_db()
    assert flag.resolved_at is not None


def test_closing_the_family_stops_the_regular_clock_and_asks_as_support_ends(cast, family):
    record(cast, family, asked_on=D(2026, 10, 1))
    regular = open_clock(cast.carer)
    # Closed on Friday 27 November 2026: 10 working days on is Friday 11 December.
    close(family, cast.key_worker, closed_on=D(2026, 11, 27))
    regular.refresh_from_db()
    assert regular.cancelled_at is not None
    ending = open_clock(cast.carer)
    assert ending.due_at == end_of_local_day(D(2026, 12, 11))
    assert ending.label == "Ask Joanne's ratings as support ends"
    assert ending.allowance == "10 working days"


def test_ratings_as_support_ends_meet_the_last_clock(cast, family):
    record(cast, family, asked_on=D(2026, 10, 1))
    close(family, cast.key_worker, closed_on=D(2026, 11, 27))
    ending = open_clock(cast.carer)
    family.refresh_from_db()
    check_in = record(cast, family, asked_on=D(2026, 11, 30), confidence=4)
    assert check_in.occasion == CheckIn.Occasion.CLOSURE
    ending.refresh_from_db()
    assert ending.met_at is not None
    assert not clocks(cast.carer).filter(met_at__isnull=True, cancelled_at__isnull=True).exists()


def test_reopening_starts_the_regular_clock_again_from_the_latest_ratings(cast, family):
    record(cast, family, asked_on=D(2026, 10, 1))
    close(family, cast.key_worker, closed_on=D(2026, 11, 27))
    ending = open_clock(cast.carer)
    reopen(family, cast.key_worker)
    ending.refresh_from_db()
    assert ending.cancelled_at is not None
    assert open_clock(cast.carer).due_at == end_of_local_day(D(2027, 1, 1))


def test_a_family_closed_after_ratings_as_support_ends_asks_nothing_more(cast, family):
    record(cast, family, asked_on=D(2026, 10, 1))
    record(cast, family, asked_on=D(2026, 11, 26), occasion=CheckIn.Occasion.CLOSURE)
    close(family, cast.key_worker, closed_on=D(2026, 11, 27))
    assert not clocks(cast.carer).filter(met_at__isnull=True, cancelled_at__isnull=True).exists()


def test_a_parent_never_asked_has_no_clock_even_at_closure(cast, family):
    close(family, cast.key_worker, closed_on=D(2026, 11, 27))
    assert not Deadline.objects.filter(kind=deadline_kinds.CHECK_IN).exists()


def test_editing_a_closed_family_again_keeps_one_clock(cast, family, clock):
    record(cast, family, asked_on=D(2026, 10, 1))
    closed = close(family, cast.key_worker, closed_on=D(2026, 11, 27))
    clock.move_to(london(2026, 12, 1, 9, 0))
    closed.preferred_channel = "text"
    with set_actor(cast.key_worker):
        family_services.family_update(user=cast.key_worker, family=closed, expected_version=closed.version)
    assert clocks(cast.carer).filter(met_at__isnull=True, cancelled_at__isnull=True).count() == 1
    assert clocks(cast.carer).count() == 2  # the regular one, cancelled at closure, and the last one
