from django.core.management.base import BaseCommand

from deadlines import services


class Command(BaseCommand):
    help = "Raise flags for deadlines that have passed, escalate very late ones, and queue notifications."

    def handle(self, *args, **options):
        run = services.raise_overdue_flags()
        sent = services.send_pending_notifications()
        self.stdout.write(
            f"Flagged {run.flagged}, escalated {run.escalated}, queued {run.notifications} notifications, "
            f"sent {sent} e-mails."
        )
