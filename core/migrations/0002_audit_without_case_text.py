"""Entries written before the trail stopped keeping case text lose it now: the names in their
object_repr, the values of free-text fields and the names of linked records (core.audit's rule,
applied with the models as they were when each entry was written)."""

from django.db import migrations

BATCH = 2000


def _withhold(apps, schema_editor):
    from core.audit import record_name, without_case_text

    LogEntry = apps.get_model("auditlog", "LogEntry")
    ContentType = apps.get_model("contenttypes", "ContentType")
    models = {}
    for content_type in ContentType.objects.all():
        try:
            models[content_type.pk] = apps.get_model(content_type.app_label, content_type.model)
        except LookupError:
            models[content_type.pk] = None
    batch = []
    for entry in LogEntry.objects.order_by("pk").iterator(chunk_size=BATCH):
        model = models.get(entry.content_type_id)
        entry.object_repr = record_name(model, entry.object_pk)
        entry.changes = without_case_text(entry.changes, model)
        entry.changes_text = ""
        entry.serialized_data = None
        batch.append(entry)
        if len(batch) == BATCH:
            LogEntry.objects.bulk_update(batch, ["object_repr", "changes", "changes_text", "serialized_data"])
            batch = []
    if batch:
        LogEntry.objects.bulk_update(batch, ["object_repr", "changes", "changes_text", "serialized_data"])


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("auditlog", "0017_add_actor_email"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(_withhold, migrations.RunPython.noop)]
