"""Calls (and other contact) with a family, and the follow-ups agreed in them.

A call once logged is put right, never rewritten without trace or deleted: an amendment keeps the
values it replaced in a ContactRevision; a call logged on the wrong family is moved, with its
follow-ups, and both families' timelines say so; one logged by mistake is struck through, its text
still readable. Every change runs in one transaction, and django-auditlog writes the audit entry
for each saved row in it, attributed to the signed-in user (see families.services).
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.text import capfirst

from core.concurrency import save_if_unchanged
from core.errors import EditConflict, UserFixableError
from core.forms import date_in_words
from families import permissions
from families.models import Contact, ContactRevision, Family, FollowUp, Person, Relationship
from families.services import refuse_unless_may_see

# A call form open longer than this was not one call: the worker says how long it took. The same
# as the longest duration a call may have (Contact.duration_minutes).
LONGEST_CALL = timedelta(hours=10)
# The worker's clock and ours can differ by a little.
CLOCK_SKEW = timedelta(minutes=5)

# The fields a worker edits when amending a call, in the form's order, as they are named to people.
AMENDABLE_FIELDS = {
    "spoke_with": "who we spoke with",
    "summary": "what was discussed",
    "support_given": "support given",
    "handle_with_care": "handle with care",
    "occurred_at": "when",
    "duration_minutes": "duration",
    "channel": "channel",
}
# The same message whether the family does not exist or belongs to a team the user is not in, so
# that the answer never confirms that a family exists.
FAMILY_NOT_FOUND = "There is no family {reference} among the families you can see: check the reference."
_REFERENCE = re.compile(r"^f-?0*(\d{1,9})$", re.IGNORECASE)


# --------------------------------------------------------------- logging a call


def minutes_since(opened_at: datetime, *, now: datetime | None = None) -> int:
    """The call's duration when the worker left it blank: whole minutes (at least 1) since the call
    form was opened. Refused when that cannot be one call."""
    elapsed = (now or timezone.now()) - opened_at
    if elapsed < -CLOCK_SKEW:
        raise UserFixableError(
            "We could not tell how long the call took (the form's opening time is in the future): "
            "enter the duration.",
            field="duration_minutes",
        )
    if elapsed > LONGEST_CALL:
        raise UserFixableError(
            f"This form was opened more than {int(LONGEST_CALL.total_seconds() // 3600)} hours ago, "
            "so its time is not the call's: enter how long the call took.",
            field="duration_minutes",
        )
    return max(1, int(elapsed.total_seconds() // 60))


@transaction.atomic
def contact_log(*, user, family: Family, contact: Contact, support_given=(), follow_up: FollowUp | None = None
                ) -> Contact:
    """Record a conversation with the family, and the follow-up agreed in it if there is one."""
    if follow_up is not None and follow_up.owner_id:
        refuse_unless_may_see(follow_up.owner, family, field="owner")
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


# --------------------------------------------------------------- putting a logged call right


def _refuse_if_struck(contact: Contact, doing: str):
    if contact.is_struck:
        raise UserFixableError(f"This call has been struck through, so it cannot be {doing}. Reinstate it first.")


def _to_the_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _differs(saved: Contact, edited: Contact, name: str) -> bool:
    attname = Contact._meta.get_field(name).attname
    return getattr(saved, attname) != getattr(edited, attname)


def _support_names(categories) -> list[str]:
    return sorted(str(category) for category in categories)


def _refuse_stale(contact: Contact, expected_version: int) -> Contact:
    """The call as saved now, locked until the change is written; a conflict if someone changed it
    since the user loaded version ``expected_version``."""
    saved = Contact.objects.select_for_update().filter(pk=contact.pk).first()
    if saved is None or saved.version != expected_version:
        raise EditConflict()
    return saved


@transaction.atomic
def contact_amend(*, user, contact: Contact, expected_version: int, support_given, reason: str = ""
                  ) -> ContactRevision:
    """Save the edits made to ``contact`` (an instance holding the new values), keeping the values it
    replaces in a revision. Refused if nothing changed, or if someone changed the call meanwhile."""
    saved = _refuse_stale(contact, expected_version)
    _refuse_if_struck(saved, "amended")
    if contact.spoke_with_id and contact.spoke_with.family_id != saved.family_id:
        raise UserFixableError("Choose someone in this family.", field="spoke_with")
    before_support = list(saved.support_given.all())
    # The form shows the time to the minute: the same minute is the same moment, not a change.
    if contact.occurred_at and _to_the_minute(contact.occurred_at) == _to_the_minute(saved.occurred_at):
        contact.occurred_at = saved.occurred_at
    support_changed = {category.pk for category in before_support} != {category.pk for category in support_given}
    changed = [
        name for name in AMENDABLE_FIELDS
        if (support_changed if name == "support_given" else _differs(saved, contact, name))
    ]
    if not changed:
        raise UserFixableError("Nothing has been changed: change the call, or go back to it.")
    revision = ContactRevision.objects.create(
        contact=saved,
        family_id=saved.family_id,
        kind=ContactRevision.Kind.AMEND,
        reason=reason,
        changed_by=user,
        changed_fields=changed,
        summary=saved.summary,
        occurred_at=saved.occurred_at,
        duration_minutes=saved.duration_minutes,
        channel=saved.channel,
        spoke_with_id=saved.spoke_with_id,
        support_given=_support_names(before_support),
        handle_with_care=saved.handle_with_care,
    )
    save_if_unchanged(contact, expected_version)
    contact.support_given.set(support_given)
    return revision


@dataclass(frozen=True)
class MoveOutcome:
    """What moving a call did besides, so that the person who moved it is told."""

    revision: ContactRevision
    # Who we spoke with, cleared because they are not in the family the call moved to.
    spoke_with_cleared: Person | None
    follow_ups_moved: int
    # Open follow-ups whose owner could not see the new family: given to the person moving the call.
    follow_ups_given_to_mover: int


def family_by_reference(user, text: str) -> Family | None:
    """The family with the reference ``text`` (F-000123, f123…) among those ``user`` may see."""
    reference = normalise_reference(text)
    if not _REFERENCE.match(reference):
        return None
    return permissions.visible_families(user).filter(reference=reference).first()


def normalise_reference(text: str) -> str:
    """A family reference as the record shows it (F-000123), or the text as typed if it is not one."""
    match = _REFERENCE.match("".join(text.split()))
    return f"F-{int(match.group(1)):06d}" if match else text.strip()


@transaction.atomic
def contact_move(*, user, contact: Contact, to_family: Family, reason: str, expected_version: int) -> MoveOutcome:
    """Move a call logged on the wrong family to ``to_family``, with its follow-ups. Who we spoke with
    is cleared if they are not in that family; open follow-ups whose owner cannot see it go to the
    person moving the call, so that every follow-up has an owner who can see it."""
    saved = _refuse_stale(contact, expected_version)
    _refuse_if_struck(saved, "moved")
    if not reason.strip():
        raise UserFixableError("Say why the call belongs to that family.", field="reason")
    if not permissions.visible_families(user).filter(pk=to_family.pk).exists():
        raise UserFixableError(FAMILY_NOT_FOUND.format(reference=to_family.reference), field="to_family")
    if to_family.pk == saved.family_id:
        raise UserFixableError(f"The call is already on {to_family}.", field="to_family")
    cleared = saved.spoke_with if saved.spoke_with_id and saved.spoke_with.family_id != to_family.pk else None
    revision = ContactRevision.objects.create(
        contact=saved,
        family_id=saved.family_id,
        to_family=to_family,
        kind=ContactRevision.Kind.MOVE,
        reason=reason,
        changed_by=user,
        changed_fields=["family", "spoke_with"] if cleared else ["family"],
        spoke_with=cleared,
    )
    if cleared:
        # Cleared while the call is still on its first family, so that the audit entry naming that
        # family's person is in that family's history, not in the history of the one it moves to.
        saved.spoke_with = None
        saved.save(update_fields=["spoke_with"])
    saved.family = to_family
    save_if_unchanged(saved, expected_version)
    # Locked, so that a follow-up being marked done at this moment is not saved back on the old family.
    follow_ups = list(saved.follow_ups.select_for_update().order_by("pk"))
    owners = {follow_up.owner_id for follow_up in follow_ups}
    may_see = set(
        permissions.people_who_may_see(to_family.team_id).filter(pk__in=owners).values_list("pk", flat=True)
    )
    given = 0
    # One save per follow-up (a call has one or two), so that each change is in the audit log.
    for follow_up in follow_ups:
        follow_up.family = to_family
        if not follow_up.is_done and follow_up.owner_id not in may_see:
            follow_up.owner = user
            given += 1
        follow_up.save(update_fields=["family", "owner"])
    contact.refresh_from_db()
    return MoveOutcome(
        revision=revision, spoke_with_cleared=cleared, follow_ups_moved=len(follow_ups), follow_ups_given_to_mover=given
    )


@transaction.atomic
def contact_strike(*, user, contact: Contact, reason: str, expected_version: int) -> ContactRevision:
    """Strike through a call logged by mistake: it stays in the record, its text readable, with who
    struck it, when and why."""
    saved = _refuse_stale(contact, expected_version)
    if saved.is_struck:
        raise UserFixableError("This call has already been struck through.")
    if not reason.strip():
        raise UserFixableError("Say why the call is being struck through.", field="reason")
    saved.struck_at = timezone.now()
    saved.struck_by = user
    saved.struck_reason = reason
    revision = ContactRevision.objects.create(
        contact=saved, family_id=saved.family_id, kind=ContactRevision.Kind.STRIKE, reason=reason, changed_by=user,
        changed_at=saved.struck_at,
    )
    save_if_unchanged(saved, expected_version)
    contact.refresh_from_db()
    return revision


@transaction.atomic
def contact_reinstate(*, user, contact: Contact, reason: str, expected_version: int) -> ContactRevision:
    """Undo a strike made in error. Who struck it, when and why stay in the call's history."""
    saved = _refuse_stale(contact, expected_version)
    if not saved.is_struck:
        raise UserFixableError("This call is not struck through.")
    saved.struck_at, saved.struck_by, saved.struck_reason = None, None, ""
    revision = ContactRevision.objects.create(
        contact=saved, family_id=saved.family_id, kind=ContactRevision.Kind.REINSTATE, reason=reason, changed_by=user
    )
    save_if_unchanged(saved, expected_version)
    contact.refresh_from_db()
    return revision


