"""What the reports app keeps: a record of each anonymised research export (reports.research).

The export itself is never stored: its identifiers are new each time, and a copy kept here would be
one more copy of the figures to protect. What is kept says who made one, when, from what and how
much of it left the building.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class ResearchExport(models.Model):
    """One anonymised research export: who made it, when, the fields and the k it was made with, the
    families chosen, and how many rows were exported, left out, and made coarser (reports.research)."""

    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    made_at = models.DateTimeField(default=timezone.now)
    # The field catalogue's keys (reports.research.FIELDS), in catalogue order.
    fields = models.JSONField(default=list)
    # Which families, in words ("Teams: all; Status: open or closed; First supported from ...").
    chosen_by = models.CharField(max_length=2000)
    k = models.PositiveSmallIntegerField("k (smallest group)")
    families_chosen = models.PositiveIntegerField()
    rows_exported = models.PositiveIntegerField()
    rows_left_out = models.PositiveIntegerField()
    rows_generalised = models.PositiveIntegerField()
    groups_generalised = models.PositiveIntegerField()

    class Meta:
        ordering = ["-made_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(families_chosen=F("rows_exported") + F("rows_left_out")),
                name="research_export_rows_add_up",
            ),
            models.CheckConstraint(
                condition=Q(rows_generalised__lte=F("rows_exported")), name="research_export_generalised_exported",
            ),
            models.CheckConstraint(condition=Q(k__gte=2), name="research_export_k_at_least_two"),
        ]

    def __str__(self):
        return f"Research export {self.pk}"
