"""Who saw and who changed a family's record.

Changes to every family-bearing model are logged by django-auditlog (with the
acting user from AuditlogMiddleware); each log entry carries the family's id in
``additional_data`` so a family's whole history is one query. Reads are logged
here, explicitly, by the views that show a family's record.
"""

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from auditlog.signals import accessed


def register_models():
    from families.models import (
        Consent,
        Contact,
        Family,
        FamilyTransfer,
        FollowUp,
        Person,
        Relationship,
        RiskLevelChange,
    )

    auditlog.register(Family, exclude_fields=["updated_at", "version"])
    auditlog.register(Person, exclude_fields=["version", "phone_digits"], m2m_fields={"exploitation_types"})
    auditlog.register(Contact, m2m_fields={"support_given"})
    for model in (Consent, FamilyTransfer, FollowUp, Relationship, RiskLevelChange):
        auditlog.register(model)


def record_view(instance):
    """Log that the signed-in user (from AuditlogMiddleware) looked at ``instance``."""
    accessed.send(sender=instance.__class__, instance=instance)


def history_for_family(family_id):
    return (
        LogEntry.objects.filter(additional_data__family_id=family_id)
        .select_related("actor", "content_type")
        .order_by("-timestamp")
    )
