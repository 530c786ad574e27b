import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from auditlog.context import set_actor

from families import services as family_services
from families.models import Family
from outcomes import services
from outcomes.models import CheckIn

LONDON = ZoneInfo("Europe/London")


def london(*args):
    return datetime.datetime(*args, tzinfo=LONDON)


@pytest.fixture(autouse=True)
def clock():
    """Monday 30 November 2026, 09:00 in London, frozen; move it with clock.move_to(datetime)."""
    with time_machine.travel(london(2026, 11, 30, 9, 0), tick=False) as traveller:
        yield traveller


@pytest.fixture
def family(cast):
    """The cast's family, added on 5 January 2026."""
    Family.objects.filter(pk=cast.family.pk).update(created_at=london(2026, 1, 5, 10, 0))
    cast.family.refresh_from_db()
    return cast.family


def record(cast, family, *, asked_on, parent=None, contact=None, occasion="", **scores):
    scores = scores or {"confidence": 2, "understanding": 3, "wellbeing": 2}
    check_in = CheckIn(parent=parent or cast.carer, asked_on=asked_on, occasion=occasion, **scores)
    with set_actor(cast.key_worker):
        return services.check_in_record(user=cast.key_worker, family=family, check_in=check_in, contact=contact)


def close(family, user, *, closed_on):
    family = Family.objects.get(pk=family.pk)
    family.status = Family.Status.CLOSED
    family.closure_reason = Family.ClosureReason.SUPPORT_COMPLETE
    family.closed_on = closed_on
    with set_actor(user):
        family_services.family_update(user=user, family=family, expected_version=family.version)
    return family


def reopen(family, user):
    family = Family.objects.get(pk=family.pk)
    family.status = Family.Status.OPEN
    with set_actor(user):
        family_services.family_update(user=user, family=family, expected_version=family.version)
    return family
