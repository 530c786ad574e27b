"""Consent to share names the kind of agency as well as its name, and information shared after consent
was withdrawn is kept with its reason (SharingWithoutConsent). Existing consents to share get the kind
their name makes obvious, otherwise "other"; a worker can record the consent again with the right one."""

import re

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


# "police" and "CSC" as whole words (so that "Policy unit" is not the police); "school" anywhere in the
# name ("Preschool", "Schools liaison").
NAME_PATTERNS = [
    ("police", re.compile(r"\bpolice\b", re.IGNORECASE)),
    ("csc", re.compile(r"\bsocial care\b|\bCSC\b", re.IGNORECASE)),
    ("school", re.compile(r"school|\bcollege\b", re.IGNORECASE)),
]


def agency_kind_from_name(name: str) -> str:
    """The kind of agency a consent's free-text name makes obvious, or "other"."""
    for kind, pattern in NAME_PATTERNS:
        if pattern.search(name):
            return kind
    return "other"


def fill_agency_kind(apps, schema_editor):
    Consent = apps.get_model("families", "Consent")
    names = Consent.objects.filter(kind="share").values_list("agency", flat=True).distinct()
    by_kind = {}
    for name in names:
        by_kind.setdefault(agency_kind_from_name(name), []).append(name)
    # One UPDATE per kind, whatever the number of consents.
    for kind, kind_names in by_kind.items():
        Consent.objects.filter(kind="share", agency__in=kind_names).update(agency_kind=kind)


class Migration(migrations.Migration):

    dependencies = [
        ('families', '0009_challenges'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='SharingWithoutConsent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('agency_kind', models.CharField(choices=[('police', 'The police'), ('csc', "Children's social care"), ('school', 'A school or college'), ('health', 'Health'), ('youth_justice', 'Youth justice'), ('other', 'Another agency')], max_length=20, verbose_name='kind of agency')),
                ('what', models.CharField(max_length=120, verbose_name='what was shared')),
                ('reason', models.TextField(max_length=2000, verbose_name='why it was right to share without consent')),
                ('shared_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                'verbose_name_plural': 'sharing without consent',
                'ordering': ['-shared_at', '-pk'],
            },
        ),
        migrations.AddField(
            model_name='consent',
            name='agency_kind',
            field=models.CharField(blank=True, choices=[('police', 'The police'), ('csc', "Children's social care"), ('school', 'A school or college'), ('health', 'Health'), ('youth_justice', 'Youth justice'), ('other', 'Another agency')], help_text='Required when sharing with an agency.', max_length=20, verbose_name='kind of agency'),
        ),
        migrations.RunPython(fill_agency_kind, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='consent',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('agency_kind', ''), ('kind', 'store')), models.Q(('kind', 'share'), models.Q(('agency_kind', ''), _negated=True)), _connector='OR'), name='sharing_consent_names_agency_kind'),
        ),
        migrations.AddField(
            model_name='sharingwithoutconsent',
            name='family',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='sharing_without_consent', to='families.family'),
        ),
        migrations.AddField(
            model_name='sharingwithoutconsent',
            name='shared_by',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddConstraint(
            model_name='sharingwithoutconsent',
            constraint=models.CheckConstraint(condition=models.Q(('reason', ''), _negated=True), name='sharing_without_consent_has_reason'),
        ),
    ]
