from django.apps import AppConfig


class DeadlinesConfig(AppConfig):
    name = "deadlines"

    def ready(self):
        from auditlog.registry import auditlog

        from deadlines import tasks  # noqa: F401 - registers the tasks the services start by name
        from deadlines.models import OverdueFlag

        auditlog.register(OverdueFlag)

        from deadlines import timeline

        timeline.register_sources()
