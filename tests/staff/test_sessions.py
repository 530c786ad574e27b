"""Staying signed in through a long call: keep-alive, the absolute lifetime, and signing in again over a form."""

import datetime

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from staff import sessions
from staff.models import User
from tests.factories import PASSWORD, UserFactory
from tests.two_factor import app_device, current_code, verified_login

STATUS = reverse("staff:session_status")
KEEP_ALIVE = reverse("staff:session_keep_alive")
SIGN_IN_AGAIN = reverse("staff:session_sign_in")
UTC = datetime.UTC


def at(text):
    return time_machine.travel(datetime.datetime.fromisoformat(text), tick=False)


def keep_typing(client, traveller, duration):
    """Shift the clock by ``duration``, with a keep-alive every 20 minutes, as typing would send."""
    step = datetime.timedelta(minutes=20)
    while duration > step:
        traveller.shift(step)
        duration -= step
        assert client.post(KEEP_ALIVE).status_code == 200
    traveller.shift(duration)


def session_row(client):
    return Session.objects.get(session_key=client.session.session_key)


def signed_in_user_id(client):
    return client.session.get(SESSION_KEY)


@pytest.fixture
def user(db):
    return UserFactory(email="sam.jones@pace.example.org")


@pytest.fixture
def signed_in(user):
    client = Client()
    verified_login(client, user)
    return client


# Keep-alive


def test_keep_alive_moves_the_sessions_expiry(user):
    client = Client()
    with at("2026-11-30 09:00:00+00:00") as traveller:
        verified_login(client, user)
        assert session_row(client).expire_date == datetime.datetime(2026, 11, 30, 9, 30, tzinfo=UTC)
        traveller.shift(datetime.timedelta(minutes=20))
        response = client.post(KEEP_ALIVE)
        assert response.status_code == 200
        assert response.json()["signed_in"] is True
        assert session_row(client).expire_date == datetime.datetime(2026, 11, 30, 9, 50, tzinfo=UTC)


def test_typing_through_a_call_longer_than_the_idle_limit_keeps_the_sign_in(user):
    client = Client()
    with at("2026-11-30 09:00:00+00:00") as traveller:
        verified_login(client, user)
        for _ in range(14):  # 70 minutes of typing, a keep-alive every 5 minutes
            traveller.shift(datetime.timedelta(minutes=5))
            assert client.post(KEEP_ALIVE).status_code == 200
        traveller.shift(datetime.timedelta(minutes=29))
        assert client.get(reverse("home")).status_code == 200


