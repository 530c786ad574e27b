from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "staff"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from staff import sessions

        user_logged_in.connect(sessions.stamp_sign_in, dispatch_uid="staff.sessions.stamp_sign_in")
