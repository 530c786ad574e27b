"""A referral's entries on the family timeline: its milestones, the social workers allocated, the
updates the family received from children's social care, and the escalations sent. Registered in
ReferralsConfig.ready; each kind is one query."""

from families.timeline import TimelineEntry, TimelineSource, entry_key, register, start_of_day, window
from referrals.models import Escalation, MilestoneRecord, ParentUpdate, SocialWorkerAllocation


def _referral_url(referral):
    return referral.get_absolute_url()


def _milestones(family, user, *, before, since, limit):
    records = (
        MilestoneRecord.objects.filter(referral__family=family)
        .filter(window("occurred_at", "referral", before=before, since=since))
        .select_related("referral__local_authority")
        .order_by("-occurred_at", "-pk")[:limit]
    )
    return [
        TimelineEntry(
            when=record.occurred_at, kind="referral", title=record.get_milestone_display(),
            detail=" ".join(part for part in (f"Referral to {record.referral.local_authority}.", record.note) if part),
            url=_referral_url(record.referral), key=entry_key("referral", record.pk),
        )
        for record in records
    ]


def _social_workers(family, user, *, before, since, limit):
    allocations = (
        SocialWorkerAllocation.objects.filter(referral__family=family)
        .filter(window("allocated_on", "social_worker", before=before, since=since, day=True))
        .select_related("referral__local_authority")
        .order_by("-allocated_on", "-pk")[:limit]
    )
    return [
        TimelineEntry(
            when=start_of_day(allocation.allocated_on), kind="social_worker",
            title=f"Social worker allocated: {allocation.name}",
            detail=" ".join(part for part in (allocation.team, f"Referral to {allocation.referral.local_authority}.")
                            if part),
            url=_referral_url(allocation.referral), key=entry_key("social_worker", allocation.pk), day_only=True,
        )
        for allocation in allocations
    ]


def _parent_updates(family, user, *, before, since, limit):
    updates = (
        ParentUpdate.objects.filter(referral__family=family)
        .filter(window("received_on", "parent_update", before=before, since=since, day=True))
        .select_related("referral__local_authority")
        .order_by("-received_on", "-pk")[:limit]
    )
    return [
        TimelineEntry(
            when=start_of_day(update.received_on), kind="parent_update",
            title="The family heard from children's social care",
            detail=" ".join(part for part in (f"{update.get_channel_display()}.", update.summary) if part),
            url=_referral_url(update.referral), key=entry_key("parent_update", update.pk), day_only=True,
        )
        for update in updates
    ]


def _escalations(family, user, *, before, since, limit):
    escalations = (
        Escalation.objects.filter(referral__family=family)
        .filter(window("sent_at", "escalation", before=before, since=since))
        .select_related("referral__local_authority")
        .order_by("-sent_at", "-pk")[:limit]
    )
    return [
        TimelineEntry(
            when=escalation.sent_at, kind="escalation", title=f"Escalated: {escalation.get_kind_display()}",
            detail=" ".join(part for part in (f"To {escalation.to_whom}.", escalation.note) if part),
            url=_referral_url(escalation.referral), key=entry_key("escalation", escalation.pk),
        )
        for escalation in escalations
    ]


def register_sources():
    register(TimelineSource(kind="referral", label="Referral milestones", read=_milestones))
    register(TimelineSource(kind="social_worker", label="Social workers allocated", read=_social_workers))
    register(TimelineSource(kind="parent_update", label="Updates the family received", read=_parent_updates))
    register(TimelineSource(kind="escalation", label="Escalations sent", read=_escalations))
