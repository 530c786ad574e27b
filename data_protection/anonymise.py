"""The retention run itself: the families an approved run listed, if still due and not held,
anonymised in batches, leaving a tombstone.

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

The families go ``BATCH_SIZE`` at a time, each batch one transaction of a fixed number of
statements whatever its families hold: the family rows locked, one query for those still due, one
UPDATE per model over all of them (``TOMBSTONES``), one for the family rows, one INSERT of their
audit rows and the run's count. A crash leaves each family either whole or fully anonymised: a
batch commits whole or not at all, and a rerun takes up the families not yet anonymised.
"""

import logging
import secrets
import string
from dataclasses import dataclass, field
from datetime import date

from django.db import IntegrityError, connection, models, transaction
from django.db.models import Case, F, Value, When
from django.db.models.expressions import RawSQL
from django.utils import timezone

from core import audit
from data_protection.models import LegalHold, RetentionRun, SubjectAccessRequest, SubjectAccessWithholding
from data_protection.retention import audit_entries_cut_off, families_due
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
from outcomes.models import CheckIn
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
# Families anonymised per transaction. A batch holds its families' rows locked while it runs (well
# under a second at 500); the statements are the same however many families a batch has.
BATCH_SIZE = 500


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
    # Ratings are numbers the outcomes figures count; a check-in has no words to remove.
    Tombstone(CheckIn, "family_id"),
]


def _anonymise_records(family_ids) -> int:
    """One UPDATE per model over the rows of all of ``family_ids``; how many rows were changed."""
    changed = 0
    for tombstone in TOMBSTONES:
        values = tombstone.assignments()
        if tombstone.model is Deadline:
            values["label"] = _deadline_labels()
        if values:
            changed += tombstone.model.objects.filter(**{f"{tombstone.family_path}__in": family_ids}).update(**values)
    return changed


def _new_references(count: int) -> list[str]:
    references = set()
    while len(references) < count:
        references.add(ANONYMISED_REFERENCE.format("".join(secrets.choice(_REFERENCE_CHARACTERS) for _ in range(7))))
    return list(references)


_FAMILY_TOMBSTONE = Tombstone(Family, "pk", emptied=frozenset({"address", "postcode", "postcode_key"}),
                              keep=frozenset({"reference"}), bumps_version=True)


def _anonymise_family_rows(family_ids, now) -> None:
    """The families' own rows, in one UPDATE: contact details gone, each a new random reference.
    A reference already taken (unlikely: there are 36 ** 7, some 78 billion, to draw from) fails the
    whole UPDATE on the unique constraint: the batch's references are then drawn again."""
    values = _FAMILY_TOMBSTONE.assignments() | {"anonymised_at": now}
    for _ in range(5):
        references = _new_references(len(family_ids))
        # A simple CASE on the id, the same on SQLite and PostgreSQL: as many When(pk=…) objects cost
        # more to build than the UPDATE takes to run.
        pairs = [value for pair in zip(family_ids, references, strict=True) for value in pair]
        case = f"CASE {connection.ops.quote_name(Family._meta.pk.column)}{' WHEN %s THEN %s' * len(family_ids)} END"
        reference = RawSQL(case, pairs, output_field=models.CharField())  # noqa: S611 - fixed text; values are parameters
        try:
            with transaction.atomic():
                Family.objects.filter(pk__in=family_ids).update(reference=reference, **values)
        except IntegrityError:
            continue
        return
    raise RuntimeError("Could not draw unused anonymised references.")


def _anonymise_batch(family_ids, run: RetentionRun) -> int:
    """Anonymise, in one transaction, those of ``family_ids`` still due on the day the run was
    worked out for, with no legal hold in force and not anonymised yet, all checked with the
    families' rows locked, so a hold placed meanwhile is seen (``services.hold_place`` locks the
    family's row too, and so waits for the batch, or is seen by it). Returns how many went.

    Each family gets its audit row; ``records_in_batch`` is how many records the batch's UPDATEs
    changed, over its ``families_in_batch`` families, the UPDATEs being one per model for them all."""
    with transaction.atomic():
        # Locked in the order of their ids, as every batch does: two runs can never deadlock.
        locked = list(Family.objects.select_for_update().filter(pk__in=family_ids).order_by("pk").only("pk"))
        due = set(families_due(run.worked_out_for).filter(pk__in=[family.pk for family in locked])
                  .values_list("pk", flat=True))
        families = [family for family in locked if family.pk in due]
        if not families:
            return 0
        ids = [family.pk for family in families]
        now = timezone.now()
        records = _anonymise_records(ids)
        _anonymise_family_rows(ids, now)
        # The trail keeps no reference, old or new (it is words, audit.free_text_fields): the
        # change reads the same for each family.
        audit.record_changes(
            families, actor=run.approved_by, event=event_for(run), run=run.pk, timestamp=now,
            records_in_batch=records, families_in_batch=len(families),
            changes={"reference": [audit.TEXT_NOT_KEPT, audit.TEXT_NOT_KEPT], "anonymised_at": [None, now.isoformat()]},
        )
        RetentionRun.objects.filter(pk=run.pk).update(families_anonymised=F("families_anonymised") + len(families))
    return len(families)


class RunNotApproved(Exception):
    pass


def run_retention(run_id) -> RetentionRun:
    """Run an approved run: anonymise the families it listed that are still due and not held,
    ``BATCH_SIZE`` at a time, each batch in its own transaction. Harmless to repeat: a run that is
    done does nothing, and one that stopped midway (still "running") goes on from where it
    stopped, skipping the families already anonymised. A run not yet approved is refused
    (RunNotApproved)."""
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
    for start in range(0, len(family_ids), BATCH_SIZE):
        _anonymise_batch(family_ids[start : start + BATCH_SIZE], run)
    # The audit entries go last, with the run's end, in one transaction: a run stopped before it
    # removes them again on its rerun, and a finished run never does.
    with transaction.atomic():
        removed = _remove_audit_entries(run)
        finished = RetentionRun.objects.filter(pk=run.pk, state=RetentionRun.State.RUNNING).update(
            state=RetentionRun.State.DONE, finished_at=timezone.now()
        )
        run.refresh_from_db()
        if finished:
            audit.record_event(run, actor=run.approved_by, event="retention run finished",
                               families_anonymised=run.families_anonymised, audit_entries_removed=removed)
    logger.info("%s done: %s families anonymised, %s audit entries removed", run, run.families_anonymised, removed)
    return run


def _remove_audit_entries(run: RetentionRun) -> int:
    """Remove the audit entries written before the day the run's dry run kept them from (the audit
    entries' own rule, ``retention.audit_entries_due``); the removal is itself recorded in the trail
    (``core.audit.remove_old_entries``). A run worked out before audit entries were counted removes
    none."""
    kept_from = run.figures.get("audit_entries_kept_from")
    if not kept_from:
        return 0
    cut_off = audit_entries_cut_off(date.fromisoformat(kept_from))
    if not audit.entries_before(cut_off).exists():
        return 0
    return audit.remove_old_entries(before=cut_off, actor=run.approved_by, dry_run=False).count
