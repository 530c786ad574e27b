from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from pace_cases.health import health
from pace_cases.views import handover_history, handover_read, home
from staff.password_reset import PasswordResetConfirm, PasswordResetDone, PasswordResetRequestView
from staff.urls import two_factor_patterns

admin.site.site_header = "Pace Cases administration"

urlpatterns = [
    path("", home, name="home"),
    path("health/", health, name="health"),
    path("handovers/<int:pk>/history/", handover_history, name="handover_history"),
    path("handovers/<int:pk>/read/", handover_read, name="handover_read"),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("accounts/password/reset/", PasswordResetRequestView.as_view(), name="password_reset"),
    path("accounts/password/reset/sent/", PasswordResetDone.as_view(), name="password_reset_done"),
    path("accounts/password/reset/<uidb64>/<token>/", PasswordResetConfirm.as_view(), name="password_reset_confirm"),
    path(
        "accounts/password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("accounts/session/", include("staff.urls")),
    path("accounts/two-factor/", include(two_factor_patterns)),
    path("", include("families.urls")),
    path("", include("safety_plans.urls")),
    path("", include("meetings.urls")),
    path("", include("deadlines.urls")),
    path("", include("referrals.urls")),
    path("", include("agencies.urls")),
    path("data-protection/", include("data_protection.urls")),
    path("outcomes/", include("outcomes.urls")),
    path("reports/", include("reports.urls")),
]
