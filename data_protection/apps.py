from django.apps import AppConfig


class DataProtectionConfig(AppConfig):
    name = "data_protection"
    verbose_name = "Data protection"

    def ready(self):
        from auditlog.registry import auditlog

        from data_protection import tasks  # noqa: F401 - registers the tasks the services start by name
        from data_protection.models import (
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

        from data_protection import deadline_kinds

        deadline_kinds.register()
