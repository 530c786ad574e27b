import datetime

import factory
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from core.validators import name_key, phone_key
from deadlines.models import Deadline, Notification, OverdueFlag
from families.models import (
    AuthorityDistrict,
    Consent,
    Contact,
    ExploitationType,
    Family,
    FamilyTransfer,
    FollowUp,
    LocalAuthority,
    Membership,
    Person,
    Relationship,
    RiskLevelChange,
    Role,
    SupportCategory,
    Team,
)
from referrals.models import (
    Escalation,
    Milestone,
    MilestoneRecord,
    ParentUpdate,
    Referral,
    SocialWorkerAllocation,
    ThresholdRule,
)
from staff.models import User

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"worker{n}@pace.example.org")
    full_name = factory.Faker("name", locale="en_GB")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(self, create, extracted, **kwargs):
        if create:
            self.save()


class TOTPDeviceFactory(factory.django.DjangoModelFactory):
    """A confirmed authenticator app; tests.two_factor.current_code gives the code it shows now."""

    class Meta:
        model = "otp_totp.TOTPDevice"

    user = factory.SubFactory(UserFactory)
    name = "Authenticator app"
    confirmed = True


class LocalAuthorityFactory(factory.django.DjangoModelFactory):
    """Prefer the real authorities loaded by migration; this makes test-only ones."""

    class Meta:
        model = LocalAuthority
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"T{n:08d}")
    name = factory.Sequence(lambda n: f"Testshire {n}")
    nation = "england"


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Parent liaison team {n}")
    kind = Team.Kind.PARENT_LIAISON
    local_authority = factory.SubFactory(LocalAuthorityFactory)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    team = factory.SubFactory(TeamFactory)
    role = Role.CASEWORKER


class FamilyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Family

    team = factory.SubFactory(TeamFactory)
    postcode = "B1 1AA"
    address = factory.Faker("street_address", locale="en_GB")
    local_authority = factory.SelfAttribute("team.local_authority")
    source = Family.Source.SELF
    reference = factory.LazyAttributeSequence(lambda o, n: f"F-{900000 + n:06d}")


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    family = factory.SubFactory(FamilyFactory)
    kind = Person.Kind.CARER
    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Faker("last_name", locale="en_GB")
    # 07700 910000 upwards: the numbers tests type by hand (07700 900123) never belong to someone already there.
    phone = factory.Sequence(lambda n: f"07700 9{10000 + n % 90000:05d}")
    # The keys services._prepare_person keeps, which the search and the duplicate check read.
    phone_digits = factory.LazyAttribute(lambda o: phone_key(o.phone))
    first_name_key = factory.LazyAttribute(lambda o: name_key(o.first_name))
    last_name_key = factory.LazyAttribute(lambda o: name_key(o.last_name))
    full_name_key = factory.LazyAttribute(lambda o: name_key(o.first_name) + name_key(o.last_name))


class ChildFactory(PersonFactory):
    kind = Person.Kind.CHILD
    phone = ""
    date_of_birth = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=14 * 365))
    risk_level = Person.RiskLevel.MEDIUM


class RelationshipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Relationship

    carer = factory.SubFactory(PersonFactory)
    child = factory.SubFactory(ChildFactory, family=factory.SelfAttribute("..carer.family"))
    kind = Relationship.Kind.MOTHER


class RiskLevelChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RiskLevelChange

    child = factory.SubFactory(ChildFactory)
    level = Person.RiskLevel.HIGH
    changed_by = factory.SubFactory(UserFactory)


class ConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consent

    family = factory.SubFactory(FamilyFactory)
    kind = Consent.Kind.STORE
    given_by = factory.SubFactory(PersonFactory, family=factory.SelfAttribute("..family"))
    given_on = factory.LazyFunction(timezone.localdate)
    recorded_by = factory.SubFactory(UserFactory)


class FamilyTransferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FamilyTransfer

    family = factory.SubFactory(FamilyFactory)
    from_team = factory.SelfAttribute("family.team")
    to_team = factory.SubFactory(TeamFactory)
    reason = "Family moved area."
    transferred_by = factory.SubFactory(UserFactory)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    family = factory.SubFactory(FamilyFactory)
    occurred_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(hours=1))
    duration_minutes = 20
    worker = factory.SubFactory(UserFactory)
    summary = "Talked through what happened at the weekend and how school responded."


class FollowUpFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FollowUp

    family = factory.SubFactory(FamilyFactory)
    description = "Ring back after the strategy meeting"
    owner = factory.SubFactory(UserFactory)
    created_by = factory.SelfAttribute("owner")
    due_on = factory.LazyFunction(timezone.localdate)


def exploitation_type(code="cce"):
    return ExploitationType.objects.get(code=code)


def support_category(code="listening"):
    return SupportCategory.objects.get(code=code)


class AuthorityDistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuthorityDistrict

    code = factory.Sequence(lambda n: f"T{n:08d}")
    name = factory.Sequence(lambda n: f"Test district {n}")
    authority = factory.SubFactory(LocalAuthorityFactory)


class ExploitationTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExploitationType

    code = factory.Sequence(lambda n: f"test-type-{n}")
    name = factory.Sequence(lambda n: f"Test exploitation type {n}")


class SupportCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupportCategory

    code = factory.Sequence(lambda n: f"test-support-{n}")
    name = factory.Sequence(lambda n: f"Test support {n}")


# ------------------------------------------------------------------ referrals and deadlines


class ReferralFactory(factory.django.DjangoModelFactory):
    """A bare referral row. Use referrals.services.referral_create for one with its clock running."""

    class Meta:
        model = Referral

    family = factory.SubFactory(FamilyFactory)
    local_authority = factory.SelfAttribute("family.local_authority")
    referred_by = Referral.ReferredBy.CHARITY
    created_by = factory.SubFactory(UserFactory)


class MilestoneRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MilestoneRecord

    referral = factory.SubFactory(ReferralFactory)
    milestone = Milestone.REFERRAL_MADE
    occurred_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=3))
    recorded_by = factory.SelfAttribute("referral.created_by")


class SocialWorkerAllocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SocialWorkerAllocation

    referral = factory.SubFactory(ReferralFactory)
    name = factory.Faker("name", locale="en_GB")
    team = "Assessment team"
    allocated_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=20))
    recorded_by = factory.SelfAttribute("referral.created_by")


class ParentUpdateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ParentUpdate

    referral = factory.SubFactory(ReferralFactory)
    received_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=10))
    channel = ParentUpdate.Channel.PHONE
    recorded_by = factory.SelfAttribute("referral.created_by")


class EscalationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Escalation

    referral = factory.SubFactory(ReferralFactory)
    kind = Escalation.Kind.LETTER
    to_whom = "Team manager, assessment team"
    sent_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1))
    created_by = factory.SelfAttribute("referral.created_by")


class ThresholdRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ThresholdRule

    from_milestone = Milestone.REFERRAL_MADE
    to_milestone = Milestone.DECISION
    amount = 2
    unit = ThresholdRule.Unit.WORKING_DAYS
    basis = ThresholdRule.Basis.LOCAL
    source = "Local agreement"
    local_authority = factory.SubFactory(LocalAuthorityFactory)


class DeadlineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Deadline

    family = factory.SubFactory(FamilyFactory)
    subject_type = factory.LazyFunction(lambda: ContentType.objects.get_for_model(Family))
    subject_id = factory.SelfAttribute("family.pk")
    kind = factory.Sequence(lambda n: f"test:{n}")
    label = "Something promised"
    allowance = "1 working day"
    nation = "england"
    started_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=5))
    due_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1))
    escalate_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=5))


class OverdueFlagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OverdueFlag

    deadline = factory.SubFactory(DeadlineFactory)
    family = factory.SelfAttribute("deadline.family")
    raised_at = factory.LazyFunction(timezone.now)
    due_at = factory.SelfAttribute("deadline.due_at")
    escalate_at = factory.SelfAttribute("deadline.escalate_at")


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    event = Notification.Event.RAISED
    recipient = factory.SubFactory(UserFactory)
    channel = Notification.Channel.EMAIL
    created_at = factory.LazyFunction(timezone.now)
    next_attempt_at = factory.LazyFunction(timezone.now)
