from django.urls import path

from data_protection import views

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
]
