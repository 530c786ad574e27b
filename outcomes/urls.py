from django.urls import path

from outcomes import report_views, views

app_name = "outcomes"
family = "families/<int:pk>/check-ins/"
urlpatterns = [
    path(family, views.check_in_list, name="check_in_list"),
    path(family + "new/", views.check_in_new, name="check_in_new"),
    path(family + "<int:check_in_pk>/edit/", views.check_in_edit, name="check_in_edit"),
    path("report/", report_views.outcomes_report, name="report"),
    path("report/export.csv", report_views.outcomes_report_export, name="report_export"),
]
