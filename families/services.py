"""Every change to a family's record goes through these functions.

Each runs in one transaction; django-auditlog writes the audit entry for each
saved row in that same transaction, attributed to the signed-in user by its
middleware. Callers outside a request (commands, tasks) wrap their calls in
``auditlog.context.set_actor``.
"""

from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from core.concurrency import save_if_unchanged
from core.errors import UserFixableError
from core.validators import name_key, phone_key
from families import permissions
from families.handover import handover_create
from families.models import (
    Consent,
    Family,
    FamilyTransfer,
    FollowUp,
    Membership,
    Person,
    Relationship,
    RiskLevelChange,
    Role,
    Team,
)
from staff.models import User

FAMILY_REFERENCE_FORMAT = "F-{:06d}"


def refuse_unless_may_see(person, family: Family, *, field: str):
    """Work on a family (being its key worker, owning a follow-up) is only for someone who may see
    it: anyone else would be e-mailed about a family that is a 404 to them, and the work would never
    reach their My work. Checked here as well as in the forms, so no other caller can get it wrong."""
    if person is not None and not permissions.may_see_team_families(person, family.team_id):
        raise UserFixableError(
            f"{person} is not in the {family.team}, so could not see this family. Choose someone in that team.",
            field=field,
        )


def _prepare_person(person: Person):
    # The keys the search and the duplicate check compare (selectors.family_search). Cut to their
    # columns' length: a key can be longer than its name ("ß" gives "ss").
    person.phone_digits = phone_key(person.phone)[:20]
    person.first_name_key = name_key(person.first_name)[:80]
    person.last_name_key = name_key(person.last_name)[:80]
    person.full_name_key = person.first_name_key + person.last_name_key
    if not person.is_child:
        person.date_of_birth = None
        person.risk_level = ""
        person.looked_after = False
        person.placed_out_of_area = False


@transaction.atomic
def family_create(*, user, family: Family, carer: Person, child: Person, relationship_kind: str,
                  exploitation_types=()) -> Family:
    """A new family with its first parent or carer and first child."""
    refuse_unless_may_see(family.key_worker, family, field="key_worker")
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
    # Only a change is checked: a key worker who has since left the team must not stop other edits.
    previous_key_worker_id = Family.objects.filter(pk=family.pk).values_list("key_worker_id", flat=True).first()
    if family.key_worker_id != previous_key_worker_id:
        refuse_unless_may_see(family.key_worker, family, field="key_worker")
    if family.status == Family.Status.CLOSED:
        if not family.closure_reason:
            raise UserFixableError("Say why support is ending.", field="closure_reason")
        family.closed_on = family.closed_on or timezone.localdate()
    else:
        family.closure_reason = ""
        family.closed_on = None
    save_if_unchanged(family, expected_version)
    if family.key_worker_id != previous_key_worker_id:
        handover_create(user=user, family=family, from_user_id=previous_key_worker_id)
    return family


@dataclass(frozen=True)
class TransferOutcome:
    """What a transfer did besides moving the family, so that the person who moved it is told."""

    transfer: FamilyTransfer
    # The key worker who is not in the new team, and so is no longer the family's key worker.
    key_worker_removed: User | None
    follow_ups_reassigned: int
    follow_ups_given_to: User | None


