from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils.formats import date_format

from data_protection import retention


def _day(value):
    return date_format(value, "j F Y") if value else "none"


class Command(BaseCommand):
    help = "Print what a retention run would anonymise under the closed family rule. Nothing is changed."

    def add_arguments(self, parser):
        parser.add_argument("--on", metavar="YYYY-MM-DD", help="Work it out for this day instead of today.")

    def handle(self, *args, on=None, **options):
        try:
            today = date.fromisoformat(on) if on else None
        except ValueError:
            raise CommandError(f"--on must be a date written YYYY-MM-DD, not {on!r}.") from None
        result = retention.dry_run(today)
        lines = [
            f"Worked out for {_day(result.today)}.",
            f"Rule: {result.rule_in_words}.",
            f"Families that would be anonymised: {result.families}",
            f"Kept only because of a legal hold or an open subject access request: {result.held}",
            f"Retention dates of those due: from {_day(result.oldest_retention_on)} "
            f"to {_day(result.newest_retention_on)}",
            "Records that would go with them:",
        ]
        for kind in result.record_kinds:
            count = kind.records if kind.follows_family else "not counted (its rule differs from its family's)"
            lines.append(f"  {kind.label}: {count}")
        lines.append("Nothing has been removed: this is a dry run.")
        self.stdout.write("\n".join(lines))
