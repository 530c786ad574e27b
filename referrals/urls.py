from django.urls import path

from referrals import views

app_name = "referrals"
base = "families/<int:pk>/referrals/<int:referral_pk>/"
urlpatterns = [
    path("families/<int:pk>/referrals/new/", views.referral_create, name="create"),
    path(base, views.referral_detail, name="detail"),
    path(base + "chronology/", views.referral_chronology, name="chronology"),
    path("families/<int:pk>/chronology-pack/", views.chronology_pack, name="pack"),
    path("families/<int:pk>/chronology-pack.pdf", views.chronology_pack_pdf, name="pack_pdf"),
    path(base + "edit/", views.referral_edit, name="edit"),
    path(base + "milestones/new/", views.milestone_record, name="milestone"),
    path(base + "social-workers/new/", views.social_worker_add, name="social_worker"),
    path(base + "updates/new/", views.parent_update_add, name="parent_update"),
    path(base + "escalations/new/", views.escalation_add, name="escalation"),
    path(base + "escalations/<int:escalation_pk>/response/", views.escalation_response, name="escalation_response"),
    path("overdue/<int:flag_id>/escalate/", views.flag_escalate, name="flag_escalate"),
    path("figures/", views.delay_figures, name="figures"),
    path("figures/export.csv", views.delay_figures_export, name="figures_export"),
    path("thresholds/", views.threshold_list, name="thresholds"),
    path("thresholds/new/", views.threshold_edit, name="threshold_new"),
    path("thresholds/<int:rule_pk>/edit/", views.threshold_edit, name="threshold_edit"),
    path("thresholds/<int:rule_pk>/remove/", views.threshold_remove, name="threshold_remove"),
]
