"""The deadline kind meetings register with the deadline engine (see deadlines.kinds), and how an
agreed action's clock follows what is recorded about it."""

from django.urls import reverse
from django.utils import timezone

from core.working_days import Allowance, end_of_local_day
from deadlines import kinds
from deadlines import services as deadlines
from meetings.models import MeetingAction

GROUP = "Meetings"
ACTION = "meeting:action"

# An action late by this much beyond its date is "very late", as for a safety network commitment.
ESCALATE_AFTER = Allowance(10, "working_days")
LABEL_LENGTH = 200  # deadlines.models.Deadline.label


def _action_links(deadlines_) -> dict[int, str]:
    meeting_of = dict(
        MeetingAction.objects.filter(pk__in=[d.subject_id for d in deadlines_]).values_list("pk", "meeting_id")
    )
    return {
        d.pk: reverse("meetings:detail", args=[d.family_id, meeting_of[d.subject_id]]) + f"#action-{d.subject_id}"
        for d in deadlines_
        if d.subject_id in meeting_of
    }


def register():
    kinds.register(
        kinds.DeadlineKind(code=ACTION, label="Action agreed at a meeting", group=GROUP, links=_action_links),
    )


def _nation(family) -> str:
    return family.local_authority.nation if family.local_authority_id else "england"


def action_label(action: MeetingAction) -> str:
    """What is due, in words: "Police: visit the address" (cut to fit the deadline's label)."""
    who = action.agency_label
    label = f"{who}: {action.description}" if who else action.description
    return label if len(label) <= LABEL_LENGTH else label[: LABEL_LENGTH - 1] + "…"


def action_clock_follows(action: MeetingAction, *, family=None, now=None):
    """An open action with a date is a deadline due by the end of that day; done, its clock is met
    on the day it was done; dropped or undated, it has none. Inside the caller's transaction, after
    the action is saved."""
    now = now or timezone.now()
    family = family or action.meeting.family
    if action.status == MeetingAction.Status.OPEN and action.due_on:
        deadlines.deadline_set_by_date(
            family=family, subject=action, kind=ACTION, label=action_label(action), due_on=action.due_on,
            nation=_nation(family), escalate_after=ESCALATE_AFTER, now=now,
        )
    elif action.status == MeetingAction.Status.DONE:
        # Done on a day before today: met by the end of that day, so one done on its date is on time.
        met_at = min(now, end_of_local_day(action.done_on)) if action.done_on else now
        deadlines.deadlines_close_for(action, met_at=met_at, now=now)
    else:
        deadlines.deadlines_close_for(action, now=now)
