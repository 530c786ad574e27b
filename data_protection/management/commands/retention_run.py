from django.core.management.base import BaseCommand, CommandError

from data_protection import anonymise
from data_protection.models import RetentionRun


class Command(BaseCommand):
    help = ("Run an approved retention run: anonymise the families it listed that are still due and not held. "
            "Harmless to repeat; a run that stopped midway goes on from where it stopped.")

    def add_arguments(self, parser):
        parser.add_argument("--run", type=int, required=True, metavar="N", help="The number of the run.")

    def handle(self, *args, run, **options):
        if not RetentionRun.objects.filter(pk=run).exists():
            raise CommandError(f"There is no retention run {run}.")
        try:
            result = anonymise.run_retention(run)
        except anonymise.RunNotApproved as error:
            raise CommandError(f"{error} An administrator approves it on the “Retention: what would go” "
                               "page.") from None
        self.stdout.write(f"{result}: {result.get_state_display()}. Families anonymised: "
                          f"{result.families_anonymised} of {result.families_listed} listed.")
