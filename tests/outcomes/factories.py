import datetime

import factory

from outcomes.models import CheckIn
from tests.factories import PersonFactory, UserFactory


class CheckInFactory(factory.django.DjangoModelFactory):
    """A parent's check-in: by default the first, with a middling answer to each of the three measures
    every parent is asked."""

    class Meta:
        model = CheckIn

    parent = factory.SubFactory(PersonFactory)
    family = factory.SelfAttribute("parent.family")
    occasion = CheckIn.Occasion.FIRST
    asked_on = datetime.date(2026, 1, 15)
    confidence = 3
    understanding = 3
    wellbeing = 3
    csc_support = None
    recorded_by = factory.SubFactory(UserFactory)
