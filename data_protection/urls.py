from django.urls import path

from data_protection import breach_views, views

app_name = "data_protection"
urlpatterns = [
    path("", views.rule_list, name="rules"),
    path("rules/<int:pk>/", views.rule_edit, name="rule_edit"),
    path("holds/", views.hold_list, name="holds"),
    path("holds/new/", views.hold_place, name="hold_place"),
    path("holds/<int:pk>/lift/", views.hold_lift, name="hold_lift"),
    path("retention/", views.retention_dry_run, name="retention_dry_run"),
    path("retention/approve/", views.retention_approve, name="retention_approve"),
    path("retention/runs/<int:pk>/", views.retention_run, name="retention_run"),
    path("subject-access/", views.subject_access_list, name="subject_access_list"),
    path("subject-access/new/", views.subject_access_find_family, name="subject_access_find_family"),
    path("subject-access/new/<int:family_id>/", views.subject_access_record, name="subject_access_record"),
    path("subject-access/<int:pk>/", views.subject_access, name="subject_access"),
    path("subject-access/<int:pk>/extend/", views.subject_access_extend, name="subject_access_extend"),
    path("subject-access/<int:pk>/complete/", views.subject_access_complete, name="subject_access_complete"),
    path("breaches/", breach_views.breach_list, name="breaches"),
    path("breaches/new/", breach_views.breach_record, name="breach_record"),
    path("breaches/<int:pk>/", breach_views.breach_detail, name="breach"),
    path("breaches/<int:pk>/edit/", breach_views.breach_edit, name="breach_edit"),
    path("breaches/<int:pk>/decision/", breach_views.breach_decide, name="breach_decide"),
    path("breaches/<int:pk>/report/", breach_views.breach_report, name="breach_report"),
    path("breaches/<int:pk>/actions/new/", breach_views.breach_action_add, name="breach_action_add"),
    path("breaches/<int:pk>/close/", breach_views.breach_close, name="breach_close"),
    path("subject-access/<int:pk>/response.pdf", views.subject_access_response_pdf, name="subject_access_response_pdf"),
    path("subject-access/<int:pk>/response.zip", views.subject_access_response_archive,
         name="subject_access_response_archive"),
]
