from django.apps import AppConfig


class FamiliesConfig(AppConfig):
    name = "families"

    def ready(self):
        from auditlog.registry import auditlog

        from families.models import (
            Challenge,
            Consent,
            Contact,
            ContactRevision,
            Family,
            FamilyTransfer,
            FollowUp,
            Handover,
            Membership,
            Person,
            Relationship,
            RiskLevelChange,
            SharingWithoutConsent,
            Team,
        )
        from staff.models import User

        auditlog.register(Family, exclude_fields=["updated_at", "version", "postcode_key"])
        auditlog.register(
            Person,
            exclude_fields=["version", "phone_digits", "first_name_key", "last_name_key", "full_name_key"],
            m2m_fields={"exploitation_types"},
        )
        auditlog.register(Contact, exclude_fields=["version"], m2m_fields={"support_given"})
        # A challenge's words are in free-text fields, which the trail never keeps (core.audit).
        auditlog.register(Challenge, exclude_fields=["version"])
        # Its reason is free text, which the trail never keeps: who shared what, with which kind of agency, when.
        auditlog.register(SharingWithoutConsent)
        for model in (Consent, ContactRevision, FamilyTransfer, FollowUp, Handover, Relationship, RiskLevelChange):
            auditlog.register(model)
        # Who is in which team, in what role, decides who sees which families: every change is kept.
        auditlog.register(Team, exclude_fields=["version"])
        auditlog.register(Membership)
        # Accounts are made on the teams pages; only who the person is and whether they may sign in.
        auditlog.register(User, include_fields=["email", "full_name", "is_active"])

        from families import timeline_sources

        timeline_sources.register_sources()
