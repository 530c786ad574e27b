import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from families.models import LocalAuthority
from referrals import services as referrals
from referrals.models import Milestone, Referral

LONDON = ZoneInfo("Europe/London")


def london(*args):
    return datetime.datetime(*args, tzinfo=LONDON)


@pytest.fixture
def clock():
    """Monday 30 November 2026, 09:00 in London, frozen; move it with clock.move_to(datetime)."""
    with time_machine.travel(london(2026, 11, 30, 9, 0), tick=False) as traveller:
        yield traveller


@pytest.fixture
def child_protection_referral(cast, clock):
    """A referral made on Monday 23 November 2026; on Tuesday 24 children's social care decided on a
    child protection enquiry, so a strategy discussion is due by the end of Wednesday 25."""
    referral = Referral(local_authority=LocalAuthority.objects.get(code="E08000025"),
                        referred_by=Referral.ReferredBy.CHARITY)
    referrals.referral_create(user=cast.key_worker, family=cast.family, referral=referral, children=[cast.child],
                              referral_made_at=london(2026, 11, 23, 10, 0))
    referrals.referral_record_milestone(
        user=cast.key_worker, referral=referral, milestone=Milestone.DECISION,
        occurred_at=london(2026, 11, 24, 15, 0), decision=Referral.Decision.CHILD_PROTECTION,
    )
    return referral
