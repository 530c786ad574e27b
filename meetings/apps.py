from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "meetings"

    def ready(self):
        from auditlog.registry import auditlog

        from meetings.models import ActionChase, Meeting, MeetingAction

        auditlog.register(Meeting, exclude_fields=["version"], m2m_fields={"children", "agencies", "professionals"})
        auditlog.register(MeetingAction, exclude_fields=["version"])
        auditlog.register(ActionChase)

        from families import sections
        from meetings import deadline_kinds, selectors

        deadline_kinds.register()
        sections.register(sections.FamilySection(
            key="meetings", template="meetings/_family_section.html", order=25,
            read=lambda family, user: selectors.family_section(family),
        ))

        from meetings import timeline

        timeline.register_sources()
