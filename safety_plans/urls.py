from django.urls import path

from safety_plans import intelligence_views, missing_views, views

app_name = "safety_plans"
child = "families/<int:pk>/children/<int:child_pk>/"
urlpatterns = [
    path(child + "plan/", views.plan, name="plan"),
    path(child + "missing/", missing_views.missing, name="missing"),
    path("families/<int:pk>/intelligence/", intelligence_views.intelligence, name="intelligence"),
]
