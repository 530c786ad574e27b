"""Default response-delay thresholds, from statutory guidance unless marked local.

Sources are named by the guidance's title, not a paragraph number: the figures were
compiled from secondary sources.
"""

from django.db import migrations

WORKING_TOGETHER = "Working Together to Safeguard Children (2023)"

DEFAULTS = [
    # from, to, amount, unit, applies when, basis, source
    ("referral_made", "decision", 1, "working_days", "always", "statutory", WORKING_TOGETHER),
    ("decision", "strategy_discussion", 1, "working_days", "child_protection", "local",
     "Common local practice: no national figure"),
    ("referral_made", "assessment_completed", 45, "working_days", "assessment", "statutory", WORKING_TOGETHER),
    ("strategy_discussion", "initial_conference", 15, "working_days", "child_protection", "statutory",
     WORKING_TOGETHER),
    ("initial_conference", "first_core_group", 10, "working_days", "child_protection", "statutory",
     WORKING_TOGETHER),
    ("initial_conference", "review_conference", 3, "calendar_months", "child_protection", "statutory",
     WORKING_TOGETHER),
    ("review_conference", "review_conference", 6, "calendar_months", "child_protection", "statutory",
     WORKING_TOGETHER),
]


def load(apps, schema_editor):
    rule = apps.get_model("referrals", "ThresholdRule")
    rule.objects.bulk_create(
        [
            rule(from_milestone=start, to_milestone=end, amount=amount, unit=unit, applies_when=applies,
                 basis=basis, source=source)
            for start, end, amount, unit, applies, basis, source in DEFAULTS
        ]
    )


def unload(apps, schema_editor):
    apps.get_model("referrals", "ThresholdRule").objects.filter(local_authority__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("referrals", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
