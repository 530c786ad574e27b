from django.apps import AppConfig


class DataProtectionConfig(AppConfig):
    name = "data_protection"
    verbose_name = "Data protection"

    def ready(self):
        from auditlog.registry import auditlog

        from data_protection.models import LegalHold, RetentionRule

        auditlog.register(RetentionRule, exclude_fields=["version"])
        auditlog.register(LegalHold)
