from django.urls import path

from safety_plans import intelligence_views, missing_views, views

app_name = "safety_plans"
child = "families/<int:pk>/children/<int:child_pk>/"
urlpatterns = [
    path(child + "plan/", views.plan, name="plan"),
    path(child + "plan/versions/", views.plan_versions, name="plan_versions"),
    path(child + "plan/versions/<int:number>/restore/", views.plan_restore, name="plan_restore"),
    path(child + "plan/compare/", views.plan_compare, name="plan_compare"),
    path(child + "plan/family-copy/", views.plan_family_copy, name="plan_family_copy"),
    path(child + "plan/family-copy.pdf", views.plan_family_copy_pdf, name="plan_family_copy_pdf"),
    path(child + "plan/ratings/", views.plan_rating_add, name="plan_rating_add"),
    path(child + "plan/commitments/<int:row_pk>/done/", views.plan_commitment_done, name="plan_commitment_done"),
    path(child + "plan/<slug:kind>/", views.plan_list, name="plan_list"),
    path(child + "plan/<slug:kind>/add/", views.plan_row_add, name="plan_row_add"),
    path(child + "plan/<slug:kind>/<int:row_pk>/", views.plan_row_edit, name="plan_row_edit"),
    path(child + "plan/<slug:kind>/<int:row_pk>/remove/", views.plan_row_remove, name="plan_row_remove"),
    path(child + "missing/", missing_views.missing, name="missing"),
    path(child + "missing/record/", missing_views.missing_record, name="missing_record"),
    path(child + "missing/<int:episode_pk>/edit/", missing_views.missing_edit, name="missing_edit"),
    path(child + "missing/<int:episode_pk>/return/", missing_views.missing_return, name="missing_return"),
    path(child + "missing/<int:episode_pk>/interview/", missing_views.missing_interview, name="missing_interview"),
    path("families/<int:pk>/intelligence/", intelligence_views.intelligence_list, name="intelligence"),
    path("families/<int:pk>/intelligence/<int:entry_pk>/edit/", intelligence_views.intelligence_edit,
         name="intelligence_edit"),
    path("families/<int:pk>/intelligence/<int:entry_pk>/police/", intelligence_views.intelligence_police,
         name="intelligence_police"),
    path("families/<int:pk>/intelligence/print/", intelligence_views.intelligence_print, name="intelligence_print"),
    path("intelligence/links/", intelligence_views.intelligence_links, name="intelligence_links"),
]
