"""Reads for referral pages: a fixed number of queries whatever the referral's history."""

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.working_days import Allowance
from deadlines.models import Deadline, DueState, due_state
from families.selectors import BoundedList, bounded
from referrals.models import (
    Escalation,
    Milestone,
    MilestoneRecord,
    ParentUpdate,
    Referral,
    SocialWorkerAllocation,
    ThresholdChange,
    ThresholdRule,
)


def days_since_family_heard(referral_made_on: date | None, last_update_on: date | None, today: date) -> int | None:
    """Days since the family last heard about a referral: from the later of the day the referral was
    made and the day of the last update they received (the day it happened, not the day it was
    typed in). The one definition, for the family page, the referral page and the chronology."""
    days = [day for day in (referral_made_on, last_update_on) if day]
    return (today - max(days)).days if days else None


@dataclass
class ReferralSummary:
    referral: Referral
    next_due: DueState | None
    social_worker_count: int
    last_heard_on: object
    days_since_last_heard: int | None


# The family page shows its newest referrals; the rest are on the family's timeline (their milestones).
FAMILY_PAGE_REFERRALS = 10


@dataclass
class FamilyReferrals:
    recent: list[ReferralSummary]  # the FAMILY_PAGE_REFERRALS most recently recorded, newest first
    total: int
    open: int

    @property
    def more(self) -> bool:
        return self.total > len(self.recent)


def family_referrals(family, now: datetime | None = None) -> FamilyReferrals:
    """The family's most recently recorded referrals for its page, newest first: what is due next and
    how the family is kept informed; and how many referrals it has, and how many are open. Two
    queries and one for the children, the first reading FAMILY_PAGE_REFERRALS rows on the
    "referral_family_recent" index whatever the number of referrals."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    made_at = MilestoneRecord.objects.filter(referral=OuterRef("pk"), milestone=Milestone.REFERRAL_MADE).values(
        "occurred_at"
    )[:1]
    # Subqueries rather than joins with GROUP BY, so that each is worked out only for the rows shown.
    social_workers = (
        SocialWorkerAllocation.objects.filter(referral=OuterRef("pk")).order_by().values("referral")
        .annotate(count=Count("pk")).values("count")
    )
    last_heard = (
        ParentUpdate.objects.filter(referral=OuterRef("pk")).order_by("-received_on").values("received_on")[:1]
    )
    referrals = (
        family.referrals.select_related("local_authority")
        .prefetch_related("children")
        .annotate(
            social_worker_count=Coalesce(Subquery(social_workers), 0),
            last_heard_on=Subquery(last_heard),
            made_at=Subquery(made_at),
        )
        .order_by("-created_at", "-pk")[:FAMILY_PAGE_REFERRALS]
    )
    counts = family.referrals.order_by().aggregate(
        total=Count("pk"), open=Count("pk", filter=Q(status=Referral.Status.OPEN))
    )
    recent = [
        ReferralSummary(
            referral=referral,
            next_due=due_state(referral.next_due_at, referral.local_authority.nation, now)
            if referral.next_due_at and referral.is_open else None,
            social_worker_count=referral.social_worker_count,
            last_heard_on=referral.last_heard_on,
            days_since_last_heard=days_since_family_heard(
                timezone.localdate(referral.made_at) if referral.made_at else None, referral.last_heard_on, today
            ),
        )
        for referral in referrals
    ]
    return FamilyReferrals(recent=recent, **counts)


@dataclass
class TimelineEntry:
    when: datetime
    title: str
    detail: str = ""
    state: DueState | None = None
    kind: str = "milestone"  # milestone, due, update, social_worker, escalation


@dataclass
class ReferralPage:
    referral: Referral
    timeline: list
    deadlines: list
    flags: list
    escalations: list
    social_workers: list
    parent_updates: list
    last_heard_on: object
    days_since_last_heard: int | None
    referral_made_at: datetime | None
    next_due: DueState | None
    now: datetime


def referral_page(referral: Referral, now: datetime | None = None) -> ReferralPage:
    now = now or timezone.now()
    nation = referral.local_authority.nation
    milestones = list(referral.milestones.select_related("recorded_by"))
    escalations = list(referral.escalations.select_related("created_by", "flag"))
    deadlines = list(
        Deadline.objects.filter(
            Q(subject_type=ContentType.objects.get_for_model(Referral), subject_id=referral.pk)
            | Q(subject_type=ContentType.objects.get_for_model(Escalation),
                subject_id__in=[e.pk for e in escalations])
        )
        .select_related("flag", "flag__acknowledged_by")
        .order_by("due_at")
    )
    social_workers = list(referral.social_workers.all())
    parent_updates = list(referral.parent_updates.select_related("recorded_by"))
    made = next((m.occurred_at for m in milestones if m.milestone == Milestone.REFERRAL_MADE), None)
    last_heard_on = max((u.received_on for u in parent_updates), default=None)
    today = timezone.localdate(now)

    timeline = [
        TimelineEntry(m.occurred_at, m.get_milestone_display(), m.note, kind="milestone") for m in milestones
    ]
    for deadline in deadlines:
        if deadline.is_open:
            state = due_state(deadline.due_at, nation, now)
            timeline.append(TimelineEntry(_end_of(deadline.due_at), f"Due: {deadline.label}",
                                          f"Allowed: {deadline.allowance}", state=state, kind="due"))
        elif deadline.met_at and deadline.met_at > deadline.due_at:
            late = due_state(deadline.due_at, nation, deadline.met_at)
            timeline.append(TimelineEntry(_end_of(deadline.due_at), f"Was due: {deadline.label}",
                                          f"Happened {late.days_text} late" if late.working_days
                                          else "Happened after the time allowed", kind="late"))
    timeline += [TimelineEntry(_start_of(u.received_on), "The family heard from children's social care",
                               f"{u.get_channel_display()}. {u.summary}".strip(), kind="update")
                 for u in parent_updates]
    timeline += [TimelineEntry(_start_of(s.allocated_on), f"Social worker allocated: {s.name}", s.team,
                               kind="social_worker") for s in social_workers]
    timeline += [TimelineEntry(e.sent_at, f"Escalated: {e.get_kind_display()}", f"To {e.to_whom}. {e.note}".strip(),
                               kind="escalation") for e in escalations]
    timeline.sort(key=lambda entry: entry.when)
    return ReferralPage(
        referral=referral,
        timeline=timeline,
        deadlines=deadlines,
        flags=[d.flag for d in deadlines if hasattr(d, "flag")],
        escalations=escalations,
        social_workers=social_workers,
        parent_updates=parent_updates,
        last_heard_on=last_heard_on,
        days_since_last_heard=days_since_family_heard(made and timezone.localdate(made), last_heard_on, today),
        referral_made_at=made,
        next_due=due_state(referral.next_due_at, nation, now) if referral.next_due_at and referral.is_open else None,
        now=now,
    )


def _end_of(due_at):
    """A deadline's due_at is the first instant after its due day; show it on that day."""
    return due_at - timedelta(microseconds=1)


