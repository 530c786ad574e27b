"""The retention run itself: each family an approved run listed, if it is still due and not held,
anonymised in one transaction, leaving a tombstone.

What goes: names, contact details, addresses and postcodes, dates of birth, the words of every
record (calls and their earlier versions, plans and their versions, intelligence, meetings,
referrals' notes, challenges, consents, follow-ups, flags' notes) and identifiers (phone numbers,
e-mail addresses, registrations, handles, police and social care references, the search keys).
Words become ``ANONYMISED`` where there were words (so a struck call is still struck "with a
reason", as the schema requires) and identifiers are emptied, so nothing matches them. What stays
is what the figures and the deadline engine read: the family's dates, local authority, team and
status; every record's dates, kinds and states; referrals' milestones; meeting actions' states,
dates and agencies (``meetings.figures``); the deadlines' kinds, allowances and nations. The
family's reference becomes a new random ``ANON-`` one, so nothing printed before links back.

Each model is anonymised by one UPDATE per family (``TOMBSTONES``), whatever its number of rows.
A crash leaves each family either whole or fully anonymised: the UPDATEs, the family's mark
(``Family.anonymised_at``), its audit row and the run's count are one transaction.
"""

import logging
import secrets
import string
from dataclasses import dataclass, field

from django.db import IntegrityError, models, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from core import audit
from data_protection.models import LegalHold, RetentionRun, SubjectAccessRequest, SubjectAccessWithholding
from data_protection.retention import families_due
from deadlines import kinds as deadline_kinds
from deadlines.models import Deadline, OverdueFlag
from families.models import (
    Challenge,
    Consent,
    Contact,
    ContactRevision,
    Family,
    FamilyTransfer,
    FollowUp,
    Handover,
    Person,
    Relationship,
    RiskLevelChange,
    SharingWithoutConsent,
)
from meetings.models import ActionChase, Meeting, MeetingAction
from referrals.models import Escalation, MilestoneRecord, ParentUpdate, Referral, SocialWorkerAllocation
from safety_plans.models import (
    Commitment,
    IntelligenceEntry,
    MissingEpisode,
    PersonOfConcern,
    PlanStep,
    PlanVersion,
    SafetyPlan,
    SafetyRating,
    Worry,
)

logger = logging.getLogger(__name__)

# What a record's words read as once anonymised.
ANONYMISED = "(anonymised)"
ANONYMISED_REFERENCE = "ANON-{}"
_REFERENCE_CHARACTERS = string.ascii_uppercase + string.digits
# Families looked at per query of the run: each is still anonymised in its own transaction.
CHUNK_SIZE = 500


def event_for(run: RetentionRun) -> str:
    """The audit event of each family the run anonymised."""
    return f"anonymised under retention run {run.pk}"


def _is_words(model_field) -> bool:
    return isinstance(model_field, models.CharField | models.TextField) and not model_field.choices


@dataclass(frozen=True)
class Tombstone:
    """How one model's rows of a family are anonymised. Every text field without fixed choices goes
    except those in ``keep``; those in ``emptied`` are emptied rather than marked ANONYMISED;
    ``nulled`` are set to NULL and ``replaced`` to the value given. ``bumps_version``: the row's
    ``version`` moves on, so a form opened before the run cannot save its old words back."""

    model: type[models.Model]
    family_path: str
    keep: frozenset[str] = frozenset()
    emptied: frozenset[str] = frozenset()
    nulled: frozenset[str] = frozenset()
    replaced: dict = field(default_factory=dict)
    bumps_version: bool = False

    def assignments(self) -> dict:
        """The UPDATE's assignments: a fixed set for the model, the same for every family."""
        values = {}
        for model_field in self.model._meta.concrete_fields:
            name = model_field.name
            if name in self.keep:
                continue
            if name in self.emptied:
                values[name] = Value("")
            elif _is_words(model_field):
                words = ANONYMISED[: model_field.max_length] if model_field.max_length else ANONYMISED
                values[name] = Case(When(**{name: ""}, then=Value("")), default=Value(words),
                                    output_field=model_field)
        values |= dict.fromkeys(self.nulled)
        values |= self.replaced
        if self.bumps_version:
            values["version"] = F("version") + 1
        return values


