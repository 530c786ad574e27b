"""Every change to a meeting and to the actions agreed at it goes through these functions.

Each runs in one transaction: the row is saved (claiming the version the person started from,
core.concurrency, so a change made meanwhile is never overwritten), django-auditlog writes the
audit entry, and the action's clock follows (meetings.deadline_kinds). A meeting that is one of a
referral's milestones records it through the referral's own write path
(referrals.services.referral_record_milestone), in the same transaction, so the referral's clocks
see it at once.
"""

from datetime import date

from django.db import transaction
from django.utils import timezone

from core.concurrency import save_if_unchanged
from core.errors import UserFixableError
from meetings.deadline_kinds import action_clock_follows
from meetings.models import ActionChase, Meeting, MeetingAction
from referrals import services as referrals
from referrals.models import Milestone

# The meetings that are milestones of a referral to children's social care.
MILESTONE_OF_KIND = {
    Meeting.Kind.STRATEGY_DISCUSSION: Milestone.STRATEGY_DISCUSSION,
    Meeting.Kind.INITIAL_CONFERENCE: Milestone.INITIAL_CONFERENCE,
    Meeting.Kind.REVIEW_CONFERENCE: Milestone.REVIEW_CONFERENCE,
    Meeting.Kind.CORE_GROUP: Milestone.FIRST_CORE_GROUP,
}
# Later core groups are not milestones: only the first one is timed.
ONLY_THE_FIRST = {Milestone.FIRST_CORE_GROUP}
MILESTONE_NOTE = "Recorded from the meeting"
# The referral's form fields, as the meeting form calls them.
MEETING_FIELD_OF = {"milestone": "referral", "decision": "referral", "occurred_at": "held_at"}


def _milestone_for(meeting: Meeting) -> str | None:
    """The referral milestone this meeting should record, or None."""
    if meeting.referral_id is None:
        return None
    milestone = MILESTONE_OF_KIND.get(meeting.kind)
    if milestone in ONLY_THE_FIRST and meeting.referral.milestones.filter(milestone=milestone).exists():
        return None
    return milestone


def _record_milestone(*, user, meeting: Meeting):
    milestone = _milestone_for(meeting)
    if milestone is None:
        return
    try:
        meeting.milestone_record = referrals.referral_record_milestone(
            user=user, referral=meeting.referral, milestone=milestone, occurred_at=meeting.held_at,
            note=MILESTONE_NOTE,
        )
    except UserFixableError as error:
        raise UserFixableError(error.message, field=MEETING_FIELD_OF.get(error.field, error.field)) from error


def _check_belongs(meeting: Meeting, *, children):
    family = meeting.family
    if meeting.referral_id and meeting.referral.family_id != family.pk:
        raise ValueError("That referral is about another family.")
    if any(child.family_id != family.pk or not child.is_child for child in children):
        raise ValueError("Only the family's children can be the subject of its meeting.")


def _to_the_minute(moment):
    # The form shows minutes: a time saved with seconds comes back without them, unchanged.
    return moment.replace(second=0, microsecond=0)


def _present(agencies, professionals) -> list:
    """The agencies present: those chosen, and those of the professionals who were there."""
    present = {agency.pk: agency for agency in agencies}
    for professional in professionals:
        present.setdefault(professional.agency_id, professional.agency)
    return list(present.values())


def _set_people(meeting: Meeting, *, children, agencies, professionals):
    meeting.children.set(children)
    meeting.agencies.set(_present(agencies, professionals))
    meeting.professionals.set(professionals)


@transaction.atomic
def meeting_record(*, user, meeting: Meeting, children=(), agencies=(), professionals=()) -> Meeting:
    """Record a meeting (the instance as the form left it, with its family set). A meeting that is a
    referral milestone records it first, so a milestone refused (out of order, already recorded)
    leaves nothing saved."""
    children, agencies, professionals = list(children), list(agencies), list(professionals)
    _check_belongs(meeting, children=children)
    _record_milestone(user=user, meeting=meeting)
    meeting.recorded_by = user
    meeting.created_at = timezone.now()
    meeting.version = 1
    meeting.save()
    _set_people(meeting, children=children, agencies=agencies, professionals=professionals)
    return meeting


