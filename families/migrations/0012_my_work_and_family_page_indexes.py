"""Indexes in the order of the lists My work and the family page read a page at a time
(families.selectors.my_work and family_page, with core.keyset):

- key_work_families: a key worker's open families in order of id, and so of reference. It starts
  with the columns of the index it replaces (key_worker, status), so every query that used that one
  can use it.
- open_follow_ups_by_family, done_follow_ups_by_family: the family page's follow-ups still to do,
  soonest due first, and done, most recently done first.
- open_follow_ups_by_due: a manager's My work, the team's overdue follow-ups, most overdue first.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("families", "0011_family_anonymised_at"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="family",
            name="families_fa_key_wor_2b7d79_idx",
        ),
        migrations.AddIndex(
            model_name="family",
            index=models.Index(fields=["key_worker", "status", "id"], name="key_work_families"),
        ),
        migrations.AddIndex(
            model_name="followup",
            index=models.Index(
                condition=models.Q(done_at__isnull=True), fields=["family", "due_on", "id"],
                name="open_follow_ups_by_family",
            ),
        ),
        migrations.AddIndex(
            model_name="followup",
            index=models.Index(
                condition=models.Q(done_at__isnull=False), fields=["family", "-done_at", "-id"],
                name="done_follow_ups_by_family",
            ),
        ),
        migrations.AddIndex(
            model_name="followup",
            index=models.Index(
                condition=models.Q(done_at__isnull=True), fields=["due_on", "id"], name="open_follow_ups_by_due"
            ),
        ),
    ]
