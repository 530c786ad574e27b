import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('data_protection', '0002_default_rules'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='RetentionRun',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('worked_out_for', models.DateField(verbose_name='worked out for')),
                ('figures', models.JSONField()),
                ('family_ids', models.JSONField(default=list)),
                ('worked_out_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('approved_at', models.DateTimeField(blank=True, null=True)),
                ('started_at', models.DateTimeField(blank=True, null=True)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('families_anonymised', models.PositiveIntegerField(default=0)),
                ('state', models.CharField(choices=[('worked_out', 'Worked out, waiting for approval'), ('approved', 'Approved, waiting to run'), ('running', 'Running'), ('done', 'Done')], default='worked_out', max_length=20)),
                ('approved_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('worked_out_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-worked_out_at', '-pk'],
                'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('approved_at__isnull', True), ('approved_by__isnull', True), ('state', 'worked_out')), models.Q(models.Q(('state', 'worked_out'), _negated=True), ('approved_at__isnull', False), ('approved_by__isnull', False)), _connector='OR'), name='retention_run_approved_by_someone'), models.CheckConstraint(condition=models.Q(models.Q(('state', 'done'), _negated=True), models.Q(('finished_at__isnull', False), ('started_at__isnull', False)), _connector='OR'), name='retention_run_done_has_start_and_finish')],
            },
        ),
    ]
