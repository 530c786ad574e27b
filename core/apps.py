from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The ground floor: the working-day calendar, audit helpers, form helpers and errors the
    apps above share. It imports no app of the project."""

    name = "core"

    def ready(self):
        from auditlog.registry import auditlog

        from core import selectors, working_days
        from core.models import BankHolidayChange

        auditlog.register(BankHolidayChange)
        working_days.set_changes_loader(selectors.calendar_changes_in_force)
