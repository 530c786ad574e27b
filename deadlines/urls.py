from django.urls import path

from deadlines import views

app_name = "deadlines"
urlpatterns = [
    path("overdue/", views.queue, name="queue"),
    path("overdue/export.csv", views.queue_export, name="queue_export"),
    path("overdue/<int:flag_id>/escalate/", views.escalate, name="escalate"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_mark_read, name="notifications_mark_read"),
]
