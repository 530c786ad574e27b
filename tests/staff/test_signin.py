"""Sign-in hardening: lockout after repeated failures, idle expiry, strong passwords."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory
from tests.two_factor import verified_login

# Signing in is tested with the hashers production uses, not the suite's fast one.
pytestmark = pytest.mark.real_password_hashing


@pytest.mark.django_db
def test_sign_in_tests_hash_passwords_as_production_does():
    assert UserFactory().password.startswith("pbkdf2_sha256$")


@pytest.mark.django_db
def test_sign_in_with_email_in_any_case(client):
    user = UserFactory(email="sam.jones@pace.example.org")
    response = client.post(reverse("login"), {"username": "Sam.Jones@PACE.example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.django_db
def test_wrong_password_is_refused_with_a_message(client):
    UserFactory(email="sam@pace.example.org")
    response = client.post(reverse("login"), {"username": "sam@pace.example.org", "password": "wrong"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert response.context["form"].non_field_errors()


@pytest.mark.django_db
def test_account_is_locked_after_repeated_failures(client):
    UserFactory(email="sam@pace.example.org")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "sam@pace.example.org", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "sam@pace.example.org", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_other_accounts_are_not_locked_by_someone_elses_failures(client):
    UserFactory(email="sam@pace.example.org")
    UserFactory(email="alex@pace.example.org")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "sam@pace.example.org", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "alex@pace.example.org", "password": PASSWORD})
    assert response.status_code == 302


def test_sessions_expire_after_idle_time():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


@pytest.mark.django_db
def test_idle_session_expires_but_activity_keeps_it_alive(client):
    user = UserFactory()
    with time_machine.travel("2026-11-30 09:00 +0000", tick=False) as traveller:
        verified_login(client, user)
        traveller.shift(datetime.timedelta(minutes=25))
        assert client.get(reverse("home")).status_code == 200
        traveller.shift(datetime.timedelta(minutes=25))  # 50 minutes signed in, 25 idle
        assert client.get(reverse("home")).status_code == 200
        traveller.shift(datetime.timedelta(minutes=31))
        response = client.get(reverse("home"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("password", ["short-pass1", "password1234", "123456789012"])
def test_weak_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_long_unusual_password_is_accepted():
    validate_password("violet kettle harbour 1987")
