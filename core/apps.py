from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The ground floor: the working-day calendar, audit helpers, form helpers and errors the
    apps above share. It imports no app of the project."""

    name = "core"
