from celery import shared_task

from deadlines import services


@shared_task(name="deadlines.tasks.raise_overdue_flags")
def raise_overdue_flags(full=False):
    run = services.raise_overdue_flags(full=full)
    return {"flagged": run.flagged, "escalated": run.escalated, "notifications": run.notifications}


@shared_task(name="deadlines.tasks.send_notifications")
def send_notifications():
    return services.send_pending_notifications()
