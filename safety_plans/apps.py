from django.apps import AppConfig


class SafetyPlansConfig(AppConfig):
    name = "safety_plans"

    def ready(self):
        from auditlog.registry import auditlog

        from safety_plans import deadline_kinds
        from safety_plans.models import (
            Commitment,
            IntelligenceEntry,
            MissingEpisode,
            PersonOfConcern,
            PlanStep,
            PlanVersion,
            SafetyPlan,
            SafetyRating,
            Worry,
        )

        auditlog.register(SafetyPlan, exclude_fields=["version", "updated_at"])
        for model in (Worry, PersonOfConcern, PlanStep, Commitment, SafetyRating, PlanVersion):
            auditlog.register(model)
        auditlog.register(IntelligenceEntry, exclude_fields=["version", "registration_key", "phone_key", "handle_key"])
        auditlog.register(MissingEpisode, exclude_fields=["version"])
        deadline_kinds.register()

        from safety_plans import timeline

        timeline.register_sources()

        from families import sections
        from safety_plans import intelligence, missing, selectors

        # A child missing now is the first thing anyone opening the family sees.
        sections.register(sections.FamilySection(
            key="missing_now", template="safety_plans/_missing_now.html", order=0,
            read=lambda family, user: missing.missing_now(family),
            placement="top",
        ))
        sections.register(sections.FamilySection(
            key="missing_episodes", template="safety_plans/_missing_episodes.html", order=40,
            read=lambda family, user: missing.missing_by_child(family),
        ))
        sections.register(sections.FamilySection(
            key="safety_plans", template="safety_plans/_family_section.html", order=20,
            read=lambda family, user: selectors.plans_for_family(family),
        ))
        sections.register(sections.FamilySection(
            key="intelligence", template="safety_plans/_intelligence_family_section.html", order=30,
            read=intelligence.intelligence_section,
        ))
