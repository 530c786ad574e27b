from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"

    def ready(self):
        from auditlog.registry import auditlog

        from families import sections
        from referrals import selectors
        from referrals.models import Escalation, MilestoneRecord, ParentUpdate, Referral, SocialWorkerAllocation

        auditlog.register(
            Referral, exclude_fields=["version", "next_milestone", "next_due_at"], m2m_fields={"children"}
        )
        for model in (MilestoneRecord, SocialWorkerAllocation, ParentUpdate, Escalation):
            auditlog.register(model)

        sections.register(sections.FamilySection(
            key="referrals", template="referrals/_family_section.html", read=selectors.family_referrals, order=10,
        ))
