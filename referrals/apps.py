from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"

    def ready(self):
        from auditlog.registry import auditlog

        from families import sections
        from referrals import (
            deadline_kinds,
            selectors,
            tasks,  # noqa: F401 - registers the tasks the services start by name
        )
        from referrals.models import Escalation, MilestoneRecord, ParentUpdate, Referral, SocialWorkerAllocation

        auditlog.register(
            Referral, exclude_fields=["version", "next_milestone", "next_due_at"], m2m_fields={"children"}
        )
        for model in (MilestoneRecord, SocialWorkerAllocation, ParentUpdate, Escalation):
            auditlog.register(model)

        sections.register(sections.FamilySection(
            key="referrals", template="referrals/_family_section.html", order=10,
            read=lambda family, user: selectors.family_referrals(family),
        ))
        deadline_kinds.register()

        from referrals import timeline

        timeline.register_sources()

        from deadlines.signals import deadlines_rescheduled

        deadlines_rescheduled.connect(_refresh_next_due, dispatch_uid="referrals.refresh_next_due")


def _refresh_next_due(sender, *, subject_type, subject_ids, **kwargs):
    from referrals.models import Referral
    from referrals.services import referrals_refresh_next_due

    if subject_type.model_class() is Referral:
        referrals_refresh_next_due(subject_ids)
