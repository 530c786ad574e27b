from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "meetings"

    def ready(self):
        from auditlog.registry import auditlog

        from meetings.models import ActionChase, Meeting, MeetingAction

        auditlog.register(Meeting, exclude_fields=["version"], m2m_fields={"children", "agencies", "professionals"})
        auditlog.register(MeetingAction, exclude_fields=["version"])
        auditlog.register(ActionChase)
