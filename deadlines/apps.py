from django.apps import AppConfig


class DeadlinesConfig(AppConfig):
    name = "deadlines"

    def ready(self):
        from auditlog.registry import auditlog

        from deadlines.models import OverdueFlag

        auditlog.register(OverdueFlag)