def _deadline_labels():
    # A deadline's label names who promised what ("Commitment: Joanne"): it becomes its kind's label.
    whens = [When(kind=kind.code, then=Value(kind.label)) for kind in deadline_kinds.registered()]
    return Case(*whens, default=Value(ANONYMISED), output_field=models.CharField())


# A person's contact details and the search's keys: emptied, so no search finds them.
_PERSON_DETAILS = frozenset({"last_name", "pronouns", "phone", "email", "school", "phone_digits", "first_name_key",
                             "last_name_key", "full_name_key"})

# Every model that holds anything about a family, and the path from it to the family's id.
# tests/data_protection/test_anonymise.py checks that none is missing.
TOMBSTONES = [
    Tombstone(Person, "family_id", emptied=_PERSON_DETAILS, nulled=frozenset({"date_of_birth"}), bumps_version=True),
    Tombstone(Relationship, "child__family_id"),
    Tombstone(RiskLevelChange, "child__family_id"),
    Tombstone(FamilyTransfer, "family_id"),
    Tombstone(Consent, "family_id"),
    Tombstone(SharingWithoutConsent, "family_id"),
    Tombstone(Contact, "family_id", bumps_version=True),
    # A call's earlier versions follow the call (the family it is on now), as its history does.
    Tombstone(ContactRevision, "contact__family_id"),
    Tombstone(FollowUp, "family_id"),
    Tombstone(Handover, "family_id"),
    Tombstone(Challenge, "family_id", bumps_version=True),
    Tombstone(Referral, "family_id", emptied=frozenset({"csc_reference"}), bumps_version=True),
    Tombstone(MilestoneRecord, "referral__family_id"),
    Tombstone(SocialWorkerAllocation, "referral__family_id"),
    Tombstone(ParentUpdate, "referral__family_id"),
    Tombstone(Escalation, "referral__family_id", bumps_version=True),
    # A plan's version counts its PlanVersions (safety_plans.services), so it is not moved on.
    Tombstone(SafetyPlan, "family_id", emptied=frozenset({"police_references"})),
    Tombstone(Worry, "plan__family_id"),
    Tombstone(PersonOfConcern, "plan__family_id",
              emptied=frozenset({"vehicles", "phone_numbers", "online_handles"})),
    Tombstone(PlanStep, "plan__family_id"),
    Tombstone(Commitment, "plan__family_id"),
    Tombstone(SafetyRating, "plan__family_id"),
    Tombstone(PlanVersion, "plan__family_id", replaced={"content": {}}),
    Tombstone(IntelligenceEntry, "family_id",
              emptied=frozenset({"registration", "phone", "handle", "place", "police_reference", "registration_key",
                                 "phone_key", "handle_key"}),
              bumps_version=True),
    Tombstone(MissingEpisode, "family_id", emptied=frozenset({"police_reference"}), bumps_version=True),
    Tombstone(Meeting, "family_id", bumps_version=True),
    # The agency as typed is what the accountability figures group by: an agency, not a person.
    Tombstone(MeetingAction, "meeting__family_id", keep=frozenset({"agency_name"}), bumps_version=True),
    Tombstone(ActionChase, "action__meeting__family_id"),
    # The deadline engine's facts stay: what kind of promise, the time allowed, whose bank holidays.
    Tombstone(Deadline, "family_id", keep=frozenset({"kind", "allowance", "nation"})),
    Tombstone(OverdueFlag, "family_id"),
    Tombstone(LegalHold, "family_id"),
    Tombstone(SubjectAccessRequest, "family_id", bumps_version=True),
    Tombstone(SubjectAccessWithholding, "request__family_id"),
]


