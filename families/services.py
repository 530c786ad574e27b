"""Every change to a family's record goes through these functions.

Each runs in one transaction; django-auditlog writes the audit entry for each
saved row in that same transaction, attributed to the signed-in user by its
middleware. Callers outside a request (commands, tasks) wrap their calls in
``auditlog.context.set_actor``.
"""

from django.db import transaction
from django.utils import timezone

from core.concurrency import save_if_unchanged
from core.errors import UserFixableError
from core.validators import phone_digits
from families.models import (
    Consent,
    Contact,
    Family,
    FamilyTransfer,
    FollowUp,
    Person,
    Relationship,
    RiskLevelChange,
)

FAMILY_REFERENCE_FORMAT = "F-{:06d}"


def _prepare_person(person: Person):
    person.phone_digits = phone_digits(person.phone)
    if not person.is_child:
        person.date_of_birth = None
        person.risk_level = ""
        person.looked_after = False
        person.placed_out_of_area = False


@transaction.atomic
def family_create(*, user, family: Family, carer: Person, child: Person, relationship_kind: str,
                  exploitation_types=()) -> Family:
    """A new family with its first parent or carer and first child."""
    family.save()
    # The reference is derived from the primary key, so it never collides and reveals nothing.
    family.reference = FAMILY_REFERENCE_FORMAT.format(family.pk)
    family.save(update_fields=["reference"])
    for person, kind in ((carer, Person.Kind.CARER), (child, Person.Kind.CHILD)):
        person.family = family
        person.kind = kind
        _prepare_person(person)
        person.save()
    child.exploitation_types.set(exploitation_types)
    Relationship.objects.create(carer=carer, child=child, kind=relationship_kind)
    if child.risk_level:
        RiskLevelChange.objects.create(child=child, level=child.risk_level, changed_by=user,
                                       reason="Recorded when the family was added.")
    return family


@transaction.atomic
def family_update(*, user, family: Family, expected_version: int) -> Family:
    """Save edits to the family's details, closing or reopening it as its status says."""
    if family.status == Family.Status.CLOSED:
        if not family.closure_reason:
            raise UserFixableError("Say why support is ending.", field="closure_reason")
        family.closed_on = family.closed_on or timezone.localdate()
    else:
        family.closure_reason = ""
        family.closed_on = None
    return save_if_unchanged(family, expected_version)


@transaction.atomic
def family_transfer(*, user, family: Family, to_team, reason: str, expected_version: int) -> FamilyTransfer:
    if to_team.pk == family.team_id:
        raise UserFixableError("The family is already with this team.", field="to_team")
    transfer = FamilyTransfer.objects.create(
        family=family, from_team_id=family.team_id, to_team=to_team, reason=reason, transferred_by=user
    )
    family.team = to_team
    # A key worker outside the new team can no longer see the family.
    if family.key_worker_id and not to_team.memberships.filter(user_id=family.key_worker_id).exists():
        family.key_worker = None
    save_if_unchanged(family, expected_version)
    return transfer


@transaction.atomic
def person_add(*, user, family: Family, person: Person, exploitation_types=(), related_people=(),
               relationship_kind: str = "") -> Person:
    """Add a parent, carer or child; ``related_people`` are the children (for a carer) or carers (for a child)."""
    if person.kind not in Person.Kind.values:
        raise ValueError("Say whether the person is a parent or carer or a child (Person.kind).")
    person.family = family
    _prepare_person(person)
    person.save()
    if person.is_child:
        person.exploitation_types.set(exploitation_types)
        if person.risk_level:
            RiskLevelChange.objects.create(child=person, level=person.risk_level, changed_by=user,
                                           reason="Recorded when the child was added.")
    for other in related_people:
        carer, child = (other, person) if person.is_child else (person, other)
        Relationship.objects.create(carer=carer, child=child, kind=relationship_kind or Relationship.Kind.OTHER)
    return person


@transaction.atomic
def person_update(*, user, person: Person, expected_version: int, exploitation_types=None,
                  risk_reason: str = "") -> Person:
    previous_risk = Person.objects.filter(pk=person.pk).values_list("risk_level", flat=True).first()
    _prepare_person(person)
    save_if_unchanged(person, expected_version)
    if person.is_child and exploitation_types is not None:
        person.exploitation_types.set(exploitation_types)
    if person.is_child and person.risk_level != previous_risk and person.risk_level:
        RiskLevelChange.objects.create(child=person, level=person.risk_level, changed_by=user, reason=risk_reason)
    return person


@transaction.atomic
def consent_record(*, user, family: Family, consent: Consent) -> Consent:
    if consent.given_by.family_id != family.pk:
        raise UserFixableError("Choose someone in this family.", field="given_by")
    consent.family = family
    consent.recorded_by = user
    consent.save()
    return consent


@transaction.atomic
def consent_withdraw(*, user, consent: Consent, withdrawn_on) -> Consent:
    if consent.withdrawn_on:
        raise UserFixableError("This consent has already been withdrawn.", field="withdrawn_on")
    if withdrawn_on < consent.given_on:
        raise UserFixableError("Withdrawal cannot be before the consent was given.", field="withdrawn_on")
    consent.withdrawn_on = withdrawn_on
    consent.save()
    return consent


@transaction.atomic
def contact_log(*, user, family: Family, contact: Contact, support_given=(), follow_up: FollowUp | None = None
                ) -> Contact:
    """Record a conversation with the family, and the follow-up agreed in it if there is one."""
    if contact.spoke_with_id and contact.spoke_with.family_id != family.pk:
        raise UserFixableError("Choose someone in this family.", field="spoke_with")
    contact.family = family
    contact.worker = user
    contact.save()
    contact.support_given.set(support_given)
    if follow_up is not None:
        follow_up.family = family
        follow_up.contact = contact
        follow_up.created_by = user
        follow_up.save()
    return contact


@transaction.atomic
def follow_up_create(*, user, family: Family, follow_up: FollowUp) -> FollowUp:
    follow_up.family = family
    follow_up.created_by = user
    follow_up.save()
    return follow_up


@transaction.atomic
def follow_up_complete(*, user, follow_up: FollowUp) -> FollowUp:
    """Mark done once: a second click, or a colleague's at the same moment, changes nothing."""
    locked = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
    if locked.done_at is None:
        locked.done_at = timezone.now()
        locked.done_by = user
        locked.save()
    return locked
