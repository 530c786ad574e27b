from django.core.management.base import BaseCommand

from deadlines import outbox, services


class Command(BaseCommand):
    help = (
        "Raise flags for deadlines that have passed, escalate very late ones, queue notifications, and send "
        "the e-mails that are due from this process."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--full", action="store_true", help="Check every open deadline, not only those due since the last run."
        )

    def handle(self, *args, full=False, **options):
        # The flags are committed whether or not the task queue can be reached; the e-mails are then
        # sent here rather than left to a worker that may not be told.
        with outbox.hand_off_failures() as failures:
            run = services.raise_overdue_flags(full=full)
        sent = outbox.send_pending_notifications()
        self.stdout.write(
            f"Flagged {run.flagged}, escalated {run.escalated}, queued {run.notifications} notifications, "
            f"sent {sent} e-mails."
        )
        if failures:
            self.stderr.write(
                f"The task queue could not be reached ({outbox.describe(failures[0])}): the e-mails were sent "
                "from this command, and any still waiting are sent by the next send run once it is back."
            )
