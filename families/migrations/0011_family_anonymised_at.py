from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('families', '0010_consent_agency_kind'),
    ]

    operations = [
        migrations.AddField(
            model_name='family',
            name='anonymised_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
    ]
