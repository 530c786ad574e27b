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
