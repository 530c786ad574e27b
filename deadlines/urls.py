from django.urls import path

from deadlines import views

app_name = "deadlines"
urlpatterns = [
    path("overdue/", views.queue, name="queue"),
    path("overdue/export.csv", views.queue_export, name="queue_export"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_mark_read, name="notifications_mark_read"),
    path("notifications/outbox/", views.outbox, name="outbox"),
    path("calendar/", views.calendar, name="calendar"),
    path("calendar/<int:change_id>/undo/", views.calendar_change_undo, name="calendar_change_undo"),
    path("notifications/outbox/<int:notification_id>/retry/", views.outbox_retry, name="outbox_retry"),
]
