from django.apps import AppConfig


class FamiliesConfig(AppConfig):
    name = "families"

    def ready(self):
        from auditlog.registry import auditlog

        from families.models import (
            Consent,
            Contact,
            Family,
            FamilyTransfer,
            FollowUp,
            Person,
            Relationship,
            RiskLevelChange,
        )

        auditlog.register(Family, exclude_fields=["updated_at", "version"])
        auditlog.register(Person, exclude_fields=["version", "phone_digits"], m2m_fields={"exploitation_types"})
        auditlog.register(Contact, m2m_fields={"support_given"})
        for model in (Consent, FamilyTransfer, FollowUp, Relationship, RiskLevelChange):
            auditlog.register(model)
