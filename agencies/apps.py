from django.apps import AppConfig


class AgenciesConfig(AppConfig):
    """The agencies and professionals a family deals with, per local authority: used by meetings,
    by a referral's history of social workers and by safety-network commitments. It stands just
    above families, so every app that names an agency can use it."""

    name = "agencies"

    def ready(self):
        from auditlog.registry import auditlog

        from agencies.models import Agency, Professional

        auditlog.register(Agency)
        auditlog.register(Professional, exclude_fields=["name_key"])
