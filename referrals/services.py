"""Every change to a referral goes through these functions, each in one transaction
(audited by django-auditlog, attributed by its middleware or ``set_actor``)."""

from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.concurrency import save_if_unchanged
from core.errors import UserFixableError
from deadlines import services as deadlines
from families.models import Family
from referrals import rules
from referrals.models import (
    REPEATABLE_MILESTONES,
    Escalation,
    Milestone,
    MilestoneRecord,
    ParentUpdate,
    Referral,
    SocialWorkerAllocation,
    ThresholdRule,
)


def _not_in_future(moment: datetime, field: str):
    if moment > timezone.now() + timezone.timedelta(minutes=5):
        raise UserFixableError("This cannot be in the future.", field=field)


@transaction.atomic
def referral_create(*, user, family: Family, referral: Referral, children, referral_made_at: datetime,
                    concern_raised_at: datetime | None = None) -> Referral:
    if not children:
        raise UserFixableError("Choose the child or children the referral is about.", field="children")
    if any(child.family_id != family.pk or not child.is_child for child in children):
        raise UserFixableError("Choose children of this family.", field="children")
    _not_in_future(referral_made_at, "referral_made_at")
    if concern_raised_at:
        _not_in_future(concern_raised_at, "concern_raised_at")
        if concern_raised_at > referral_made_at:
            raise UserFixableError("The concern cannot be raised after the referral was made.",
                                   field="concern_raised_at")
    if referral.previous_referral_id and referral.previous_referral.family_id != family.pk:
        raise UserFixableError("Choose an earlier referral of this family.", field="previous_referral")
    referral.family = family
    referral.created_by = user
    referral.save()
    referral.children.set(children)
    if concern_raised_at:
        MilestoneRecord.objects.create(referral=referral, milestone=Milestone.CONCERN_RAISED,
                                       occurred_at=concern_raised_at, recorded_by=user)
    MilestoneRecord.objects.create(referral=referral, milestone=Milestone.REFERRAL_MADE,
                                   occurred_at=referral_made_at, recorded_by=user)
    referral_recompute_deadlines(referral)
    return referral


@transaction.atomic
def referral_record_milestone(*, user, referral: Referral, milestone: str, occurred_at: datetime,
                              note: str = "", decision: str = "") -> MilestoneRecord:
    """Record that a milestone happened, then recompute what is due next, in one transaction."""
    # Lock the referral so two people recording at once are applied one after the other.
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    _not_in_future(occurred_at, "occurred_at")
    recorded: dict[str, list[datetime]] = {}
    for row in referral.milestones.all():
        recorded.setdefault(row.milestone, []).append(row.occurred_at)
    if milestone in recorded and milestone not in REPEATABLE_MILESTONES:
        raise UserFixableError(f"The {Milestone(milestone).label.lower()} is already recorded.", field="milestone")
    problem = rules.sequence_problem(milestone, occurred_at, recorded)
    if problem:
        raise UserFixableError(problem, field="occurred_at")
    if milestone == Milestone.DECISION:
        if not decision:
            raise UserFixableError("Choose what children's social care decided.", field="decision")
        referral.decision = decision
    record = MilestoneRecord.objects.create(
        referral=referral, milestone=milestone, occurred_at=occurred_at, note=note, recorded_by=user
    )
    if milestone == Milestone.CLOSED:
        referral.status = Referral.Status.CLOSED
    save_if_unchanged(referral, referral.version)
    referral_recompute_deadlines(referral)
    return record


