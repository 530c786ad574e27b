from datetime import date

from celery import shared_task
from django.db import transaction

from core.working_days import Calendar
from deadlines import outbox, services
from deadlines.calendar import deadlines_reschedule_for_calendar


@shared_task(name="deadlines.tasks.raise_overdue_flags")
def raise_overdue_flags(full=False):
    run = services.raise_overdue_flags(full=full)
    return {"flagged": run.flagged, "escalated": run.escalated, "notifications": run.notifications}


# Routed to the mail queue (CELERY_TASK_ROUTES), so a slow mail server never holds up the overdue job.
# The soft limit ends the run cleanly (outbox.send_pending_notifications stops at it); the hard one
# kills a run stuck anyway, and its claim, if any, ends "unknown" after outbox.SEND_LEASE.
@shared_task(
    name="deadlines.tasks.send_notifications",
    soft_time_limit=outbox.SEND_SOFT_TIME_LIMIT,
    time_limit=outbox.SEND_TIME_LIMIT,
)
def send_notifications():
    return outbox.send_pending_notifications()


@shared_task(name="deadlines.tasks.reschedule_for_calendar")
def reschedule_for_calendar(calendar, day):
    """The second pass after a bank-holiday change (see deadlines.calendar): catches a deadline that
    another process opened on the calendar it had before it read the change."""
    with transaction.atomic():
        return deadlines_reschedule_for_calendar(
            calendar=Calendar(calendar), day=date.fromisoformat(day), second_pass=False
        )
