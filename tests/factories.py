import datetime

import factory
from django.utils import timezone

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
    phone = factory.Sequence(lambda n: f"07700 9{n % 100000:05d}")
    phone_digits = factory.LazyAttribute(lambda o: o.phone.replace(" ", ""))


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
