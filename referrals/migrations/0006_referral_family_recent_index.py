"""Indexes for the family page and My work:

- referral_family_recent, the family page's newest referrals (referrals.selectors.family_referrals):
  SELECT … FROM referrals_referral WHERE family_id = %s ORDER BY created_at DESC, id DESC LIMIT 10
  read from the index in its order, rather than every referral of the family read and sorted;
- referral_family_waiting, My work's referrals waiting on children's social care (waiting_on_csc):
  for each family the person key-works, only its open referrals with a next due moment.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("referrals", "0005_socialworkerallocation_professional"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(fields=["family", "-created_at", "-id"], name="referral_family_recent"),
        ),
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(
                condition=models.Q(next_due_at__isnull=False, status="open"), fields=["family", "next_due_at", "id"],
                name="referral_family_waiting",
            ),
        ),
    ]
