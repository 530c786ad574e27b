"""Reads the meeting pages and the family page need, each a fixed number of queries whatever the
number of meetings or of actions agreed at them."""

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from agencies.models import Agency, Professional
from meetings.models import Meeting, MeetingAction
from referrals.models import Referral

RECENT_MEETINGS = 5


@dataclass(frozen=True)
class Completion:
    """How far the actions agreed at a meeting got. Dropped actions are not counted: they were
    given up with a reason, not left undone."""

    done: int
    counted: int  # every action not dropped
    overdue: int  # open, and past the day it was due by
    dropped: int

    def __str__(self) -> str:
        if not self.counted:
            return "No actions open or done" if self.dropped else "No actions agreed"
        text = f"{self.done} of {self.counted} done"
        return f"{text}, {self.overdue} overdue" if self.overdue else text

    @property
    def all_done(self) -> bool:
        return self.counted > 0 and self.done == self.counted


def with_completion(meetings, *, today=None):
    """``meetings`` (a queryset) annotated with the counts ``completion`` reads: one query for the
    whole list, the actions counted in the same statement."""
    today = today or timezone.localdate()
    return meetings.annotate(
        actions_done=Count("actions", filter=Q(actions__status=MeetingAction.Status.DONE)),
        actions_counted=Count("actions", filter=~Q(actions__status=MeetingAction.Status.DROPPED)),
        actions_dropped=Count("actions", filter=Q(actions__status=MeetingAction.Status.DROPPED)),
        actions_overdue=Count(
            "actions", filter=Q(actions__status=MeetingAction.Status.OPEN, actions__due_on__lt=today)
        ),
    )


def completion(meeting: Meeting) -> Completion:
    """The completion of a meeting read through ``with_completion``."""
    return Completion(
        done=meeting.actions_done, counted=meeting.actions_counted, overdue=meeting.actions_overdue,
        dropped=meeting.actions_dropped,
    )


def completion_of(meeting: Meeting) -> Completion:
    """One meeting's completion as it is now (one query): after an action was added or changed."""
    return completion(with_completion(Meeting.objects.filter(pk=meeting.pk)).get())


def meetings_for_family(family, *, limit=None) -> list[Meeting]:
    """The family's meetings, latest first, each with ``completion`` set: one query (two with the
    agencies present)."""
    meetings = with_completion(Meeting.objects.filter(family=family)).prefetch_related(
        Prefetch("agencies", queryset=Agency.objects.only("pk", "name"))
    )
    if limit is not None:
        meetings = meetings[:limit]
    meetings = list(meetings)
    for meeting in meetings:
        meeting.completion = completion(meeting)
    return meetings


@dataclass(frozen=True)
class FamilyMeetings:
    recent: list
    total: int


def family_section(family) -> FamilyMeetings:
    """The family page's section: its most recent meetings with their completion (two queries)."""
    recent = list(with_completion(Meeting.objects.filter(family=family))[: RECENT_MEETINGS + 1])
    for meeting in recent:
        meeting.completion = completion(meeting)
    total = len(recent) if len(recent) <= RECENT_MEETINGS else Meeting.objects.filter(family=family).count()
    return FamilyMeetings(recent=recent[:RECENT_MEETINGS], total=total)


def meeting_for_page(family, meeting_pk) -> Meeting | None:
    """The meeting with everything its page shows, or None: the meeting, its completion and the
    referral in one query, then one each for the children, the agencies, the professionals and the
    actions with their chases."""
    meeting = (
        with_completion(Meeting.objects.filter(family=family, pk=meeting_pk))
        .select_related("referral__local_authority", "milestone_record", "recorded_by")
        .prefetch_related(
            "children",
            "agencies",
            Prefetch("professionals", queryset=Professional.objects.select_related("agency")),
            Prefetch("actions", queryset=actions_of_meeting()),
        )
        .first()
    )
    if meeting is not None:
        meeting.completion = completion(meeting)
    return meeting


def actions_of_meeting():
    return MeetingAction.objects.select_related("agency", "professional").prefetch_related("chases__chased_by")


def actions_for(meeting: Meeting) -> list[MeetingAction]:
    return list(actions_of_meeting().filter(meeting=meeting))


# --------------------------------------------------------------- choices on the forms


def agencies_for(family):
    """Agencies a family's meeting may have present: those of the family's local authority and those
    that work everywhere."""
    local = Q(local_authority__isnull=True)
    if family.local_authority_id:
        local |= Q(local_authority_id=family.local_authority_id)
    return Agency.objects.filter(local)


def professionals_for(family):
    return Professional.objects.filter(agency__in=agencies_for(family)).select_related("agency")


def referrals_for(family):
    return Referral.objects.filter(family=family).select_related("local_authority")
