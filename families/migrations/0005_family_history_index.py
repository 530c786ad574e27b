"""An index for a family's history page (core.audit.history_for_family):

    SELECT … FROM auditlog_logentry WHERE (additional_data -> 'family_id') = %s ORDER BY timestamp DESC LIMIT …

Without it that query reads the whole audit log, which grows with every page view. The
expression must be exactly the one Django writes for ``additional_data__family_id``
(``->``, which keeps the JSON value, not ``->>``), or PostgreSQL will not use it. Rows
without a family (other models' entries) are left out, which keeps the index small.

PostgreSQL only: SQLite has no index on a JSON expression that this query would use, and is
for trying the app, not for an audit log of real size.
"""

from django.db import migrations

INDEX_NAME = "auditlog_logentry_family_history"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX_NAME} ON auditlog_logentry "
        "((additional_data -> 'family_id'), timestamp DESC) "
        "WHERE (additional_data -> 'family_id') IS NOT NULL"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX_NAME}")


class Migration(migrations.Migration):
    dependencies = [
        ("auditlog", "0017_add_actor_email"),
        ("families", "0004_team_version"),
    ]

    operations = [migrations.RunPython(create_index, drop_index)]
