"""Every change to a referral goes through these functions, each in one transaction
(audited by django-auditlog, attributed by its middleware or ``set_actor``)."""

from datetime import datetime

from celery import current_app
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Replace
from django.utils import timezone

from core.concurrency import save_if_unchanged
from core.errors import EditConflict, UserFixableError
from deadlines import services as deadlines
from deadlines.models import Deadline
from families import permissions
from families.models import Family
from referrals import deadline_kinds, rules
from referrals.models import (
    REPEATABLE_MILESTONES,
    Escalation,
    Milestone,
    MilestoneRecord,
    ParentUpdate,
    Referral,
    SocialWorkerAllocation,
    ThresholdChange,
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


def _wanted_deadlines(referral: Referral, records: list[MilestoneRecord], rules_in_force) -> list:
    """The clocks a referral should have, from its milestones and the rules in force.

    For each milestone a rule leads to, the applicable rule whose starting milestone happened last
    runs the clock (a review conference is due 3 months after the initial conference, then 6 after
    each review). A milestone that is recorded meets its clock whatever order the dates were
    recorded in: a strategy discussion dated before the decision that calls for one still meets
    it, and the timeline shows how it stood against the rule. One that happens more than once meets
    the clock that was running when it happened. While the referral is open, a clock whose
    milestone has not happened is left running."""
    happened: dict[str, list[datetime]] = {}
    for record in records:
        happened.setdefault(record.milestone, []).append(record.occurred_at)
    candidates: dict[str, list[tuple[ThresholdRule, datetime]]] = {}
    for rule in rules_in_force:
        if rules.rule_applies(rule, referral.decision):
            for start in happened.get(rule.from_milestone, []):
                candidates.setdefault(rule.to_milestone, []).append((rule, start))
    wanted = []
    for milestone, runs in candidates.items():
        label = Milestone(milestone).label
        kind = deadline_kinds.deadline_kind(milestone)
        if milestone in REPEATABLE_MILESTONES:
            latest_unmet = None
            for rule, start in sorted(runs, key=lambda run: run[1]):
                met = next((when for when in happened.get(milestone, []) if when > start), None)
                if met:
                    wanted.append(deadlines.WantedDeadline(kind, label, rule.allowance, start, met))
                else:
                    latest_unmet = (rule, start)
            if latest_unmet and referral.is_open:
                wanted.append(deadlines.WantedDeadline(kind, label, latest_unmet[0].allowance, latest_unmet[1]))
            continue
        rule, start = max(runs, key=lambda run: run[1])
        met = min(happened[milestone]) if milestone in happened else None
        if met or referral.is_open:
            wanted.append(deadlines.WantedDeadline(kind, label, rule.allowance, start, met))
    return wanted


def referral_recompute_deadlines(referral: Referral, now: datetime | None = None):
    """Open, meet or cancel the referral's deadlines from its milestones and the rules in force,
    and store the earliest open one on the referral. Runs inside the caller's transaction."""
    now = now or timezone.now()
    records = list(referral.milestones.order_by("occurred_at", "pk"))
    candidates = ThresholdRule.objects.filter(
        Q(local_authority__isnull=True) | Q(local_authority_id=referral.local_authority_id)
    )
    rules_in_force = rules.effective_rules(candidates, referral.local_authority_id)
    still_open = deadlines.deadlines_sync(
        subject=referral, family=referral.family, nation=referral.local_authority.nation,
        local_authority_id=referral.local_authority_id, wanted=_wanted_deadlines(referral, records, rules_in_force),
        now=now,
    )
    nearest = still_open[0] if still_open else None
    Referral.objects.filter(pk=referral.pk).update(
        next_milestone=deadline_kinds.milestone_of(nearest.kind) if nearest else "",
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
            family=referral.family, subject=escalation, kind=deadline_kinds.ESCALATION_RESPONSE,
            local_authority_id=referral.local_authority_id,
            label=f"Response to the {escalation.get_kind_display().lower()}", allowance=allowance,
            nation=referral.local_authority.nation, started_at=escalation.sent_at,
        )
    return escalation


@transaction.atomic
def escalation_response_received(*, user, escalation: Escalation, received_at: datetime,
                                 expected_version: int) -> Escalation:
    _not_in_future(received_at, "response_received_at")
    if received_at < escalation.sent_at:
        raise UserFixableError("The response cannot come before the escalation was sent.",
                               field="response_received_at")
    escalation.response_received_at = received_at
    save_if_unchanged(escalation, expected_version)
    for deadline in deadlines.open_deadlines_for(escalation):
        deadlines.deadline_meet(deadline, at=received_at)
    return escalation


# ------------------------------------------------------------------ local thresholds

_RULE_FIELDS = ["local_authority_id", "from_milestone", "to_milestone", "amount", "unit", "applies_when", "source"]


def _rule_values(rule: ThresholdRule) -> dict:
    return {field: getattr(rule, field) for field in _RULE_FIELDS}


def _check_may_change(user, local_authority_id):
    if not permissions.can_change_rules_of(user, local_authority_id):
        raise UserFixableError(
            "You can change the thresholds only of the local authorities your teams work in.",
            field="local_authority",
        )


def _record_threshold_change(*, user, rule, action, before, after, authority_ids) -> ThresholdChange:
    change = ThresholdChange.objects.create(
        rule=rule, action=action, before=before, after=after, changed_by=user
    )
    change.local_authorities.set(sorted(authority_ids))
    transaction.on_commit(lambda: _start_applying(change.pk))
    return change


def _start_applying(change_id: int):
    # Looked up by name (referrals.apps registers the tasks): the task module imports this one, not
    # the other way round.
    current_app.tasks["referrals.tasks.apply_threshold_change"].delay(change_id)


@transaction.atomic
def threshold_rule_save(*, user, rule: ThresholdRule, expected_version: int | None = None) -> ThresholdChange:
    """Add a local threshold or change one. Who may is decided in families.permissions: a manager
    of a team working in that authority (and, when a rule moves, in the one it leaves). The change
    is recorded with the values before and after; the open referrals of every authority whose rules
    changed are recomputed in the background once it commits (see threshold_change_apply)."""
    if rule.local_authority_id is None:
        raise UserFixableError("Choose the local authority this rule is for.", field="local_authority")
    _check_may_change(user, rule.local_authority_id)
    before = None
    authority_ids = {rule.local_authority_id}
    if rule.pk:
        stored = ThresholdRule.objects.select_for_update().get(pk=rule.pk)
        if stored.local_authority_id is None:
            raise UserFixableError("The statutory defaults cannot be changed here.")
        _check_may_change(user, stored.local_authority_id)
        before = _rule_values(stored)
        authority_ids.add(stored.local_authority_id)
    rule.basis = ThresholdRule.Basis.LOCAL
    rule.updated_by = user
    if rule.pk:
        save_if_unchanged(rule, expected_version)
    else:
        rule.save()
    return _record_threshold_change(
        user=user, rule=rule, action=ThresholdChange.Action.CHANGED if before else ThresholdChange.Action.ADDED,
        before=before, after=_rule_values(rule), authority_ids=authority_ids,
    )


@transaction.atomic
def threshold_rule_remove(*, user, rule: ThresholdRule, expected_version: int) -> ThresholdChange:
    """Remove a local threshold: the authority's referrals go back to the default for that step."""
    stored = ThresholdRule.objects.select_for_update().filter(pk=rule.pk, local_authority__isnull=False).first()
    if stored is None or stored.version != expected_version:
        raise EditConflict()
    _check_may_change(user, stored.local_authority_id)
    before = _rule_values(stored)
    stored.delete()
    return _record_threshold_change(
        user=user, rule=None, action=ThresholdChange.Action.REMOVED, before=before, after=None,
        authority_ids={before["local_authority_id"]},
    )


RECOMPUTE_BATCH = 200


def threshold_change_apply(change_id: int) -> int:
    """Bring the open referrals of the authorities a threshold change touched onto the rules now in
    force. Each referral is recomputed in its own short transaction holding its row lock (the lock
    that recording a milestone takes), so nobody's change to a referral is overwritten and no
    request waits long. Safe to run again: recomputing a referral twice changes nothing."""
    change = ThresholdChange.objects.filter(pk=change_id).first()
    if change is None or change.applied_at is not None:
        return 0
    open_referrals = Referral.objects.filter(
        local_authority__in=change.local_authorities.all(), status=Referral.Status.OPEN
    ).order_by("pk").values_list("pk", flat=True)
    recomputed = 0
    after = 0
    while True:
        batch = list(open_referrals.filter(pk__gt=after)[:RECOMPUTE_BATCH])
        if not batch:
            break
        for referral_id in batch:
            with transaction.atomic():
                referral = (
                    Referral.objects.select_for_update(of=("self",)).select_related("family", "local_authority")
                    .filter(pk=referral_id, status=Referral.Status.OPEN).first()
                )
                if referral is not None:
                    referral_recompute_deadlines(referral)
                    recomputed += 1
        after = batch[-1]
    ThresholdChange.objects.filter(pk=change_id, applied_at__isnull=True).update(
        applied_at=timezone.now(), referrals_recomputed=recomputed
    )
    return recomputed


def referrals_refresh_next_due(referral_ids) -> int:
    """Copy each referral's earliest open deadline onto it (next_milestone, next_due_at), in two
    set-based statements: after the deadline engine moved due dates (a bank holiday changed)."""
    deadlines_of = Deadline.objects.filter(
        subject_type=ContentType.objects.get_for_model(Referral), subject_id=OuterRef("pk"),
        met_at__isnull=True, cancelled_at__isnull=True,
    ).order_by("due_at", "pk")
    referrals = Referral.objects.filter(pk__in=list(referral_ids))
    updated = referrals.update(
        next_due_at=Subquery(deadlines_of.values("due_at")[:1]),
        next_milestone=Coalesce(Subquery(deadlines_of.values("kind")[:1]), Value("")),
    )
    referrals.filter(next_milestone__startswith="referral:").update(
        next_milestone=Replace("next_milestone", Value("referral:"), Value(""))
    )
    return updated