def test_keep_alive_and_status_never_extend_past_the_absolute_lifetime(user):
    client = Client()
    with at("2026-11-30 08:00:00+00:00") as traveller:
        verified_login(client, user)
        for _ in range(10 * 60 // 20 - 1):  # every 20 minutes until 17:40
            traveller.shift(datetime.timedelta(minutes=20))
            assert client.post(KEEP_ALIVE).status_code == 200
            assert client.get(STATUS).status_code == 200
        traveller.shift(datetime.timedelta(minutes=19, seconds=59))  # 17:59:59
        assert client.get(STATUS).json()["seconds_left"] == 1
        traveller.shift(datetime.timedelta(seconds=1))  # 18:00, ten hours after signing in

        response = client.post(KEEP_ALIVE)
        assert response.status_code == 401
        assert (response.json()["signed_in"], response.json()["reason"]) == (False, "lifetime_ended")
        assert signed_in_user_id(client) is None
        assert client.get(STATUS).status_code == 401
        assert client.get(reverse("home")).status_code == 302


def test_a_page_after_the_absolute_lifetime_signs_out_with_a_message_on_the_sign_in_page(user):
    client = Client()
    with at("2026-11-30 08:00:00+00:00") as traveller:
        verified_login(client, user)
        keep_typing(client, traveller, datetime.timedelta(hours=9, minutes=59))
        assert client.get(reverse("home")).status_code == 200
        traveller.shift(datetime.timedelta(minutes=1))
        response = client.get(reverse("home"), follow=True)
        assert response.redirect_chain[-1][0].startswith(reverse("login"))
        page = response.content.decode()
        assert "You were signed out because you had been signed in for 10 hours" in page
        assert signed_in_user_id(client) is None


def test_the_absolute_lifetime_follows_the_setting(user, settings):
    settings.SESSION_ABSOLUTE_HOURS = 2
    client = Client()
    with at("2026-11-30 08:00:00+00:00") as traveller:
        verified_login(client, user)
        keep_typing(client, traveller, datetime.timedelta(hours=1, minutes=50))
        assert client.post(KEEP_ALIVE).status_code == 200
        traveller.shift(datetime.timedelta(minutes=10))
        assert client.post(KEEP_ALIVE).status_code == 401


def test_a_session_from_before_the_limit_gets_its_clock_started_when_first_seen(user):
    client = Client()
    with at("2026-11-30 08:00:00+00:00") as traveller:
        verified_login(client, user)
        session = client.session
        del session[sessions.SIGNED_IN_AT]
        session.save()
        traveller.shift(datetime.timedelta(minutes=20))  # 08:20: first seen
        assert client.get(reverse("home")).status_code == 200
        assert client.session[sessions.SIGNED_IN_AT] == datetime.datetime(2026, 11, 30, 8, 20, tzinfo=UTC).timestamp()
        keep_typing(client, traveller, datetime.timedelta(hours=9, minutes=59))
        assert client.post(KEEP_ALIVE).status_code == 200
        traveller.shift(datetime.timedelta(minutes=1))
        assert client.post(KEEP_ALIVE).status_code == 401


def test_signing_in_on_the_sign_in_page_starts_the_clock(user):
    client = Client()
    with at("2026-11-30 08:00:00+00:00"):
        response = client.post(reverse("login"), {"username": user.email, "password": PASSWORD})
        assert response.status_code == 302
        assert client.session[sessions.SIGNED_IN_AT] == datetime.datetime(2026, 11, 30, 8, tzinfo=UTC).timestamp()


# Status


def test_status_answers_signed_out_in_json_without_redirecting_to_the_sign_in_page(db):
    response = Client().get(STATUS)
    assert response.status_code == 401
    assert "Location" not in response
    assert response["Content-Type"] == "application/json"
    assert response.json()["signed_in"] is False
    assert response.json()["reason"] == "signed_out"
    assert response.json()["csrf_token"]


def test_status_tells_the_page_who_is_signed_in_and_how_long_is_left(user):
    client = Client()
    with at("2026-11-30 08:00:00+00:00") as traveller:
        verified_login(client, user)
        keep_typing(client, traveller, datetime.timedelta(hours=4))
        response = client.get(STATUS)
    assert response.status_code == 200
    answer = response.json()
    assert (answer["signed_in"], answer["email"]) == (True, "sam.jones@pace.example.org")
    assert answer["seconds_left"] == 6 * 60 * 60
    assert answer["idle_seconds"] == settings.SESSION_COOKIE_AGE
    assert "no-store" in response["Cache-Control"]


def test_keep_alive_when_signed_out_answers_401_in_json(db):
    response = Client().post(KEEP_ALIVE)
    assert response.status_code == 401
    assert "Location" not in response
    assert response.json()["signed_in"] is False


@pytest.mark.parametrize(
    ("method", "url"),
    [("get", KEEP_ALIVE), ("get", SIGN_IN_AGAIN), ("post", STATUS)],
)
def test_each_endpoint_refuses_the_other_method(signed_in, method, url):
    assert getattr(signed_in, method)(url).status_code == 405


# Signing in again over a form


def sign_in_again(client, *, expected, username, password, token=None, code=None):
    """Post the dialog's form; ``code`` defaults to the one the person's app shows now."""
    if code is None:
        person = User.objects.filter(email=username).first()
        code = current_code(app_device(person)) if person else ""
    headers = {"X-CSRFToken": token} if token else {}
    return client.post(
        SIGN_IN_AGAIN,
        {"expected": expected, "username": username, "password": password, "code": code},
        headers=headers,
    )


def test_signing_in_again_with_the_right_password_signs_in_and_gives_a_new_csrf_token(user):
    client = Client(enforce_csrf_checks=True)
    verified_login(client, user)
    old_token = client.get(STATUS).json()["csrf_token"]
    old_cookie = client.cookies[settings.CSRF_COOKIE_NAME].value
    Session.objects.all().delete()  # signed out while the call went on
    assert client.get(STATUS).status_code == 401

    response = sign_in_again(client, expected=user.email, username=user.email, password=PASSWORD, token=old_token)

    assert response.status_code == 200
    answer = response.json()
    assert (answer["signed_in"], answer["email"]) == (True, user.email)
    assert answer["csrf_token"] != old_token
    assert client.cookies[settings.CSRF_COOKIE_NAME].value != old_cookie
    assert signed_in_user_id(client) == str(user.pk)
    # The form is sent with the new token; the old one no longer passes.
    assert client.post(KEEP_ALIVE, headers={"X-CSRFToken": answer["csrf_token"]}).status_code == 200
    assert client.post(KEEP_ALIVE, headers={"X-CSRFToken": old_token}).status_code == 403


def test_signing_in_again_after_the_absolute_end_starts_a_new_lifetime_without_a_stale_message(user):
    client = Client()
    with at("2026-11-30 08:00:00+00:00") as traveller:
        verified_login(client, user)
        keep_typing(client, traveller, datetime.timedelta(hours=9, minutes=50))
        traveller.shift(datetime.timedelta(minutes=15))
        assert client.get(STATUS).json()["reason"] == "lifetime_ended"
        response = sign_in_again(client, expected=user.email, username=user.email, password=PASSWORD)
        assert response.status_code == 200
        assert response.json()["seconds_left"] == 10 * 60 * 60
        page = client.get(reverse("home"))
    assert page.status_code == 200
    # The sign-out was told in the dialog: the page saved next does not repeat it.
    assert not [str(message) for message in page.context["messages"]]
    assert sessions.lifetime_ended_message() not in page.content.decode()


def test_wrong_password_is_refused_with_a_message_and_counted(user):
    client = Client()
    response = sign_in_again(client, expected=user.email, username=user.email, password="not the password")
    assert response.status_code == 400
    assert response.json()["error"] == "That password is not right. Check it and try again."
    assert signed_in_user_id(client) is None
    assert AccessAttempt.objects.get(username="sam.jones@pace.example.org").failures_since_start == 1


def test_a_locked_out_account_is_refused_with_a_clear_message(user):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in_again(client, expected=user.email, username=user.email, password="not the password")

    response = sign_in_again(client, expected=user.email, username=user.email, password=PASSWORD)

    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"].startswith("Too many attempts to sign in.")
    assert signed_in_user_id(client) is None


def test_signing_in_as_someone_else_than_the_pages_person_is_refused(user):
    colleague = UserFactory(email="alex.kerr@pace.example.org")
    client = Client()
    response = sign_in_again(client, expected=user.email, username=colleague.email, password=PASSWORD)
    assert response.status_code == 403
    assert "sam.jones@pace.example.org" in response.json()["error"]
    assert signed_in_user_id(client) is None


def test_signing_in_again_without_the_pages_person_is_refused(user):
    response = sign_in_again(Client(), expected="", username=user.email, password=PASSWORD)
    assert response.status_code == 403


# What the pages show


def test_the_sign_in_page_states_the_configured_limits(db, settings):
    settings.SESSION_COOKIE_AGE = 45 * 60
    page = Client().get(reverse("login")).content.decode()
    assert "signed out after 45 minutes without activity, and after 10 hours in all." in page


def test_the_sign_in_page_states_the_default_limits(db):
    page = Client().get(reverse("login")).content.decode()
    assert "signed out after 30 minutes without activity, and after 10 hours in all." in page


def test_a_signed_in_page_tells_the_script_the_limits_and_whose_page_it_is(user, settings):
    settings.SESSION_COOKIE_AGE = 45 * 60
    client = Client()
    with at("2026-11-30 08:00:00+00:00") as traveller:
        verified_login(client, user)
        keep_typing(client, traveller, datetime.timedelta(hours=3))
        page = client.get(reverse("home")).content.decode()
    assert 'data-idle-seconds="2700"' in page
    assert f'data-seconds-left="{7 * 60 * 60}"' in page
    assert 'data-keep-alive-seconds="300"' in page
    assert 'data-session-email="sam.jones@pace.example.org"' in page
    assert f'data-keep-alive-url="{KEEP_ALIVE}"' in page
    assert 'id="session-sign-in"' in page


def test_keep_alive_interval_is_a_third_of_a_short_idle_limit(settings):
    settings.SESSION_COOKIE_AGE = 6 * 60
    assert sessions.keep_alive_seconds() == 2 * 60


def test_the_sign_in_page_has_no_session_script_or_dialogs(db):
    page = Client().get(reverse("login")).content.decode()
    assert "session.js" not in page
    assert "session-sign-in" not in page
