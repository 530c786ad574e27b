from django.urls import path

from meetings import figures_views, views

app_name = "meetings"
family = "families/<int:pk>/meetings/"
urlpatterns = [
    path(family, views.meeting_list, name="list"),
    path(family + "new/", views.meeting_create, name="create"),
    path(family + "<int:meeting_pk>/", views.detail, name="detail"),
    path(family + "<int:meeting_pk>/edit/", views.meeting_edit, name="edit"),
    path(family + "<int:meeting_pk>/actions/", views.action_add, name="action_add"),
    path(family + "<int:meeting_pk>/actions/<int:action_pk>/done/", views.action_done, name="action_done"),
    path(family + "<int:meeting_pk>/actions/<int:action_pk>/drop/", views.action_drop, name="action_drop"),
    path(family + "<int:meeting_pk>/actions/<int:action_pk>/chase/", views.action_chase, name="action_chase"),
    path(family + "<int:meeting_pk>/actions/<int:action_pk>/reopen/", views.action_reopen, name="action_reopen"),
    path("figures/accountability/", figures_views.accountability_figures, name="figures"),
    path("figures/accountability/export/", figures_views.accountability_figures_export, name="figures_export"),
]