def _new_owner_of_follow_ups(*, user, family: Family, to_team):
    """Who takes over open follow-ups whose owners are not in the new team: the family's key worker
    if they stay on, else the person moving it if they are in the new team, else the longest-standing
    manager (or administrator) of that team, who can pass them on. None if the team has nobody."""
    if family.key_worker_id:
        return family.key_worker
    if permissions.may_see_team_families(user, to_team.pk):
        return user
    manager = (
        Membership.objects.filter(team=to_team, role__in=permissions.MANAGING_ROLES, user__is_active=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return manager.user if manager else None


@transaction.atomic
def family_transfer(*, user, family: Family, to_team, reason: str, expected_version: int) -> TransferOutcome:
    """Move the family to another team. Its key worker and the owners of its open follow-ups must be
    able to see it there: one who is not in the new team stops being key worker, and their open
    follow-ups are given to someone who is (see _new_owner_of_follow_ups)."""
    if to_team.pk == family.team_id:
        raise UserFixableError("The family is already with this team.", field="to_team")
    may_see = permissions.people_who_may_see(to_team.pk)
    previous_key_worker_id = family.key_worker_id
    key_worker_removed = None
    if family.key_worker_id and not may_see.filter(pk=family.key_worker_id).exists():
        key_worker_removed = family.key_worker
        family.key_worker = None
    # Locked, so that a follow-up being marked done at this moment is not saved back with its old owner.
    stranded = list(
        family.follow_ups.select_for_update().filter(done_at__isnull=True).exclude(owner__in=may_see).order_by("pk")
    )
    given_to = None
    if stranded:
        given_to = _new_owner_of_follow_ups(user=user, family=family, to_team=to_team)
        if given_to is None:
            raise UserFixableError(
                f"Nobody in the {to_team} could take over this family's open follow-ups: it has no active "
                "manager, and you are not in it. Ask for someone to be added to that team first.",
                field="to_team",
            )
    transfer = FamilyTransfer.objects.create(
        family=family, from_team_id=family.team_id, to_team=to_team, reason=reason, transferred_by=user
    )
    family.team = to_team
    save_if_unchanged(family, expected_version)
    # A transfer only ever removes a key worker today; one that gave the family a new one would hand it over.
    if family.key_worker_id != previous_key_worker_id:
        handover_create(user=user, family=family, from_user_id=previous_key_worker_id)
    # One save per follow-up (a family has a handful open), so that each change is in the audit log.
    for follow_up in stranded:
        follow_up.owner = given_to
        follow_up.save(update_fields=["owner"])
    return TransferOutcome(
        transfer=transfer,
        key_worker_removed=key_worker_removed,
        follow_ups_reassigned=len(stranded),
        follow_ups_given_to=given_to,
    )


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


# --------------------------------------------------------------- teams, memberships and accounts
# Administrators' work (see permissions.is_administrator). Team and Membership are in the audit log.


def _refuse_liaison_team_without_authority(team: Team):
    # The database refuses it too (parent_liaison_team_has_local_authority); this says so next to the field.
    if team.kind == Team.Kind.PARENT_LIAISON and team.local_authority_id is None:
        raise UserFixableError(
            "A parent liaison team works in one local authority: choose it.", field="local_authority"
        )


@transaction.atomic
def team_create(*, user, team: Team) -> Team:
    _refuse_liaison_team_without_authority(team)
    team.save()
    return team


@transaction.atomic
def team_update(*, user, team: Team, expected_version: int) -> Team:
    _refuse_liaison_team_without_authority(team)
    return save_if_unchanged(team, expected_version)


def _refuse_removing_last_administrator(membership: Membership, *, field=None):
    """Someone must always be able to reach these pages. Every administrator membership is locked
    first, so two administrators removing each other at the same moment cannot both succeed."""
    if membership.role != Role.ADMINISTRATOR:
        return
    administrators = list(
        Membership.objects.select_for_update(of=("self",))
        .filter(role=Role.ADMINISTRATOR, user__is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not [pk for pk in administrators if pk != membership.pk]:
        raise UserFixableError(
            f"{membership.user} is the only administrator left: make someone else an administrator first.",
            field=field,
        )


def _locked_membership(membership: Membership) -> Membership:
    locked = Membership.objects.select_for_update(of=("self",)).select_related("user", "team").filter(
        pk=membership.pk
    ).first()
    if locked is None:
        raise UserFixableError(f"{membership.user} has already been removed from the {membership.team}.")
    return locked


@transaction.atomic
def membership_add(*, user, team: Team, member: User, role: str) -> Membership:
    if not member.is_active:
        raise UserFixableError(f"{member}'s account is switched off, so they cannot join a team.", field="email")
    existing = Membership.objects.filter(team=team, user=member).first()
    if existing is not None:
        raise UserFixableError(
            f"{member} is already in the {team}, as {existing.get_role_display().lower()}. Change their role instead.",
            field="email",
        )
    return Membership.objects.create(team=team, user=member, role=role)


@transaction.atomic
def membership_change_role(*, user, membership: Membership, role: str) -> Membership:
    locked = _locked_membership(membership)
    if locked.role == role:
        return locked
    if role != Role.ADMINISTRATOR:
        _refuse_removing_last_administrator(locked, field="role")
    locked.role = role
    locked.save(update_fields=["role"])
    return locked


@transaction.atomic
def staff_account_create(*, user, email: str, full_name: str, password: str, team: Team, role: str) -> User:
    """A new member of staff, with the temporary password the administrator gives them in person,
    in ``team`` from the start: an account in no team can see nothing."""
    if User.objects.filter(email__iexact=email).exists():
        raise UserFixableError("There is already an account with this e-mail address.", field="email")
    account = User.objects.create_user(email=email, full_name=full_name, password=password)
    membership_add(user=user, team=team, member=account, role=role)
    return account


@dataclass(frozen=True)
class MembershipRemoval:
    """What removing someone from a team did besides, so that the administrator is told."""

    member: User
    team: Team
    # Families of the team whose key worker they were: they have none now.
    families_without_key_worker: int
    # Their open follow-ups on the team's families, and who each went to.
    follow_ups_given_to: dict


def _team_successor(team: Team, *, leaving: User) -> User | None:
    """Who takes over open follow-ups when nobody else is the family's key worker: the team's
    longest-standing active manager (or administrator) other than the person leaving."""
    membership = (
        Membership.objects.filter(team=team, role__in=permissions.MANAGING_ROLES, user__is_active=True)
        .exclude(user=leaving)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return membership.user if membership else None


@transaction.atomic
def membership_remove(*, user, membership: Membership) -> MembershipRemoval:
    """Take someone out of a team. They can no longer see its families, so they stop being key worker
    of any of them (the family has none until someone is chosen), and their open follow-ups there go
    to the family's key worker, else the team's manager: a follow-up always has an owner who can see it."""
    locked = _locked_membership(membership)
    _refuse_removing_last_administrator(locked)
    member, team = locked.user, locked.team
    # Locked, so that an edit or a follow-up marked done at this moment is not saved back over these changes.
    families = list(Family.objects.select_for_update().filter(team=team, key_worker=member).order_by("pk"))
    follow_ups = list(
        FollowUp.objects.select_for_update(of=("self",))
        .filter(family__team=team, owner=member, done_at__isnull=True)
        .select_related("family__key_worker")
        .order_by("pk")
    )
    successor = None
    given_to = {}
    for follow_up in follow_ups:
        key_worker = follow_up.family.key_worker
        if key_worker is not None and key_worker != member and key_worker.is_active:
            new_owner = key_worker
        else:
            successor = successor or _team_successor(team, leaving=member)
            new_owner = successor
        if new_owner is None:
            raise UserFixableError(
                f"Nobody else in the {team} could take over {member}'s {len(follow_ups)} open follow-ups: it has no "
                "other active manager. Add one to the team first."
            )
        follow_up.owner = new_owner
        given_to[new_owner] = given_to.get(new_owner, 0) + 1
    # One save per row (a handful), so that each change is in the audit log with the acting user.
    for family in families:
        family.key_worker = None
        family.version += 1
        family.save(update_fields=["key_worker", "version", "updated_at"])
    for follow_up in follow_ups:
        follow_up.save(update_fields=["owner"])
    locked.delete()
    return MembershipRemoval(
        member=member, team=team, families_without_key_worker=len(families), follow_ups_given_to=given_to
    )


def administrator_create(*, email: str, full_name: str, team_name: str, password: str,
                         another: bool = False) -> tuple[User, Team, bool]:
    """A new administrator, a member of the team ``team_name`` (a national team, made if it does not
    exist). Returns the user, the team, and whether the team was made. Unless ``another`` is given,
    refuses while any administrator exists: a second run of a set-up script must not quietly add
    a second person with full access."""
    email = User.objects.normalize_email(email.strip()).lower()
    full_name = full_name.strip()
    team_name = team_name.strip()
    try:
        validate_email(email)
    except ValidationError:
        raise UserFixableError(f"{email!r} is not an e-mail address.") from None
    if not full_name:
        raise UserFixableError("Give the administrator's name (--name).")
    if not team_name:
        raise UserFixableError("Give the team's name (--team).")
    user = User(email=email, full_name=full_name, is_staff=True, is_superuser=True)
    try:
        # Against the user being made, so a password that repeats the name or address is refused.
        validate_password(password, user=user)
    except ValidationError as error:
        raise UserFixableError("The password was refused: " + " ".join(error.messages)) from None

    with transaction.atomic():
        existing = Membership.objects.filter(role=Role.ADMINISTRATOR).select_related("user").first()
        if existing and not another:
            raise UserFixableError(
                f"An administrator already exists ({existing.user.email}). Sign in as them and add "
                "colleagues on the Teams page, or give --add to create another administrator."
            )
        if User.objects.filter(email__iexact=email).exists():
            raise UserFixableError(f"Someone already signs in as {email}.")
        team, team_created = Team.objects.get_or_create(name=team_name, defaults={"kind": Team.Kind.NATIONAL})
        user.set_password(password)
        user.save()
        Membership.objects.create(user=user, team=team, role=Role.ADMINISTRATOR)
    return user, team, team_created
