from django.db import migrations
from django.db.models import OuterRef, Subquery


def authority_of_each_referral_deadline(apps, schema_editor):
    """Deadlines about a referral, or about an escalation of one, are counted against the
    authority the referral was made to."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Deadline = apps.get_model("deadlines", "Deadline")
    Referral = apps.get_model("referrals", "Referral")
    Escalation = apps.get_model("referrals", "Escalation")
    for model, authority in ((Referral, "local_authority_id"), (Escalation, "referral__local_authority_id")):
        subject_type = ContentType.objects.filter(app_label="referrals", model=model._meta.model_name).first()
        if subject_type is not None:
            Deadline.objects.filter(subject_type=subject_type).update(
                local_authority_id=Subquery(model.objects.filter(pk=OuterRef("subject_id")).values(authority)[:1])
            )

class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("deadlines", "0004_deadline_authority_and_closed_at"),
        ("referrals", "0002_default_thresholds"),
    ]

    operations = [migrations.RunPython(authority_of_each_referral_deadline, migrations.RunPython.noop)]
