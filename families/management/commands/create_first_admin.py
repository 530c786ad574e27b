"""Create the first administrator of a new installation, and their team.

A fresh production database has no one who can sign in and see anything: a
superuser made with createsuperuser belongs to no team, and every page is scoped
to teams. This command makes a user who can sign in, use the admin site to add
colleagues, and work in the application as the administrator of a national team.

The password never comes from the command line, where it would stay in the shell
history and be visible to every process: it is read from --password-file, from the
environment variable PACE_ADMIN_PASSWORD, or asked for twice at a prompt.
"""

import getpass
import os
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.errors import UserFixableError
from families import services

PASSWORD_VARIABLE = "PACE_ADMIN_PASSWORD"  # noqa: S105 - a variable's name, not a password


class Command(BaseCommand):
    help = (
        "Create an administrator (who can sign in, use the admin site and work in the application) and "
        f"their team. The password comes from --password-file, from {PASSWORD_VARIABLE}, or a prompt."
    )

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True, help="The address the administrator signs in with.")
        parser.add_argument("--name", required=True, help="The administrator's full name.")
        parser.add_argument(
            "--team", required=True,
            help="The team they administer: a national team of that name, made if it does not exist.",
        )
        parser.add_argument(
            "--password-file", type=Path,
            help=f"A file holding the password (its trailing newline is ignored). Else {PASSWORD_VARIABLE}.",
        )
        parser.add_argument(
            "--add", action="store_true", help="Create this administrator even though there is one already.",
        )

    def handle(self, *args, email, name, team, password_file=None, add=False, **options):
        password = self._password(password_file)
        try:
            user, admin_team, team_created = services.administrator_create(
                email=email, full_name=name, team_name=team, password=password, another=add
            )
        except UserFixableError as refusal:
            raise CommandError(refusal.message) from None
        which = "the new" if team_created else "the existing"
        self.stdout.write(self.style.SUCCESS(
            f"Created administrator {user.email}, a member of {which} team {admin_team.name!r}. "
            "They can now sign in, and add teams and colleagues on the Teams page (/teams/)."
        ))

    def _password(self, password_file):
        if password_file is not None:
            try:
                return password_file.read_text().rstrip("\r\n")
            except OSError as error:
                raise CommandError(f"Cannot read the password file: {error.strerror}.") from None
        from_environment = os.environ.get(PASSWORD_VARIABLE)
        if from_environment:
            return from_environment
        if not sys.stdin.isatty():
            raise CommandError(
                f"No password: give --password-file or set {PASSWORD_VARIABLE} (there is no terminal to ask at)."
            )
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords differ.")
        return password
