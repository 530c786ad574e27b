from django.urls import path  # noqa: F401 - the app's pages are added below

from reports import research_views, service_views

app_name = "reports"
urlpatterns = [
    path("research-export/", research_views.research_export, name="research_export"),
    path("service/", service_views.service_report, name="service"),
    path("service/export.csv", service_views.service_report_export, name="service_export"),
]
