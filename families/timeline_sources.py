"""The family's own entries on its timeline: calls and other contact, follow-ups done, children's
risk levels changed, and moves between teams. Registered in FamiliesConfig.ready."""

from django.urls import reverse

from families.models import FamilyTransfer, RiskLevelChange
from families.timeline import TimelineEntry, TimelineSource, entry_key, newest, register, window


def _calls(family, user, *, before, since, limit):
    contacts = (
        family.contacts.filter(window("occurred_at", "call", before=before, since=since))
        .select_related("worker", "spoke_with")
        .prefetch_related("support_given")
        .order_by("-occurred_at", "-pk")[:limit]
    )
    entries = []
    for contact in contacts:
        with_whom = f" with {contact.spoke_with.full_name}" if contact.spoke_with_id else ""
        support = ", ".join(str(category) for category in contact.support_given.all())
        entries.append(TimelineEntry(
            when=contact.occurred_at,
            kind="call",
            title=f"{contact.get_channel_display()}{with_whom}, {contact.duration_minutes} min",
            detail=f"Logged by {contact.worker}.{f' Support: {support}.' if support else ''}\n{contact.summary}",
            key=entry_key("call", contact.pk),
            handle_with_care=contact.handle_with_care,
        ))
    return entries


def _follow_ups(family, user, *, before, since, limit):
    done = (
        family.follow_ups.filter(window("done_at", "follow_up", before=before, since=since))
        .select_related("done_by")
        .order_by("-done_at", "-pk")[:limit]
    )
    return [
        TimelineEntry(
            when=follow_up.done_at, kind="follow_up", title=f"Follow-up done: {follow_up.description}",
            detail=f"Done by {follow_up.done_by}.", key=entry_key("follow_up", follow_up.pk),
        )
        for follow_up in done
    ]


def _family_changes(family, user, *, before, since, limit):
    risks = (
        RiskLevelChange.objects.filter(child__family=family)
        .filter(window("changed_at", "family.risk", before=before, since=since))
        .select_related("child", "changed_by")
        .order_by("-changed_at", "-pk")[:limit]
    )
    transfers = (
        FamilyTransfer.objects.filter(family=family)
        .filter(window("transferred_at", "family.transfer", before=before, since=since))
        .select_related("from_team", "to_team", "transferred_by")
        .order_by("-transferred_at", "-pk")[:limit]
    )
    entries = [
        TimelineEntry(
            when=change.changed_at, kind="family",
            title=f"{change.child.first_name}'s risk level: {change.get_level_display().lower()}",
            detail=" ".join(part for part in (f"Changed by {change.changed_by}.", change.reason) if part),
            url=reverse("families:person_edit", args=[family.pk, change.child_id]),
            key=entry_key("family.risk", change.pk),
        )
        for change in risks
    ]
    entries += [
        TimelineEntry(
            when=transfer.transferred_at, kind="family",
            title=f"Moved from {transfer.from_team} to {transfer.to_team}",
            detail=f"By {transfer.transferred_by}. {transfer.reason}",
            key=entry_key("family.transfer", transfer.pk),
        )
        for transfer in transfers
    ]
    return newest(entries, limit)


def register_sources():
    register(TimelineSource(kind="call", label="Calls and contact", read=_calls))
    register(TimelineSource(kind="follow_up", label="Follow-ups done", read=_follow_ups))
    register(TimelineSource(kind="family", label="Risk levels and team changes", read=_family_changes))


