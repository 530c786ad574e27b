import datetime

import factory
from django.utils import timezone

from agencies.models import Agency, Professional
from meetings.models import Meeting, MeetingAction
from tests.factories import FamilyFactory, UserFactory


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    name = factory.Sequence(lambda n: f"Test agency {n}")
    kind = Agency.Kind.POLICE
    local_authority = None


class ProfessionalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Professional

    agency = factory.SubFactory(AgencyFactory)
    full_name = factory.Faker("name", locale="en_GB")


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meeting

    family = factory.SubFactory(FamilyFactory)
    kind = Meeting.Kind.MACE
    held_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=14))
    recorded_by = factory.SubFactory(UserFactory)


class MeetingActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MeetingAction

    meeting = factory.SubFactory(MeetingFactory)
    description = factory.Sequence(lambda n: f"Agreed action {n}")
    agency_name = "Police"
    owner_name = "PC Shah"
    due_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=7))
    position = factory.Sequence(lambda n: n)
