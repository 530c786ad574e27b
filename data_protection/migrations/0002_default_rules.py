"""The retention rules the system starts with, each with its reason: defaults an administrator
changes on the "How long records are kept" page, after checking them with the charity's insurer and
legal advice."""

from django.db import migrations

FOLLOWS_THE_FAMILY = (
    "Part of the family's record, and kept as long as it is: the story of the support given only "
    "makes sense whole."
)

# kind, years, months, from, or years, or months, or from, reason
DEFAULTS = [
    ("closed_family", 6, 0, "last_contact", 0, 0, "birthday_25",
     "The Limitation Act 1980 gives most claims six years, and lets a child bring a claim until three years "
     "after their 18th birthday (their 21st). Insurers of charities working with children often ask for "
     "records to be kept until the youngest child is 25."),
    ("person", 6, 0, "last_contact", 0, 0, "birthday_25", FOLLOWS_THE_FAMILY),
    ("calls", 6, 0, "last_contact", 0, 0, "birthday_25", FOLLOWS_THE_FAMILY),
    ("referrals", 6, 0, "last_contact", 0, 0, "birthday_25", FOLLOWS_THE_FAMILY),
    ("safety_plans", 6, 0, "last_contact", 0, 0, "birthday_25", FOLLOWS_THE_FAMILY),
    ("intelligence", 6, 0, "last_contact", 0, 0, "birthday_25", FOLLOWS_THE_FAMILY),
    ("audit_entries", 7, 0, "own_date", 0, 0, "",
     "Who saw and changed a family's record must be known for as long as a claim or a complaint about it "
     "can be brought: six years for most claims, and a year more for one brought on the last day."),
]


def load(apps, schema_editor):
    rule = apps.get_model("data_protection", "RetentionRule")
    rule.objects.bulk_create([
        rule(kind=kind, years=years, months=months, starts_from=starts_from, or_years=or_years,
             or_months=or_months, or_starts_from=or_starts_from, reason=reason)
        for kind, years, months, starts_from, or_years, or_months, or_starts_from, reason in DEFAULTS
    ])


def unload(apps, schema_editor):
    apps.get_model("data_protection", "RetentionRule").objects.filter(changed_by__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("data_protection", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
