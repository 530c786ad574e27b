"""When a bank holiday is added or withdrawn, the open deadlines counted on that calendar move with it.

The change itself is core's (core.services); moving the deadlines is this floor's, and both happen
in one transaction, so no deadline is ever counted on a calendar that was not saved.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time

from celery import current_app
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core import services as core_services
from core import working_days
from core.models import BankHolidayChange
from core.working_days import LONDON, Allowance, Calendar
from deadlines.models import Deadline, OverdueFlag
from deadlines.signals import deadlines_rescheduled

logger = logging.getLogger(__name__)

RESCHEDULE_BATCH = 1000
# Long enough for every other process to have read the change (core.working_days).
SECOND_PASS_DELAY_SECONDS = working_days.CHANGES_MAX_AGE_SECONDS + 30

# Fields a replacement deadline does not copy from the one it replaces.
_NOT_COPIED = {"id", "due_at", "escalate_at", "met_at", "cancelled_at", "closed_at", "created_at"}


@dataclass(frozen=True)
class CalendarChangeOutcome:
    change: BankHolidayChange
    rescheduled: int

    @property
    def message(self) -> str:
        count, where = self.rescheduled, Calendar(self.change.calendar).label
        if count == 1:
            return f"1 open deadline in {where} was recomputed."
        return f"{count} open deadlines in {where} were recomputed."


def calendar_change_record(*, user, calendar: Calendar, day: date, change: str, name: str, source: str,
                           now: datetime | None = None) -> CalendarChangeOutcome:
    """Add a bank holiday to a nation's calendar, or withdraw one, and move its open deadlines."""
    with transaction.atomic():
        saved = core_services.bank_holiday_change_record(
            user=user, calendar=calendar, day=day, change=change, name=name, source=source
        )
        rescheduled = deadlines_reschedule_for_calendar(calendar=Calendar(calendar), day=day, now=now)
    return CalendarChangeOutcome(saved, rescheduled)


def calendar_change_undo(*, user, change: BankHolidayChange, now: datetime | None = None) -> CalendarChangeOutcome:
    """Undo a change made here (the library's day stands again) and move the open deadlines back."""
    with transaction.atomic():
        undone = core_services.bank_holiday_change_undo(user=user, change=change)
        rescheduled = deadlines_reschedule_for_calendar(calendar=Calendar(undone.calendar), day=undone.day, now=now)
    return CalendarChangeOutcome(undone, rescheduled)


def _working_days_allowances():
    # Hours and calendar months run regardless of bank holidays.
    return Q(allowance__endswith=" working day") | Q(allowance__endswith=" working days")


def deadlines_reschedule_for_calendar(*, calendar: Calendar, day: date, now: datetime | None = None,
                                      second_pass: bool = True) -> int:
    """Work out again, from ``started_at`` and the allowance, the due and escalation moments of every
    open working-day deadline of ``calendar``'s nations whose window holds ``day``, on the calendar as
    this transaction sees it; returns how many moved. Inside the caller's transaction, in batches of
    RESCHEDULE_BATCH with a constant number of statements each.

    The window runs from the day after the start to the escalation day (twice the allowance), so a
    day outside it cannot move either moment. A deadline that moves is updated where it stands, except:

    - it has a flag and is now due later than ``now``: it is no longer overdue, so it is replaced by a
      new deadline (the old one cancelled, its flag resolved). A flag belongs to one deadline for good,
      and the overdue job inserts the flags of deadlines falling due without looking for one already
      there, so the same row could never be flagged again (for that reason a deadline whose flag was
      resolved already is replaced however it moved);
    - it has no flag and is now due already (a day withdrawn): replaced too, so that the overdue job,
      which looks only at deadlines due or created since its last run, sees it at its next run.

    A flag of a deadline still overdue after the move keeps its level; it escalates at the new moment.
    Each app whose subjects' deadlines moved hears it from deadlines_rescheduled, inside the transaction.
    """
    now = now or timezone.now()
    day_starts = datetime.combine(day, time(), tzinfo=LONDON)
    candidates = Deadline.objects.filter(
        _working_days_allowances(),
        nation__in=working_days.nations_of(calendar),
        met_at__isnull=True,
        cancelled_at__isnull=True,
        started_at__lt=day_starts,
        escalate_at__gt=day_starts,
    ).order_by("pk")
    moved_subjects: dict[int, set[int]] = defaultdict(set)
    moved = 0
    with working_days.changes_as_this_transaction_sees():
        after_pk = 0
        while True:
            # Locked, so a person meeting one of these deadlines waits for this transaction, and then
            # finds it as it is (met or replaced) rather than overwriting the move.
            batch = list(candidates.filter(pk__gt=after_pk).select_for_update()[:RESCHEDULE_BATCH])
            if not batch:
                break
            after_pk = batch[-1].pk
            moved += _reschedule_batch(batch, now, moved_subjects)
    for subject_type_id, subject_ids in moved_subjects.items():
        subject_type = ContentType.objects.get_for_id(subject_type_id)
        deadlines_rescheduled.send(sender=Deadline, subject_type=subject_type, subject_ids=sorted(subject_ids))
    transaction.on_commit(working_days.reload_changes)
    if second_pass:
        transaction.on_commit(lambda: _start_second_pass(calendar, day))
    return moved


