"""Meetings and the actions agreed at them on the family timeline. Registered in
MeetingsConfig.ready: one query for the meetings (with their actions counted) and one for the
actions done."""

from django.urls import reverse

from families.timeline import TimelineEntry, TimelineSource, entry_key, newest, register, start_of_day, window
from meetings.models import Meeting, MeetingAction
from meetings.selectors import completion, with_completion


def _meeting_url(family_id, meeting_id):
    return reverse("meetings:detail", args=[family_id, meeting_id])


def _meeting_detail(meeting) -> str:
    parts = []
    progress = completion(meeting)
    if progress.counted or progress.dropped:
        # The same words as the meeting's own page: "2 of 30 done, 5 overdue".
        parts.append(f"Actions agreed: {progress}.")
    if meeting.parent_attended:
        parts.append("The parent attended.")
    elif meeting.parent_invited:
        parts.append("The parent was invited but did not attend.")
    else:
        parts.append("The parent was not invited.")
    return " ".join(parts)


def _meetings(family, user, *, before, since, limit):
    meetings = (
        with_completion(Meeting.objects.filter(family=family).filter(window("held_at", "meeting", before=before,
                                                                            since=since)))
        .order_by("-held_at", "-pk")[:limit]
    )
    done = (
        MeetingAction.objects.filter(meeting__family=family, status=MeetingAction.Status.DONE)
        .filter(window("done_on", "meeting.action", before=before, since=since, day=True))
        .select_related("meeting", "agency")
        .order_by("-done_on", "-pk")[:limit]
    )
    dropped = (
        MeetingAction.objects.filter(meeting__family=family, status=MeetingAction.Status.DROPPED,
                                     dropped_on__isnull=False)
        .filter(window("dropped_on", "meeting.dropped", before=before, since=since, day=True))
        .select_related("meeting", "agency")
        .order_by("-dropped_on", "-pk")[:limit]
    )
    entries = [
        TimelineEntry(
            when=meeting.held_at, kind="meeting", title=meeting.get_kind_display(),
            detail=_meeting_detail(meeting), url=_meeting_url(family.pk, meeting.pk),
            key=entry_key("meeting", meeting.pk),
        )
        for meeting in meetings
    ]
    entries += [
        TimelineEntry(
            when=start_of_day(action.done_on), kind="meeting", title=f"Action done: {action.description}",
            detail=" ".join(part for part in (
                f"By {action.agency_label}." if action.agency_label else "",
                f"Agreed at the {action.meeting.get_kind_display().lower()}.",
                action.evidence,
            ) if part),
            url=_meeting_url(family.pk, action.meeting_id), key=entry_key("meeting.action", action.pk),
            day_only=True,
        )
        for action in done
    ]
    entries += [
        TimelineEntry(
            when=start_of_day(action.dropped_on), kind="meeting", title=f"Action dropped: {action.description}",
            detail=" ".join(part for part in (
                f"By {action.agency_label}." if action.agency_label else "",
                f"Agreed at the {action.meeting.get_kind_display().lower()}.",
                f"Why: {action.dropped_reason}",
            ) if part),
            url=_meeting_url(family.pk, action.meeting_id), key=entry_key("meeting.dropped", action.pk),
            day_only=True,
        )
        for action in dropped
    ]
    return newest(entries, limit)


def register_sources():
    register(TimelineSource(kind="meeting", label="Meetings and actions", read=_meetings))