# --------------------------------------------------------------- follow-ups


@transaction.atomic
def follow_up_create(*, user, family: Family, follow_up: FollowUp) -> FollowUp:
    if follow_up.owner_id:
        refuse_unless_may_see(follow_up.owner, family, field="owner")
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


@transaction.atomic
def follow_up_reopen(*, user, follow_up: FollowUp) -> FollowUp:
    """Undo "Mark done": the follow-up is to do again. Locked as follow_up_complete locks it, so a
    second click changes nothing; who marked it done, and when, stay in the audit log."""
    locked = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
    if locked.done_at is not None:
        locked.done_at = None
        locked.done_by = None
        locked.save()
    return locked


# --------------------------------------------------------------- reads for the call pages


@dataclass
class CallFormPanel:
    """What the worker sees beside the call form: the family's people, how to get in touch safely
    (from the family itself) and the last call."""

    family: Family
    carers: list
    children: list
    last_call: Contact | None
    default_spoke_with: Person | None
    today: date


def call_form_panel(family: Family) -> CallFormPanel:
    """A fixed number of queries (4) whatever the family's size and history."""
    people = list(
        family.people.prefetch_related(
            Prefetch(
                "relationships_as_carer",
                queryset=Relationship.objects.select_related("child").order_by("child__first_name", "pk"),
            )
        ).order_by("kind", "date_of_birth", "first_name", "pk")
    )
    carers = [person for person in people if not person.is_child]
    last_call = (
        family.contacts.filter(struck_at__isnull=True)
        .select_related("worker", "spoke_with")
        .order_by("-occurred_at", "-pk")
        .first()
    )
    # The parent or carer the family last spoke to us through, else the first one recorded.
    last_carer_id = (
        family.contacts.filter(struck_at__isnull=True, spoke_with__kind=Person.Kind.CARER)
        .order_by("-occurred_at", "-pk")
        .values_list("spoke_with_id", flat=True)
        .first()
    )
    default = next((carer for carer in carers if carer.pk == last_carer_id), None)
    if default is None and carers:
        default = min(carers, key=lambda carer: carer.pk)
    return CallFormPanel(
        family=family,
        carers=carers,
        children=[person for person in people if person.is_child],
        last_call=last_call,
        default_spoke_with=default,
        today=timezone.localdate(),
    )


