"""A parent's or carer's challenge to what the record says about them (UK GDPR, the right to
rectification): recorded next to the entry, then its outcome.

A challenge never edits the entry. When staff agree it was wrong, the worker puts it right the
entry's own way (a call is amended: families.calls.contact_amend keeps what it said before as a
revision), so staff can always read what the record said, what the parent said was wrong, and what
was decided. Each change runs in one transaction, and django-auditlog writes its audit entry (who,
when, which fields; never the words: core.audit).
"""

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from core.concurrency import save_if_unchanged
from core.errors import UserFixableError
from families.models import Challenge, Contact, ContactRevision, Family

# The kinds of entry a challenge may be about; each has a ``family_id``.
CHALLENGEABLE = (Contact,)
# The outcomes that leave some or all of the entry as it was: staff say why.
NEEDS_REASON = {Challenge.Outcome.NOT_CHANGED, Challenge.Outcome.PARTLY_CORRECTED}
CORRECTED = {Challenge.Outcome.CORRECTED, Challenge.Outcome.PARTLY_CORRECTED}
REASON_MESSAGES = {
    Challenge.Outcome.NOT_CHANGED: "Say why the record has not been changed.",
    Challenge.Outcome.PARTLY_CORRECTED: "Say what was corrected and why the rest has not been changed.",
}


def _refuse_unless_challengeable(family: Family, entry) -> None:
    if not isinstance(entry, CHALLENGEABLE) or entry.pk is None:
        raise ValueError(f"A challenge cannot be about {type(entry).__name__}.")
    if entry.family_id != family.pk:
        raise ValueError("The entry challenged is not in this family's record.")


@transaction.atomic
def challenge_record(*, user, family: Family, entry, challenge: Challenge) -> Challenge:
    """Record that someone in ``family`` says ``entry`` is wrong (``challenge`` holds who, when and
    what they say). It is open until its outcome is recorded."""
    _refuse_unless_challengeable(family, entry)
    if challenge.raised_by_id is None or challenge.raised_by.family_id != family.pk:
        raise UserFixableError("Choose someone in this family.", field="raised_by")
    if challenge.received_on and challenge.received_on > timezone.localdate():
        raise UserFixableError("The date we were told cannot be in the future.", field="received_on")
    challenge.family = family
    challenge.entry_type = ContentType.objects.get_for_model(entry)
    challenge.entry_id = entry.pk
    challenge.recorded_by = user
    challenge.recorded_at = timezone.now()
    challenge.outcome = Challenge.Outcome.OPEN
    challenge.save()
    return challenge


@transaction.atomic
def challenge_decide(*, user, challenge: Challenge, outcome: str, reason: str, expected_version: int,
                     decided_on=None, amendment: ContactRevision | None = None) -> Challenge:
    """Record what was decided about ``challenge``: corrected, partly corrected (why the rest stays)
    or not changed (why). Refused if someone changed the challenge since the user loaded version
    ``expected_version``. "Corrected" changes nothing in the entry: the worker amends it, and
    ``amendment`` (one of that call's amendments) says which change put it right."""
    outcome = Challenge.Outcome(outcome)
    reason = reason.strip()
    decided_on = decided_on or timezone.localdate()
    if outcome == Challenge.Outcome.OPEN:
        raise UserFixableError("Choose what was decided.", field="outcome")
    if outcome in NEEDS_REASON and not reason:
        raise UserFixableError(REASON_MESSAGES[outcome], field="reason")
    if decided_on > timezone.localdate():
        raise UserFixableError("The date it was decided cannot be in the future.", field="decided_on")
    if decided_on < challenge.received_on:
        raise UserFixableError("The decision cannot be dated before we were told of the challenge.",
                               field="decided_on")
    if amendment is not None:
        if outcome not in CORRECTED:
            raise UserFixableError("Choose an amendment only when the call was corrected.", field="amendment")
        if not amendments_of(challenge).filter(pk=amendment.pk).exists():
            raise UserFixableError("Choose one of this call's amendments.", field="amendment")
    challenge.outcome = outcome
    challenge.reason = reason
    challenge.decided_by = user
    challenge.decided_on = decided_on
    challenge.amendment = amendment
    return save_if_unchanged(challenge, expected_version)


# --------------------------------------------------------------- reads


def challenges_of(entry):
    """The challenges to ``entry``, newest first, with the people named on them: one query."""
    return (
        Challenge.objects.filter(entry_type=ContentType.objects.get_for_model(entry), entry_id=entry.pk)
        .select_related("raised_by", "recorded_by", "decided_by", "amendment__changed_by")
        .order_by("-received_on", "-pk")
    )


def amendments_of(challenge: Challenge):
    """The amendments of the call ``challenge`` is about, newest first: those that may have put it right."""
    return ContactRevision.objects.filter(
        contact_id=challenge.entry_id, kind=ContactRevision.Kind.AMEND
    ).select_related("changed_by").order_by("-changed_at", "-pk")


def open_challenge_on(model, outer_ref: str = "pk") -> Exists:
    """Whether the ``model`` row named by ``outer_ref`` has a challenge still open: an expression to
    annotate a queryset with, so that a list of entries is marked in the same query. The kind of
    entry is matched by name, not by a content type read beforehand."""
    return Exists(
        Challenge.objects.filter(
            entry_type__app_label=model._meta.app_label,
            entry_type__model=model._meta.model_name,
            entry_id=OuterRef(outer_ref),
            outcome=Challenge.Outcome.OPEN,
        )
    )
