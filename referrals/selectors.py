"""Reads for referral pages: a fixed number of queries whatever the referral's history."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Max, Q
from django.utils import timezone

from deadlines.models import Deadline, DueState, due_state
from referrals.models import Escalation, Milestone, Referral, ThresholdRule


def days_since(day, today):
    return (today - day).days if day else None


@dataclass
class ReferralSummary:
    referral: Referral
    next_due: DueState | None
    social_worker_count: int
    last_heard_on: object
    days_since_last_heard: int | None


def family_referrals(family, now: datetime | None = None) -> list[ReferralSummary]:
    """The family's referrals for its page, newest first: what is due next and how the family is kept informed."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    referrals = (
        family.referrals.select_related("local_authority")
        .prefetch_related("children")
        .annotate(social_worker_count=Count("social_workers", distinct=True),
                  last_heard_on=Max("parent_updates__received_on"))
        .order_by("-created_at")
    )
    return [
        ReferralSummary(
            referral=referral,
            next_due=due_state(referral.next_due_at, referral.local_authority.nation, now)
            if referral.next_due_at and referral.is_open else None,
            social_worker_count=referral.social_worker_count,
            last_heard_on=referral.last_heard_on,
            days_since_last_heard=days_since(referral.last_heard_on or _made_on(referral), today),
        )
        for referral in referrals
    ]


def _made_on(referral):
    return timezone.localdate(referral.created_at)


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
        days_since_last_heard=days_since(last_heard_on or (made and timezone.localdate(made)), today),
        referral_made_at=made,
        next_due=due_state(referral.next_due_at, nation, now) if referral.next_due_at and referral.is_open else None,
        now=now,
    )


def _end_of(due_at):
    """A deadline's due_at is the first instant after its due day; show it on that day."""
    return due_at - timedelta(microseconds=1)


def _start_of(day):
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def rules_for_display():
    """The default rules and every local override, for the thresholds page."""
    return list(ThresholdRule.objects.select_related("local_authority", "updated_by").order_by(
        "local_authority__name", "from_milestone", "to_milestone"))


@dataclass
class WaitingReferral:
    referral: Referral
    next_due: DueState


def waiting_on_csc(user, now: datetime | None = None, limit: int = 20) -> list[WaitingReferral]:
    """Open referrals of the families the user key-works, soonest due (or most overdue) first."""
    from families.permissions import team_ids

    now = now or timezone.now()
    referrals = (
        Referral.objects.filter(
            status=Referral.Status.OPEN, next_due_at__isnull=False, family__key_worker=user,
            family__team_id__in=team_ids(user),
        )
        .select_related("family", "local_authority")
        .order_by("next_due_at")[:limit]
    )
    return [WaitingReferral(r, due_state(r.next_due_at, r.local_authority.nation, now)) for r in referrals]
