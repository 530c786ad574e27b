from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "outcomes"

    def ready(self):
        from auditlog.registry import auditlog

        from outcomes.models import CheckIn

        auditlog.register(CheckIn, exclude_fields=["version"])

        from families import sections
        from outcomes import call_part, deadline_kinds, selectors, signals, timeline

        deadline_kinds.register()
        signals.connect()
        timeline.register_sources()
        call_part.register()
        sections.register(sections.FamilySection(
            key="ratings", template="outcomes/_family_section.html", order=50,
            read=lambda family, user: selectors.family_section(family),
        ))
