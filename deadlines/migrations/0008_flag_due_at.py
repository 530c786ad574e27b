from django.db import migrations, models
from django.db.models import OuterRef, Q, Subquery


def copy_due_at(apps, schema_editor):
    """Each flag takes its deadline's due moment, in one UPDATE."""
    Deadline = apps.get_model("deadlines", "Deadline")
    OverdueFlag = apps.get_model("deadlines", "OverdueFlag")
    OverdueFlag.objects.update(
        due_at=Subquery(Deadline.objects.filter(pk=OuterRef("deadline_id")).values("due_at")[:1])
    )


class Migration(migrations.Migration):

    dependencies = [
        ("deadlines", "0007_flag_audience"),
    ]

    operations = [
        migrations.AddField(
            model_name="overdueflag",
            name="due_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.RunPython(copy_due_at, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="overdueflag",
            name="due_at",
            field=models.DateTimeField(),
        ),
        migrations.AddIndex(
            model_name="overdueflag",
            index=models.Index(
                condition=Q(resolved_at__isnull=True), fields=["due_at", "id"], name="flag_queue_order"
            ),
        ),
    ]