def _start_second_pass(calendar: Calendar, day: date):
    """For ``transaction.on_commit``; never raises, as the change is committed whatever happens here."""
    try:
        # Looked up by name (deadlines.apps registers the tasks): the task module imports this one.
        current_app.tasks["deadlines.tasks.reschedule_for_calendar"].apply_async(
            args=[calendar.value, day.isoformat()], countdown=SECOND_PASS_DELAY_SECONDS
        )
    except Exception as error:  # noqa: BLE001 - a broker outage must not fail the request after its commit
        # Only a deadline opened by another process in the last minute can be off by the change.
        logger.warning("Could not queue the second pass after a bank-holiday change (%s): %s %s",
                       type(error).__name__, calendar.value, day.isoformat())


def _reschedule_batch(batch: list[Deadline], now: datetime, moved_subjects: dict[int, set[int]]) -> int:
    moving = []
    for deadline in batch:
        try:
            allowance = Allowance.parse(deadline.allowance)
        except ValueError:
            continue  # not worked out from an allowance: nothing to work out again
        due_at = allowance.due_from(deadline.started_at, deadline.nation)
        escalate_at = allowance.twice().due_from(deadline.started_at, deadline.nation)
        if (due_at, escalate_at) != (deadline.due_at, deadline.escalate_at):
            deadline.due_at, deadline.escalate_at = due_at, escalate_at
            moving.append(deadline)
    if not moving:
        return 0
    flags = {flag.deadline_id: flag for flag in OverdueFlag.objects.filter(deadline__in=moving)}
    in_place, replaced, flags_to_follow = [], [], []
    for deadline in moving:
        flag = flags.get(deadline.pk)
        due_already = deadline.due_at <= now
        # Unflagged: replaced when due already. Flagged: replaced unless still overdue with its flag open.
        replace = due_already if flag is None else not due_already or flag.resolved_at is not None
        if replace:
            replaced.append(deadline)
        else:
            in_place.append(deadline)
            if flag is not None:
                flag.due_at, flag.escalate_at = deadline.due_at, deadline.escalate_at
                flags_to_follow.append(flag)
        moved_subjects[deadline.subject_type_id].add(deadline.subject_id)
    Deadline.objects.bulk_update(in_place, ["due_at", "escalate_at"])
    OverdueFlag.objects.bulk_update(flags_to_follow, ["due_at", "escalate_at"])
    if replaced:
        ids = [deadline.pk for deadline in replaced]
        # Cancelled first: one open deadline per subject and kind.
        Deadline.objects.filter(pk__in=ids).update(cancelled_at=now, closed_at=now)
        OverdueFlag.objects.filter(deadline_id__in=ids, resolved_at__isnull=True).update(resolved_at=now)
        Deadline.objects.bulk_create([_replacement(deadline) for deadline in replaced])
    return len(moving)


def _replacement(deadline: Deadline) -> Deadline:
    copied = {
        field.attname: getattr(deadline, field.attname)
        for field in Deadline._meta.concrete_fields
        if field.attname not in _NOT_COPIED
    }
    return Deadline(**copied, due_at=deadline.due_at, escalate_at=deadline.escalate_at)
