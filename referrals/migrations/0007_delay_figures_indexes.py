from django.db import migrations, models
from django.db.models import Q


class Migration(migrations.Migration):
    """The indexes the delay figures' queries read (referrals.figures.delay_figures)."""

    dependencies = [
        ("referrals", "0006_referral_family_recent_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="milestonerecord",
            index=models.Index(
                condition=Q(milestone="referral_made"), fields=["occurred_at"], include=["referral"],
                name="referral_made_at",
            ),
        ),
        migrations.AddIndex(
            model_name="milestonerecord",
            index=models.Index(
                condition=Q(milestone__in=["decision", "assessment_completed", "closed"]),
                fields=["milestone", "referral"], include=["occurred_at"], name="milestone_step_at",
            ),
        ),
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(
                condition=Q(status="open"), fields=["local_authority"], include=["family", "next_due_at"],
                name="open_referral_authority",
            ),
        ),
    ]
