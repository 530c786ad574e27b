"""The family's own entries on its timeline: calls and other contact (and calls moved here or
away), follow-ups done, children's risk levels changed, and moves between teams. Registered in
FamiliesConfig.ready."""

from dataclasses import dataclass

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from families.models import Contact, ContactRevision, FamilyTransfer, RiskLevelChange
from families.rectification import open_challenge_on
from families.timeline import TimelineEntry, TimelineSource, entry_key, newest, register, window


@dataclass(frozen=True)
class CallEntry(TimelineEntry):
    """A call on the timeline, with the ways to put it right (label, address)."""

    actions: tuple = ()
    # Struck through: who did it, when and why, and the call's own detail, shown struck through.
    # The title and detail say so as well, for pages that show only those (the chronology pack).
    struck_note: str = ""
    struck_detail: str = ""
    # Someone in the family says the call is wrong, and no outcome is recorded yet.
    challenged: bool = False


def _moment(moment) -> str:
    local = timezone.localtime(moment)
    return f"{date_format(local, 'j M Y')} at {local:%H:%M}"


def _call_actions(family, contact) -> tuple:
    if contact.is_struck:
        return ()
    args = [family.pk, contact.pk]
    return (
        ("Amend", reverse("families:call_amend", args=args)),
        ("Move", reverse("families:call_move", args=args)),
        ("Strike through", reverse("families:call_strike", args=args)),
    )


def _calls(family, user, *, before, since, limit):
    contacts = (
        family.contacts.filter(window("occurred_at", "call", before=before, since=since))
        .select_related("worker", "spoke_with", "struck_by")
        .prefetch_related("support_given")
        .annotate(
            amendments=Count("revisions", filter=Q(revisions__kind=ContactRevision.Kind.AMEND)),
            challenged=open_challenge_on(Contact),
        )
        .order_by("-occurred_at", "-pk")[:limit]
    )
    entries = []
    for contact in contacts:
        with_whom = f" with {contact.spoke_with.full_name}" if contact.spoke_with_id else ""
        support_names = ", ".join(str(category) for category in contact.support_given.all())
        amended = " Amended since: see the call's history." if contact.amendments else ""
        challenged = " The family says this record is wrong: see the call's page." if contact.challenged else ""
        title = f"{contact.get_channel_display()}{with_whom}, {contact.duration_minutes} min"
        support = f" Support: {support_names}." if support_names else ""
        detail = f"Logged by {contact.worker}.{amended}{challenged}{support}\n{contact.summary}"
        struck_note = ""
        if contact.is_struck:
            struck = f"Struck through by {contact.struck_by} on {_moment(contact.struck_at)}"
            struck_note = f"{struck} because: {contact.struck_reason}"
        entries.append(CallEntry(
            when=contact.occurred_at,
            kind="call",
            title=f"Struck through: {title}" if struck_note else title,
            detail=f"{struck_note}\n{detail}" if struck_note else detail,
            url=reverse("families:call_detail", args=[family.pk, contact.pk]),
            key=entry_key("call", contact.pk),
            handle_with_care=contact.handle_with_care,
            actions=_call_actions(family, contact),
            struck_note=struck_note,
            struck_detail=detail if struck_note else "",
            challenged=contact.challenged,
        ))
    # Calls moved here or away. The family a call left sees that it went, and where, but none of its
    # text: it was never that family's call.
    moves = (
        ContactRevision.objects.filter(Q(family=family) | Q(to_family=family), kind=ContactRevision.Kind.MOVE)
        .filter(window("changed_at", "call.move", before=before, since=since))
        .select_related("changed_by", "family", "to_family", "contact")
        .order_by("-changed_at", "-pk")[:limit]
    )
    for move in moves:
        if move.family_id == family.pk:
            title = f"A call was moved to {move.to_family or 'another family'}"
            url = None
        else:
            title = f"A call was moved here from {move.family}"
            url = (reverse("families:call_detail", args=[family.pk, move.contact_id])
                   if move.contact.family_id == family.pk else None)
        entries.append(TimelineEntry(
            when=move.changed_at, kind="call", title=title, url=url,
            detail=f"By {move.changed_by}, because: {move.reason}", key=entry_key("call.move", move.pk),
        ))
    return newest(entries, limit)


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


