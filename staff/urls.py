from django.urls import path

from staff import sessions, signins, two_factor_views

app_name = "staff"

urlpatterns = [
    path("status/", sessions.session_status, name="session_status"),
    path("keep-alive/", sessions.session_keep_alive, name="session_keep_alive"),
    path("sign-in-again/", sessions.session_sign_in, name="session_sign_in"),
    path("sign-ins/", signins.your_sign_ins, name="sign_ins"),
    path("sign-ins/<int:pk>/end/", signins.end_sign_in, name="end_sign_in"),
    path("sign-ins/end-others/", signins.end_other_sign_ins, name="end_other_sign_ins"),
]

# Under /accounts/two-factor/ (pace_cases/urls.py), in their own namespace.
two_factor_patterns = (
    [
        path("", two_factor_views.verify, name="verify"),
        path("set-up/", two_factor_views.set_up, name="set_up"),
        path("yours/", two_factor_views.manage, name="manage"),
        path("yours/new-recovery-codes/", two_factor_views.new_recovery_codes, name="new_recovery_codes"),
    ],
    "two_factor",
)
