from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The ground floor: the working-day calendar, audit helpers, form helpers and errors the
    apps above share. It imports no app of the project."""

    name = "core"

    def ready(self):
        from auditlog.registry import auditlog

        # core.audit keeps case text out of every audit entry, from a pre_save receiver.
        from core import audit, selectors, working_days  # noqa: F401
        from core.models import BankHolidayChange

        auditlog.register(BankHolidayChange)
        working_days.set_changes_loader(selectors.calendar_changes_in_force)