def _anonymise_records(family_id) -> int:
    """One UPDATE per model over the family's rows; how many rows were changed."""
    changed = 0
    for tombstone in TOMBSTONES:
        values = tombstone.assignments()
        if tombstone.model is Deadline:
            values["label"] = _deadline_labels()
        if values:
            changed += tombstone.model.objects.filter(**{tombstone.family_path: family_id}).update(**values)
    return changed


def _new_reference() -> str:
    return ANONYMISED_REFERENCE.format("".join(secrets.choice(_REFERENCE_CHARACTERS) for _ in range(7)))


def _anonymise_family_row(family_id, now) -> str:
    """The family's own row: contact details gone, a new random reference (drawn again in the
    unlikely event it is taken). Returns the new reference."""
    tombstone = Tombstone(Family, "pk", emptied=frozenset({"address", "postcode", "postcode_key"}),
                          keep=frozenset({"reference"}), bumps_version=True)
    values = tombstone.assignments() | {"anonymised_at": now}
    for _ in range(5):
        reference = _new_reference()
        try:
            with transaction.atomic():
                Family.objects.filter(pk=family_id).update(reference=reference, **values)
        except IntegrityError:
            continue
        return reference
    raise RuntimeError("Could not draw an unused anonymised reference.")


def anonymise_family(family_id, run: RetentionRun) -> bool:
    """Anonymise one family for ``run``, in one transaction, if it is still due on the day the run
    was worked out for, has no legal hold in force and is not anonymised yet (all checked with the
    family's row locked, so a hold placed meanwhile is seen: ``services.hold_place`` locks it too).
    Returns whether it was anonymised."""
    with transaction.atomic():
        family = Family.objects.select_for_update().filter(pk=family_id).first()
        if family is None or not families_due(run.worked_out_for).filter(pk=family_id).exists():
            return False
        now = timezone.now()
        records = _anonymise_records(family_id)
        reference = _anonymise_family_row(family_id, now)
        audit.record_changes(
            [family], actor=run.approved_by, event=event_for(run), run=run.pk, records=records, timestamp=now,
            changes={"reference": [family.reference, reference], "anonymised_at": [None, now.isoformat()]},
        )
        RetentionRun.objects.filter(pk=run.pk).update(families_anonymised=F("families_anonymised") + 1)
    return True


class RunNotApproved(Exception):
    pass


def run_retention(run_id) -> RetentionRun:
    """Run an approved run: anonymise, each in its own transaction, the families it listed that are
    still due and not held. Harmless to repeat: a run that is done does nothing, and one that
    stopped midway (still "running") goes on from where it stopped, skipping the families
    already anonymised. A run not yet approved is refused (RunNotApproved)."""
    now = timezone.now()
    started = RetentionRun.objects.filter(
        pk=run_id, state__in=[RetentionRun.State.APPROVED, RetentionRun.State.RUNNING]
    ).update(state=RetentionRun.State.RUNNING, started_at=Case(When(started_at__isnull=True, then=Value(now)),
                                                               default=F("started_at")))
    run = RetentionRun.objects.select_related("approved_by").get(pk=run_id)
    if not started:
        if run.state == RetentionRun.State.WORKED_OUT:
            raise RunNotApproved(f"{run} has not been approved.")
        return run
    family_ids = sorted(run.family_ids)
    for start in range(0, len(family_ids), CHUNK_SIZE):
        chunk = family_ids[start : start + CHUNK_SIZE]
        # One query finds which of the chunk are still due; each is checked again under its lock.
        still_due = families_due(run.worked_out_for).filter(pk__in=chunk).order_by("pk").values_list("pk", flat=True)
        for family_id in list(still_due):
            anonymise_family(family_id, run)
    finished = RetentionRun.objects.filter(pk=run.pk, state=RetentionRun.State.RUNNING).update(
        state=RetentionRun.State.DONE, finished_at=timezone.now()
    )
    run.refresh_from_db()
    if finished:
        audit.record_event(run, actor=run.approved_by, event="retention run finished",
                           families_anonymised=run.families_anonymised)
    logger.info("%s done: %s families anonymised", run, run.families_anonymised)
    return run