@transaction.atomic
def meeting_update(*, user, meeting: Meeting, expected_version: int, children=(), agencies=(),
                   professionals=()) -> Meeting:
    """Save the changes to a meeting (the instance as the form left it). Once the meeting is a
    referral's milestone, its kind, date and referral stay as the milestone was recorded: the
    referral's clocks have been worked out from them."""
    children, agencies, professionals = list(children), list(agencies), list(professionals)
    saved = Meeting.objects.get(pk=meeting.pk)
    _check_belongs(meeting, children=children)
    if saved.milestone_record_id:
        milestone = saved.milestone_record.get_milestone_display().lower()
        if meeting.referral_id != saved.referral_id:
            raise UserFixableError(
                f"This meeting is recorded as the referral's {milestone}, so it stays with that referral.",
                field="referral",
            )
        if meeting.kind != saved.kind:
            raise UserFixableError(
                f"This meeting is recorded as the referral's {milestone}, so its kind stays the same.", field="kind"
            )
        if _to_the_minute(meeting.held_at) != _to_the_minute(saved.held_at):
            raise UserFixableError(
                f"This meeting is recorded as the referral's {milestone} on that date, and the referral's "
                "timescales were worked out from it, so the date stays the same.",
                field="held_at",
            )
        meeting.held_at = saved.held_at
    else:
        _record_milestone(user=user, meeting=meeting)
    save_if_unchanged(meeting, expected_version)
    _set_people(meeting, children=children, agencies=agencies, professionals=professionals)
    return meeting


# --------------------------------------------------------------- actions agreed at a meeting


def _next_position(meeting: Meeting) -> int:
    last = MeetingAction.objects.filter(meeting=meeting).order_by("-position").values_list("position", flat=True)
    return (last.first() or 0) + 1


@transaction.atomic
def action_add(*, user, meeting: Meeting, action: MeetingAction) -> MeetingAction:
    """Add an action agreed at the meeting (the instance as the form left it), at the end of the list."""
    # Two people adding at once are numbered one after the other.
    meeting = (
        Meeting.objects.select_for_update(of=("self",)).select_related("family__local_authority").get(pk=meeting.pk)
    )
    if action.professional_id and action.agency_id and action.professional.agency_id != action.agency_id:
        raise UserFixableError("That person is not in that agency.", field="owner_name")
    action.meeting = meeting
    action.position = _next_position(meeting)
    action.status = MeetingAction.Status.OPEN
    action.created_at = timezone.now()
    action.version = 1
    action.save()
    action_clock_follows(action, family=meeting.family)
    return action


def _claim(action: MeetingAction, expected_version: int, *, family=None):
    save_if_unchanged(action, expected_version)
    action_clock_follows(action, family=family)


def _check_open(action: MeetingAction, doing: str):
    if action.status != MeetingAction.Status.OPEN:
        status = action.get_status_display().lower()
        raise UserFixableError(f"This action is already {status}, so it cannot be {doing}.")


def _check_not_before_meeting(action: MeetingAction, day: date, field: str, what: str):
    if day < timezone.localtime(action.meeting.held_at).date():
        raise UserFixableError(f"{what} cannot be before the meeting that agreed it.", field=field)
    if day > timezone.localdate():
        raise UserFixableError(f"{what} cannot be in the future.", field=field)


@transaction.atomic
def action_mark_done(*, user, action: MeetingAction, done_on: date, evidence: str = "",
                     expected_version: int) -> MeetingAction:
    _check_open(action, "marked done")
    _check_not_before_meeting(action, done_on, "done_on", "The day it was done")
    action.status = MeetingAction.Status.DONE
    action.done_on = done_on
    action.evidence = evidence.strip()
    _claim(action, expected_version)
    return action


@transaction.atomic
def action_drop(*, user, action: MeetingAction, reason: str, expected_version: int) -> MeetingAction:
    """Give up an action that is no longer needed or will not happen, saying why: a promise is never
    silently forgotten."""
    reason = reason.strip()
    if not reason:
        raise UserFixableError("Say why the action was dropped.", field="dropped_reason")
    _check_open(action, "dropped")
    action.status = MeetingAction.Status.DROPPED
    action.dropped_reason = reason
    action.dropped_on = timezone.localdate()
    _claim(action, expected_version)
    return action


@transaction.atomic
def action_reopen(*, user, action: MeetingAction, expected_version: int) -> MeetingAction:
    """Undo a mistaken "done" or "dropped": the action is open again and its clock runs again."""
    if action.status == MeetingAction.Status.OPEN:
        raise UserFixableError("This action is already open.")
    action.status = MeetingAction.Status.OPEN
    action.done_on = None
    action.dropped_on = None
    action.dropped_reason = ""
    _claim(action, expected_version)
    return action


@transaction.atomic
def action_chase(*, user, action: MeetingAction, chased_on: date, how: str = "",
                 expected_version: int) -> ActionChase:
    """Record that someone followed the action up. Claims the action's version, so a chase is never
    recorded on an action someone has just marked done or dropped."""
    _check_open(action, "chased")
    _check_not_before_meeting(action, chased_on, "chased_on", "The day it was chased")
    _claim(action, expected_version)
    return ActionChase.objects.create(action=action, chased_on=chased_on, how=how.strip(), chased_by=user)
