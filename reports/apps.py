from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """The figures the charity takes to funders and researchers, drawn from every app below."""

    name = "reports"