def referral_recompute_deadlines(referral: Referral, now: datetime | None = None):
    """Open, meet or cancel the referral's deadlines from its milestones and the rules in force,
    and store the earliest open one on the referral. Runs inside the caller's transaction."""
    now = now or timezone.now()
    records = list(referral.milestones.order_by("occurred_at", "pk"))
    latest: dict[str, datetime] = {}
    for row in records:
        latest[row.milestone] = row.occurred_at
    candidates = ThresholdRule.objects.filter(
        Q(local_authority__isnull=True) | Q(local_authority_id=referral.local_authority_id)
    )
    def first_after(milestone, start):
        """When ``milestone`` happened at or after ``start`` (strictly after, for one that repeats)."""
        repeats = milestone in REPEATABLE_MILESTONES
        return next(
            (r.occurred_at for r in records
             if r.milestone == milestone and (r.occurred_at > start if repeats else r.occurred_at >= start)),
            None,
        )

    # Stop the clocks whose milestone has now happened.
    for deadline in deadlines.open_deadlines_for(referral):
        done = first_after(deadline.kind.removeprefix("referral:"), deadline.started_at)
        if done is not None:
            deadlines.deadline_meet(deadline, at=done)
    # For each milestone still to come, the applicable rule whose starting milestone happened last
    # (a review conference is due 3 months after the initial conference, then 6 after each review).
    due: dict[str, tuple[ThresholdRule, datetime]] = {}
    if referral.is_open:
        for rule in rules.effective_rules(candidates, referral.local_authority_id):
            start = latest.get(rule.from_milestone)
            if start is None or not rules.rule_applies(rule, referral.decision):
                continue
            if first_after(rule.to_milestone, start) is None and (
                rule.to_milestone not in due or due[rule.to_milestone][1] < start
            ):
                due[rule.to_milestone] = (rule, start)
    nation = referral.local_authority.nation
    for milestone, (rule, start) in due.items():
        deadlines.deadline_set(
            family=referral.family, subject=referral, kind=rules.deadline_kind(milestone),
            label=Milestone(milestone).label, allowance=rule.allowance, nation=nation,
            started_at=start, now=now,
        )
    # What is still open but no longer due (the decision changed, the referral closed) is cancelled.
    wanted = {rules.deadline_kind(milestone) for milestone in due}
    for deadline in deadlines.open_deadlines_for(referral).exclude(kind__in=wanted):
        deadlines.deadline_cancel(deadline, at=now)
    nearest = deadlines.open_deadlines_for(referral).order_by("due_at").first()
    Referral.objects.filter(pk=referral.pk).update(
        next_milestone=nearest.kind.removeprefix("referral:") if nearest else "",
        next_due_at=nearest.due_at if nearest else None,
    )


@transaction.atomic
def referral_update(*, user, referral: Referral, expected_version: int) -> Referral:
    save_if_unchanged(referral, expected_version)
    referral_recompute_deadlines(referral)
    return referral


@transaction.atomic
def social_worker_allocate(*, user, referral: Referral, allocation: SocialWorkerAllocation,
                           ends_previous: bool = True) -> SocialWorkerAllocation:
    """Record a newly allocated social worker; the one before stops the day before, unless told otherwise."""
    if allocation.allocated_on > timezone.localdate():
        raise UserFixableError("This cannot be in the future.", field="allocated_on")
    if ends_previous:
        still_allocated = referral.social_workers.filter(
            ended_on__isnull=True, allocated_on__lte=allocation.allocated_on
        )
        for previous in still_allocated:
            previous.ended_on = allocation.allocated_on
            previous.save(update_fields=["ended_on"])
    allocation.referral = referral
    allocation.recorded_by = user
    allocation.save()
    return allocation


@transaction.atomic
def parent_update_record(*, user, referral: Referral, update: ParentUpdate) -> ParentUpdate:
    if update.received_on > timezone.localdate():
        raise UserFixableError("This cannot be in the future.", field="received_on")
    update.referral = referral
    update.recorded_by = user
    update.save()
    return update


@transaction.atomic
def escalation_record(*, user, referral: Referral, escalation: Escalation) -> Escalation:
    """Record a challenge to CSC. Its answer gets a clock of its own where one is set."""
    _not_in_future(escalation.sent_at, "sent_at")
    if escalation.flag_id and escalation.flag.family_id != referral.family_id:
        raise UserFixableError("Choose a flag of this family.", field="flag")
    escalation.referral = referral
    escalation.created_by = user
    escalation.save()
    allowance = rules.ESCALATION_RESPONSE.get(escalation.kind)
    if allowance:
        deadlines.deadline_set(
            family=referral.family, subject=escalation, kind="escalation:response",
            label=f"Response to the {escalation.get_kind_display().lower()}", allowance=allowance,
            nation=referral.local_authority.nation, started_at=escalation.sent_at,
        )
    return escalation


@transaction.atomic
def escalation_response_received(*, user, escalation: Escalation, received_at: datetime) -> Escalation:
    _not_in_future(received_at, "response_received_at")
    if received_at < escalation.sent_at:
        raise UserFixableError("The response cannot come before the escalation was sent.",
                               field="response_received_at")
    escalation.response_received_at = received_at
    escalation.save(update_fields=["response_received_at"])
    for deadline in deadlines.open_deadlines_for(escalation):
        deadlines.deadline_meet(deadline, at=received_at)
    return escalation


@transaction.atomic
def threshold_rule_save(*, user, rule: ThresholdRule) -> ThresholdRule:
    """Save a local override (or a change to one). Open referrals in that authority are
    recomputed so their due dates follow the new rule at once."""
    if rule.local_authority_id is None:
        raise UserFixableError("Choose the local authority this rule is for.", field="local_authority")
    rule.basis = ThresholdRule.Basis.LOCAL
    rule.updated_by = user
    rule.save()
    for referral in Referral.objects.filter(local_authority_id=rule.local_authority_id, status=Referral.Status.OPEN
                                            ).select_related("family", "local_authority"):
        referral_recompute_deadlines(referral)
    return rule
