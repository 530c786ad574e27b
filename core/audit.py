"""Who saw and who changed a family's record.

Changes to every family-bearing model are logged by django-auditlog (with the
acting user from AuditlogMiddleware); each log entry carries the family's id in
``additional_data`` so a family's whole history is one query. Reads are logged
here, explicitly, by the views that show a family's record.
"""

from auditlog.cid import get_cid
from auditlog.context import auditlog_value
from auditlog.models import LogEntry
from auditlog.signals import accessed
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone


def record_view(instance):
    """Log that the signed-in user (from AuditlogMiddleware) looked at ``instance``."""
    accessed.send(sender=instance.__class__, instance=instance)


def history_for_family(family_id):
    return (
        LogEntry.objects.filter(additional_data__family_id=family_id)
        .select_related("actor", "content_type")
        .order_by("-timestamp")
    )


def record_export(*, user, families, export: str) -> int:
    """Log that ``user`` exported data about these families: one ACCESS entry per family, written in
    one INSERT. bulk_create skips auditlog's signals, so the actor, address and correlation id that
    its middleware would add are set here."""
    context = auditlog_value.get({})
    content_type = ContentType.objects.get_for_model(families[0]) if families else None
    now = timezone.now()
    entries = [
        LogEntry(
            content_type=content_type,
            object_pk=str(family.pk),
            object_id=family.pk,
            object_repr=str(family),
            action=LogEntry.Action.ACCESS,
            actor=user,
            actor_email=user.email,
            remote_addr=context.get("remote_addr"),
            remote_port=context.get("remote_port"),
            cid=get_cid(),
            timestamp=now,
            additional_data={"family_id": family.pk, "export": export},
        )
        for family in families
    ]
    return len(LogEntry.objects.bulk_create(entries))
