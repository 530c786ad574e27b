from django.urls import path

from staff import sessions

app_name = "staff"

urlpatterns = [
    path("status/", sessions.session_status, name="session_status"),
    path("keep-alive/", sessions.session_keep_alive, name="session_keep_alive"),
    path("sign-in-again/", sessions.session_sign_in, name="session_sign_in"),
]
