"""The ground floor's tables: the changes made here to the bank-holiday calendar, and the audit
trail's guard."""

import pgtrigger
from auditlog.models import LogEntry
from django.conf import settings
from django.db import models
from django.db.models import Q

from core.working_days import Calendar


class BankHolidayChange(models.Model):
    """A day added to, or withdrawn from, one nation's bank holidays, on top of the ``holidays``
    package's (core.working_days applies it). Undoing it keeps the row, with who undid it and when:
    the calendar that deadlines were counted on stays explainable."""

    class Change(models.TextChoices):
        ADDED = "added", "Added as a bank holiday"
        WITHDRAWN = "withdrawn", "Withdrawn: not a bank holiday"

    calendar = models.CharField(max_length=3, choices=[(calendar.value, calendar.label) for calendar in Calendar])
    day = models.DateField()
    change = models.CharField(max_length=10, choices=Change.choices)
    name = models.CharField(max_length=100, help_text="For example “State funeral of Queen Elizabeth II”.")
    source = models.CharField(
        max_length=300, help_text="Where it was announced: a proclamation and its date, or a web address."
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["day", "created_at"]
        constraints = [
            # Two changes in force for one day could contradict each other.
            models.UniqueConstraint(
                fields=["calendar", "day"], condition=Q(undone_at__isnull=True), name="one_calendar_change_per_day"
            ),
            models.CheckConstraint(
                condition=Q(undone_at__isnull=True, undone_by__isnull=True)
                | Q(undone_at__isnull=False, undone_by__isnull=False),
                name="calendar_change_undone_by_someone",
            ),
        ]

    def __str__(self):
        verb = "added to" if self.change == self.Change.ADDED else "withdrawn from"
        return f"{self.day:%d/%m/%Y} {verb} {self.get_calendar_display()}: {self.name}"

    @property
    def is_in_force(self):
        return self.undone_at is None


class AuditEntry(LogEntry):
    """django-auditlog's table (core.audit writes it), declared again only to carry a PostgreSQL
    trigger: the application can add rows but never change or remove one. Removing a staff account
    that appears in the trail is refused for the same reason (the actor column would change):
    accounts are switched off instead. core.audit.remove_old_entries, under the retention rule, is
    the one way out."""

    APPEND_ONLY = "audit_rows_are_kept"

    class Meta:
        proxy = True
        triggers = [pgtrigger.Protect(name="audit_rows_are_kept", operation=pgtrigger.Update | pgtrigger.Delete)]
