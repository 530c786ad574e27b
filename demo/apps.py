from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for trying the application (``manage.py seed_demo``). It stands above every
    app it seeds, so none of them imports it."""

    name = "demo"