def _start_of(day):
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def referral_behind(flag) -> Referral | None:
    """The referral a flag is about: the deadline's subject, or the referral an escalation (whose
    answer is late) challenged. None for deadlines about anything else."""
    deadline = flag.deadline
    subject_type = ContentType.objects.get_for_id(deadline.subject_type_id)
    queryset = Referral.objects.select_related("family", "local_authority").filter(family_id=flag.family_id)
    if subject_type.model_class() is Referral:
        return queryset.filter(pk=deadline.subject_id).first()
    if subject_type.model_class() is Escalation:
        return queryset.filter(escalations__pk=deadline.subject_id).first()
    return None


def rules_for_display():
    """The default rules and every local override, for the thresholds page."""
    return list(ThresholdRule.objects.select_related("local_authority", "updated_by").order_by(
        "local_authority__name", "from_milestone", "to_milestone"))


THRESHOLD_CHANGES_SHOWN = 20


@dataclass
class ThresholdChangeRow:
    change: ThresholdChange
    before: str
    after: str


def _rule_in_words(values: dict | None) -> str:
    if not values:
        return "–"
    allowance = Allowance(values["amount"], values["unit"])
    applies = ThresholdRule.AppliesWhen(values["applies_when"]).label.lower()
    return (f"{Milestone(values['from_milestone']).label} to {Milestone(values['to_milestone']).label.lower()}: "
            f"{allowance} ({applies})")


def recent_threshold_changes(limit: int = THRESHOLD_CHANGES_SHOWN) -> list[ThresholdChangeRow]:
    """The latest changes to local thresholds, with who made them, the rule before and after in words,
    and the authorities they touched."""
    changes = ThresholdChange.objects.select_related("changed_by").prefetch_related("local_authorities")[:limit]
    return [ThresholdChangeRow(c, _rule_in_words(c.before), _rule_in_words(c.after)) for c in changes]


@dataclass
class WaitingReferral:
    referral: Referral
    next_due: DueState


MY_WORK_WAITING = 20


def waiting_on_csc(user, now: datetime | None = None, *, size: int = MY_WORK_WAITING, after: str | None = None,
                   before: str | None = None) -> BoundedList:
    """Open referrals of the families the user key-works, soonest due (or most overdue) first, a page
    at a time (cursors ``after`` / ``before``, families.selectors.bounded), with how many there are.
    Each row is a WaitingReferral."""
    from families.permissions import team_ids

    now = now or timezone.now()
    referrals = Referral.objects.filter(
        status=Referral.Status.OPEN, next_due_at__isnull=False, family__key_worker=user,
        family__team_id__in=team_ids(user),
    ).select_related("family", "local_authority")
    waiting = bounded(referrals, key="next_due_at", size=size, after=after, before=before)
    rows = [WaitingReferral(r, due_state(r.next_due_at, r.local_authority.nation, now)) for r in waiting.rows]
    return replace(waiting, page=replace(waiting.page, rows=rows))
