from django.core.management.base import BaseCommand

from deadlines import services


class Command(BaseCommand):
    help = "Raise flags for deadlines that have passed, escalate very late ones, and queue notifications."

    def add_arguments(self, parser):
        parser.add_argument(
            "--full", action="store_true", help="Check every open deadline, not only those due since the last run."
        )

    def handle(self, *args, full=False, **options):
        run = services.raise_overdue_flags(full=full)
        sent = services.send_pending_notifications()
        self.stdout.write(
            f"Flagged {run.flagged}, escalated {run.escalated}, queued {run.notifications} notifications, "
            f"sent {sent} e-mails."
        )
