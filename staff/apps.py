from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "staff"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        from staff import sessions, signins, tasks  # noqa: F401 - tasks: registers those started by name

        user_logged_in.connect(sessions.stamp_sign_in, dispatch_uid="staff.sessions.stamp_sign_in")
        user_logged_in.connect(signins.record_sign_in, dispatch_uid="staff.signins.record_sign_in")
        user_logged_out.connect(signins.forget_sign_in, dispatch_uid="staff.signins.forget_sign_in")
