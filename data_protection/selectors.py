"""Reads for the retention rules, legal holds and retention runs."""

from django.db.models import BooleanField, Case, Value, When
from django.utils import timezone

from data_protection.models import LegalHold, RetentionRule, RetentionRun


def families_on_hold():
    """The ids of the families with a legal hold in force (a subquery): the retention run leaves
    them untouched."""
    return LegalHold.objects.in_force().values("family_id")


def hold_in_force(family) -> LegalHold | None:
    return LegalHold.objects.in_force().filter(family=family).select_related("placed_by").first()


def retention_rules():
    return RetentionRule.objects.select_related("changed_by").order_by("pk")


def holds_in_force(*, today=None):
    """Holds in force, those whose review date has come first (``review_due``), then by review date."""
    today = today or timezone.localdate()
    return (
        LegalHold.objects.in_force()
        .select_related("family", "placed_by")
        .annotate(review_due=Case(When(review_on__lte=today, then=Value(True)), default=Value(False),
                                  output_field=BooleanField()))
        .order_by("-review_due", "review_on", "pk")
    )


def holds_lifted():
    return LegalHold.objects.lifted().select_related("family", "placed_by", "lifted_by").order_by("-lifted_at", "-pk")


def retention_runs():
    """The runs, newest first, with who worked them out and approved them."""
    return RetentionRun.objects.select_related("worked_out_by", "approved_by").order_by("-worked_out_at", "-pk")
