"""Print the code a demo sign-in's authenticator app shows now (development only).

    DEBUG=1 .venv/bin/python manage.py demo_code caseworker@pace.example
"""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from demo.second_factor import current_code
from staff.models import User


class Command(BaseCommand):
    help = "Print the current second-factor code of a demo sign-in (only with DEBUG on)."

    def add_arguments(self, parser):
        parser.add_argument("email", help="The demo sign-in's e-mail address.")

    def handle(self, *args, email, **options):
        if not settings.DEBUG:
            raise CommandError("demo_code prints second-factor codes, so it only runs with DEBUG on.")
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No sign-in has the e-mail address {email}.")
        device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
        if device is None:
            raise CommandError(
                f"{user.email} has no authenticator app yet: sign in with the password and set one up."
            )
        seconds = device.step - int(time.time() - device.t0) % device.step
        self.stdout.write(current_code(device))
        self.stderr.write(f"(for {user.email}; a new code in {seconds} second{'s' if seconds != 1 else ''})")
