"""Switch off the accounts unused for DORMANT_ACCOUNT_DAYS, as the nightly job does."""

from django.conf import settings
from django.core.management.base import BaseCommand

from families.dormant import dormant_accounts_disable


class Command(BaseCommand):
    help = (
        "Switch off every account unused for DORMANT_ACCOUNT_DAYS (never the last administrator) and tell "
        "each person by e-mail how to get back in."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List the accounts, change nothing.")

    def handle(self, *args, dry_run=False, **options):
        run = dormant_accounts_disable(dry_run=dry_run)
        days = settings.DORMANT_ACCOUNT_DAYS
        verb = "Would switch off" if dry_run else "Switched off"
        self.stdout.write(f"{verb} {len(run.disabled)} account(s) unused for {days} days.")
        for email in run.disabled:
            self.stdout.write(f"  {email}")
        if run.spared_administrator:
            self.stdout.write(f"Kept on, as the last administrator: {run.spared_administrator}")