@dataclass(frozen=True)
class RevisionRow:
    """One change in a call's history, as its page shows it."""

    revision: ContactRevision
    # The names of the fields it changed, as people say them ("what was discussed, duration").
    changed: str
    # For an amendment: each changed field's label and the value it had before.
    before: list[tuple[str, str]]
    # Who we spoke with before the change. Only a person of the family the call is on now is named:
    # the people of a family it was wrongly logged on are not shown to this family's workers.
    spoke_with_before: str
    # A move that brought the call to the family it is on now (else it went on from there).
    moved_here: bool


@dataclass
class CallPage:
    contact: Contact
    history: list[RevisionRow]
    follow_ups: list


def _value_before(revision: ContactRevision, name: str, spoke_with: str) -> str:
    if name == "spoke_with":
        return spoke_with
    if name == "support_given":
        return ", ".join(revision.support_given) or "None"
    if name == "handle_with_care":
        return "Yes" if revision.handle_with_care else "No"
    if name == "occurred_at":
        return date_in_words(revision.occurred_at) if revision.occurred_at else "–"
    if name == "duration_minutes":
        return f"{revision.duration_minutes} min"
    if name == "channel":
        return revision.get_channel_display()
    return revision.summary


def call_page(contact: Contact) -> CallPage:
    """The call and its history, newest change first: three queries whatever its length."""
    revisions = contact.revisions.select_related("changed_by", "family", "to_family", "spoke_with")
    rows = []
    for revision in revisions.order_by("-changed_at", "-pk"):
        spoke_with = ""
        if revision.spoke_with_id:
            if revision.spoke_with.family_id == contact.family_id:
                spoke_with = revision.spoke_with.full_name
            else:
                spoke_with = "someone in the family it was first logged on"
        elif "spoke_with" in revision.changed_fields:
            spoke_with = "Nobody chosen"
        before = []
        if revision.kind == ContactRevision.Kind.AMEND:
            before = [
                (capfirst(AMENDABLE_FIELDS[name]), _value_before(revision, name, spoke_with))
                for name in revision.changed_fields
                if name in AMENDABLE_FIELDS
            ]
        rows.append(RevisionRow(
            revision=revision,
            changed=", ".join(AMENDABLE_FIELDS.get(name, name) for name in revision.changed_fields),
            before=before,
            spoke_with_before=spoke_with,
            moved_here=revision.to_family_id == contact.family_id,
        ))
    follow_ups = list(contact.follow_ups.select_related("owner", "done_by").order_by("done_at", "due_on", "pk"))
    return CallPage(contact=contact, history=rows, follow_ups=follow_ups)


def call_for(user, family_pk: int, contact_pk: int) -> Contact:
    """The call ``contact_pk`` of family ``family_pk`` if ``user`` may see that family, else Http404.
    A call moved to another family is found only there."""
    family = permissions.family_for(user, family_pk, queryset=Family.objects.select_related("team"))
    contact = get_object_or_404(
        family.contacts.select_related("worker", "spoke_with", "struck_by").prefetch_related("support_given"),
        pk=contact_pk,
    )
    contact.family = family
    return contact

