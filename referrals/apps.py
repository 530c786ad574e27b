from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"

    def ready(self):
        from auditlog.registry import auditlog

        from referrals.models import Escalation, MilestoneRecord, ParentUpdate, Referral, SocialWorkerAllocation

        auditlog.register(
            Referral, exclude_fields=["version", "next_milestone", "next_due_at"], m2m_fields={"children"}
        )
        for model in (MilestoneRecord, SocialWorkerAllocation, ParentUpdate, Escalation):
            auditlog.register(model)
