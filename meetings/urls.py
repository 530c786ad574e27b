from django.urls import path

from meetings import views

app_name = "meetings"
family = "families/<int:pk>/meetings/"
urlpatterns = [
    path(family + "<int:meeting_pk>/", views.detail, name="detail"),
]
