"""The trail's rule grew (core.audit.free_text_fields): JSON fields, such as a safety plan version's
copy of the plan, and the fields a model names in ``audit_withheld_fields`` (a child's date of birth)
are not kept either. Entries written before are cleared again under the rule as it is now, with the
project's current models (historical models do not carry ``audit_withheld_fields``); on PostgreSQL
the append-only trigger is set aside for this one change, inside the migration's transaction."""

from contextlib import nullcontext

from django.apps import apps as current_apps
from django.db import migrations

BATCH = 2000


def _withhold_again(apps, schema_editor):
    import pgtrigger

    from core.audit import APPEND_ONLY_TRIGGER, record_name, without_case_text

    LogEntry = apps.get_model("auditlog", "LogEntry")
    ContentType = apps.get_model("contenttypes", "ContentType")
    models = {}
    for content_type in ContentType.objects.all():
        try:
            models[content_type.pk] = current_apps.get_model(content_type.app_label, content_type.model)
        except LookupError:
            models[content_type.pk] = None
    postgresql = schema_editor.connection.vendor == "postgresql"
    with pgtrigger.ignore(APPEND_ONLY_TRIGGER) if postgresql else nullcontext():
        batch = []
        for entry in LogEntry.objects.exclude(changes=None).order_by("pk").iterator(chunk_size=BATCH):
            model = models.get(entry.content_type_id)
            changes = without_case_text(entry.changes, model)
            if changes != entry.changes:
                entry.changes = changes
                entry.object_repr = record_name(model, entry.object_pk)
                batch.append(entry)
            if len(batch) == BATCH:
                LogEntry.objects.bulk_update(batch, ["changes", "object_repr"])
                batch = []
        if batch:
            LogEntry.objects.bulk_update(batch, ["changes", "object_repr"])


class Migration(migrations.Migration):
    dependencies = [("core", "0003_audit_rows_are_kept")]

    operations = [migrations.RunPython(_withhold_again, migrations.RunPython.noop)]
