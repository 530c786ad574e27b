"""Remove the audit entries older than AUDIT_RETENTION_DAYS: the one way rows leave the trail."""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.formats import date_format

from core import audit


class Command(BaseCommand):
    help = (
        "Count, and with --apply remove, the audit entries written more than AUDIT_RETENTION_DAYS ago. "
        "The removal is itself recorded in the trail, and is never removed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--apply", action="store_true", help="Remove them (without it, only count).")

    def handle(self, *args, apply=False, **options):
        days = settings.AUDIT_RETENTION_DAYS
        before = timezone.now() - timedelta(days=days)
        removal = audit.remove_old_entries(before=before, dry_run=not apply)
        when = date_format(timezone.localtime(before), "j F Y, H:i")
        verb = "Removed" if apply else "Would remove"
        self.stdout.write(f"{verb} {removal.count} audit entr{'y' if removal.count == 1 else 'ies'} "
                          f"written before {when} (kept for {days} days).")
        if not apply:
            self.stdout.write("Nothing was removed: run again with --apply to remove them.")
