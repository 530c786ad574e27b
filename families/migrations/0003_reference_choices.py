from django.db import migrations

EXPLOITATION_TYPES = [
    ("cse", "Child sexual exploitation"),
    ("cce", "Child criminal exploitation"),
    ("county_lines", "County lines"),
    ("online", "Online abuse"),
    ("trafficking", "Trafficking or modern slavery"),
    ("radicalisation", "Radicalisation"),
    ("other", "Other"),
]

SUPPORT_CATEGORIES = [
    ("listening", "Listening and emotional support"),
    ("information", "Information about exploitation"),
    ("advocacy", "Advocacy with agencies"),
    ("csc", "Help dealing with children's social care"),
    ("police", "Help dealing with the police"),
    ("school", "Help dealing with school"),
    ("safety_planning", "Safety planning"),
    ("court", "Support through court"),
    ("befriending", "Befriending"),
    ("peer_support", "Connection with other parents"),
    ("signposting", "Signposting to other services"),
]


def load(apps, schema_editor):
    for model_name, rows in (("ExploitationType", EXPLOITATION_TYPES), ("SupportCategory", SUPPORT_CATEGORIES)):
        model = apps.get_model("families", model_name)
        model.objects.bulk_create(
            [model(code=code, name=name, position=position) for position, (code, name) in enumerate(rows)]
        )


def unload(apps, schema_editor):
    for model_name, rows in (("ExploitationType", EXPLOITATION_TYPES), ("SupportCategory", SUPPORT_CATEGORIES)):
        apps.get_model("families", model_name).objects.filter(code__in=[code for code, _ in rows]).delete()


class Migration(migrations.Migration):
    dependencies = [("families", "0002_local_authorities")]

    operations = [migrations.RunPython(load, unload)]
