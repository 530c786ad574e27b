from django.apps import AppConfig


class DataProtectionConfig(AppConfig):
    name = "data_protection"
    verbose_name = "Data protection"

    def ready(self):
        from auditlog.registry import auditlog

        from data_protection import tasks  # noqa: F401 - registers the tasks the services start by name
        from data_protection.models import (
            Breach,
            BreachAction,
            LegalHold,
            RetentionRule,
            RetentionRun,
            SubjectAccessRequest,
            SubjectAccessWithholding,
        )

        auditlog.register(RetentionRule, exclude_fields=["version"])
        auditlog.register(LegalHold)
        auditlog.register(RetentionRun, exclude_fields=["figures", "family_ids"])
        auditlog.register(SubjectAccessRequest, exclude_fields=["version"])
        auditlog.register(SubjectAccessWithholding)
        # Their free text (what happened, what data) is kept out of the trail by core.audit.
        auditlog.register(Breach, exclude_fields=["version"])
        auditlog.register(BreachAction)

        from data_protection import deadline_kinds

        deadline_kinds.register()

        from data_protection import breach_clock

        breach_clock.register()
