from django.urls import path

from agencies import views

app_name = "agencies"
urlpatterns = [
    path("directory/", views.agency_list, name="list"),
    path("directory/new/", views.agency_create, name="create"),
    path("directory/<int:pk>/", views.agency_detail, name="detail"),
    path("directory/<int:pk>/edit/", views.agency_edit, name="edit"),
    path("directory/<int:pk>/people/new/", views.professional_add, name="professional_add"),
    path("directory/<int:pk>/people/<int:professional_pk>/edit/", views.professional_edit, name="professional_edit"),
]
