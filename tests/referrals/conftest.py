import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from families.models import LocalAuthority
from referrals import services
from referrals.models import Referral

LONDON = ZoneInfo("Europe/London")


def london(*args):
    return datetime.datetime(*args, tzinfo=LONDON)


@pytest.fixture
def clock():
    """Freeze time; move it with clock.move_to(datetime)."""
    with time_machine.travel(london(2026, 11, 30, 9, 0), tick=False) as traveller:
        yield traveller


@pytest.fixture
def birmingham(db):
    return LocalAuthority.objects.get(code="E08000025")


@pytest.fixture
def referral_at(cast, birmingham):
    """Make a referral to Birmingham made at the given London time (the clock must be past it)."""

    def make(made_at, **fields):
        referral = Referral(local_authority=birmingham, referred_by=Referral.ReferredBy.CHARITY, **fields)
        return services.referral_create(
            user=cast.key_worker, family=cast.family, referral=referral, children=[cast.child],
            referral_made_at=made_at,
        )

    return make
