"""manage.py create_first_admin: a fresh installation gets someone who can sign in and work."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from families.management.commands.create_first_admin import PASSWORD_VARIABLE
from families.models import Membership, Role, Team
from staff.models import User
from tests.factories import MembershipFactory, TeamFactory
from tests.two_factor import enrol

GOOD_PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def password_file(tmp_path):
    path = tmp_path / "admin-password"
    path.write_text(GOOD_PASSWORD + "\n")
    return path


def create(*, email="alex.morgan@pace.example.org", name="Alex Morgan", team="National support line", **options):
    out = io.StringIO()
    call_command("create_first_admin", email=email, name=name, team=team, stdout=out, **options)
    return out.getvalue()


@pytest.mark.django_db
def test_makes_an_administrator_of_a_new_national_team_who_can_sign_in_and_add_a_family(client, password_file):
    out = create(email="Alex.Morgan@PACE.example.org", password_file=password_file)

    user = User.objects.get()
    assert user.email == "alex.morgan@pace.example.org"
    assert user.full_name == "Alex Morgan"
    assert user.is_active and user.is_staff and user.is_superuser
    membership = Membership.objects.get()
    assert (membership.user, membership.role) == (user, Role.ADMINISTRATOR)
    assert (membership.team.name, membership.team.kind) == ("National support line", Team.Kind.NATIONAL)
    assert "alex.morgan@pace.example.org" in out and "new team" in out

    response = client.post(reverse("login"), {"username": user.email, "password": GOOD_PASSWORD})
    assert response.status_code == 302
    enrol(client)  # the second factor, set up at first sign-in
    # The page that told a team-less superuser "You are not in a team yet".
    assert client.get(reverse("families:create")).status_code == 200


@pytest.mark.django_db
def test_password_from_the_environment(monkeypatch):
    monkeypatch.setenv(PASSWORD_VARIABLE, GOOD_PASSWORD)
    create()
    assert User.objects.get().check_password(GOOD_PASSWORD)


@pytest.mark.django_db
def test_password_file_wins_over_the_environment(monkeypatch, password_file):
    monkeypatch.setenv(PASSWORD_VARIABLE, "something else entirely 99")
    create(password_file=password_file)
    assert User.objects.get().check_password(GOOD_PASSWORD)


@pytest.mark.django_db
def test_without_a_password_or_a_terminal_nothing_is_made(monkeypatch):
    monkeypatch.delenv(PASSWORD_VARIABLE, raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(CommandError, match="No password"):
        create()
    assert not User.objects.exists()


@pytest.mark.django_db
def test_unreadable_password_file_is_reported(tmp_path):
    with pytest.raises(CommandError, match="Cannot read the password file"):
        create(password_file=tmp_path / "missing")


def test_the_password_cannot_be_given_on_the_command_line():
    with pytest.raises(TypeError, match="password"):
        call_command("create_first_admin", email="a@pace.example.org", name="A", team="T", password=GOOD_PASSWORD)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short 1", "too short"),
        ("password12345", "too common"),
        ("483920175364", "entirely numeric"),
        ("alex.morgan.pace", "too similar"),
    ],
)
def test_weak_passwords_are_refused_by_django_s_validators(monkeypatch, password, reason):
    monkeypatch.setenv(PASSWORD_VARIABLE, password)
    with pytest.raises(CommandError, match=reason):
        create()
    assert not User.objects.exists()
    assert not Team.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"email": "not an address"}, "is not an e-mail address"),
        ({"name": "  "}, "administrator's name"),
        ({"team": ""}, "team's name"),
    ],
)
def test_incomplete_details_are_refused(monkeypatch, options, message):
    monkeypatch.setenv(PASSWORD_VARIABLE, GOOD_PASSWORD)
    with pytest.raises(CommandError, match=message):
        create(**options)
    assert not User.objects.exists()


@pytest.mark.django_db
def test_a_second_administrator_is_refused_unless_asked_for(monkeypatch):
    monkeypatch.setenv(PASSWORD_VARIABLE, GOOD_PASSWORD)
    create()
    with pytest.raises(CommandError, match=r"already exists \(alex.morgan@pace.example.org\).*--add"):
        create(email="sam.patel@pace.example.org", name="Sam Patel")
    assert User.objects.count() == 1

    out = create(email="sam.patel@pace.example.org", name="Sam Patel", add=True)
    assert "existing team" in out
    team = Team.objects.get()
    assert set(team.memberships.values_list("user__email", "role")) == {
        ("alex.morgan@pace.example.org", Role.ADMINISTRATOR),
        ("sam.patel@pace.example.org", Role.ADMINISTRATOR),
    }


@pytest.mark.django_db
def test_managers_elsewhere_do_not_count_as_administrators(monkeypatch):
    MembershipFactory(role=Role.MANAGER)
    monkeypatch.setenv(PASSWORD_VARIABLE, GOOD_PASSWORD)
    create()
    assert Membership.objects.filter(role=Role.ADMINISTRATOR).count() == 1


@pytest.mark.django_db
def test_an_address_already_in_use_is_refused_whatever_its_case(monkeypatch):
    MembershipFactory(user__email="alex.morgan@pace.example.org", role=Role.CASEWORKER)
    monkeypatch.setenv(PASSWORD_VARIABLE, GOOD_PASSWORD)
    with pytest.raises(CommandError, match="already signs in as alex.morgan@pace.example.org"):
        create(email="ALEX.MORGAN@pace.example.org", add=True)
    assert not Membership.objects.filter(role=Role.ADMINISTRATOR).exists()


@pytest.mark.django_db
def test_an_existing_team_is_joined_not_duplicated(monkeypatch):
    team = TeamFactory(name="National support line", kind=Team.Kind.NATIONAL)
    monkeypatch.setenv(PASSWORD_VARIABLE, GOOD_PASSWORD)
    create()
    assert Membership.objects.get(role=Role.ADMINISTRATOR).team == team
    assert Team.objects.count() == 1
