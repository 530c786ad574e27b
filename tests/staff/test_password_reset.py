"""Resetting a forgotten password by e-mail: the answer tells nobody who has an account, asking is
rate limited, a link works once and for an hour, and choosing a new password does not sign in.
And the password rules every way of setting a password shares."""

import datetime
import re

import pytest
import time_machine
from auditlog.models import LogEntry
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from families.models import Role
from families.team_forms import StaffAccountForm
from tests.factories import PASSWORD, UserFactory
from tests.two_factor import verified_login

NEW_PASSWORD = "lantern orchard pebble quietly"
CSRF_TOKEN = re.compile(rb"\b[A-Za-z0-9]{64}\b")  # masked, in the form and in htmx's headers


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def ask_for_link(client, email, **headers):
    return client.post(reverse("password_reset"), {"email": email}, **headers)


def link_in(message) -> str:
    return re.search(r"https?://\S+", message.body).group(0)


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def choose_password(client, link, password=NEW_PASSWORD):
    """Open the link (Django swaps the token into the session and redirects), then set a password."""
    response = client.get(path_of(link))
    if response.status_code != 302:
        return response
    return client.post(response["Location"], {"new_password1": password, "new_password2": password})


# ------------------------------------------------------------------ asking for a link


@pytest.mark.django_db
def test_the_sign_in_page_links_to_the_reset(client):
    assert reverse("password_reset") in client.get(reverse("login")).content.decode()


@pytest.mark.django_db
def test_known_and_unknown_addresses_get_the_same_answer(mailoutbox):
    UserFactory(email="sam@pace.example.org")
    known, unknown = Client(), Client()
    known_response = ask_for_link(known, "sam@pace.example.org")
    unknown_response = ask_for_link(unknown, "nobody@pace.example.org")
    assert known_response.status_code == unknown_response.status_code == 302
    assert known_response["Location"] == unknown_response["Location"] == reverse("password_reset_done")
    assert known_response.content == unknown_response.content

    known_page, unknown_page = known.get(known_response["Location"]), unknown.get(unknown_response["Location"])
    assert known_page.status_code == unknown_page.status_code == 200
    assert CSRF_TOKEN.sub(b"", known_page.content) == CSRF_TOKEN.sub(b"", unknown_page.content)
    assert b"If the address you entered belongs to an account here" in known_page.content

    assert [message.to for message in mailoutbox] == [["sam@pace.example.org"]]


@pytest.mark.django_db
def test_an_inactive_account_gets_no_email(client, mailoutbox):
    UserFactory(email="left@pace.example.org", is_active=False)
    response = ask_for_link(client, "left@pace.example.org")
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert mailoutbox == []


@pytest.mark.django_db
def test_the_email_is_plain_and_names_only_the_person(client, mailoutbox):
    UserFactory(email="sam.jones@pace.example.org", full_name="Sam Jones")
    ask_for_link(client, "Sam.Jones@pace.example.org")
    (message,) = mailoutbox
    assert message.subject == "Reset your Pace Cases password"
    assert message.body.startswith("Hello Sam,")
    assert "sam.jones@pace.example.org" not in message.body.lower()
    assert "Jones" not in message.body
    assert "60 minutes" in message.body
    assert message.alternatives == []  # plain text only
    assert "<" not in message.body


# ------------------------------------------------------------------ using the link


@pytest.mark.django_db
def test_the_link_sets_a_new_password_and_does_not_sign_in(client, mailoutbox):
    user = UserFactory(email="sam@pace.example.org")
    ask_for_link(client, "sam@pace.example.org")
    response = choose_password(client, link_in(mailoutbox[0]))
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_complete")
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("home")).status_code == 302  # still asked to sign in
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)

    assert Client().post(reverse("login"), {"username": "sam@pace.example.org", "password": NEW_PASSWORD}) \
        .status_code == 302


@pytest.mark.django_db
def test_the_link_works_once(client, mailoutbox):
    user = UserFactory(email="sam@pace.example.org")
    ask_for_link(client, "sam@pace.example.org")
    link = link_in(mailoutbox[0])
    choose_password(client, link)
    again = choose_password(Client(), link, password="another long passphrase here")
    assert again.status_code == 200
    assert "This link no longer works" in again.content.decode()
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


@pytest.mark.django_db
def test_the_link_expires_after_the_timeout(mailoutbox):
    user = UserFactory(email="sam@pace.example.org")
    assert settings.PASSWORD_RESET_TIMEOUT == 60 * 60
    with time_machine.travel("2026-11-30 09:00 +0000", tick=False) as traveller:
        ask_for_link(Client(), "sam@pace.example.org")
        link = link_in(mailoutbox[0])
        traveller.shift(datetime.timedelta(minutes=59))
        assert Client().get(path_of(link)).status_code == 302  # still good
        traveller.shift(datetime.timedelta(minutes=2))
        response = choose_password(Client(), link)
    assert response.status_code == 200
    assert "This link no longer works" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.django_db
def test_a_reset_is_audited(client, mailoutbox):
    user = UserFactory(email="sam@pace.example.org")
    ask_for_link(client, "sam@pace.example.org")
    choose_password(client, link_in(mailoutbox[0]))
    entry = LogEntry.objects.get(additional_data__event="password reset by e-mail")
    assert entry.object_id == user.pk
    assert entry.actor == user
    assert entry.remote_addr == "127.0.0.1"
    assert NEW_PASSWORD not in str(entry.changes) and NEW_PASSWORD not in str(entry.additional_data)


@pytest.mark.django_db
def test_a_reset_clears_that_accounts_lockout_only(mailoutbox):
    UserFactory(email="sam@pace.example.org")
    attacker = Client(REMOTE_ADDR="203.0.113.66")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attacker.post(reverse("login"), {"username": "sam@pace.example.org", "password": "wrong"})
    for _ in range(2):
        attacker.post(reverse("login"), {"username": "alex@pace.example.org", "password": "wrong"})
    assert attacker.post(reverse("login"), {"username": "sam@pace.example.org", "password": PASSWORD}) \
        .status_code == 429

    sam = Client(REMOTE_ADDR="203.0.113.66")  # e.g. the same office network
    ask_for_link(sam, "sam@pace.example.org")
    choose_password(sam, link_in(mailoutbox[0]))
    assert not AccessAttempt.objects.filter(username="sam@pace.example.org").exists()
    assert AccessAttempt.objects.filter(username="alex@pace.example.org").exists()
    assert sam.post(reverse("login"), {"username": "sam@pace.example.org", "password": NEW_PASSWORD}) \
        .status_code == 302


# ------------------------------------------------------------------ rate limits


@pytest.mark.django_db
def test_one_email_address_is_limited_whatever_the_client(mailoutbox):
    UserFactory(email="sam@pace.example.org")
    for n in range(settings.PASSWORD_RESET_EMAIL_LIMIT):
        assert ask_for_link(Client(REMOTE_ADDR=f"198.51.100.{n}"), "sam@pace.example.org").status_code == 302
    assert len(mailoutbox) == settings.PASSWORD_RESET_EMAIL_LIMIT

    response = ask_for_link(Client(REMOTE_ADDR="198.51.100.99"), "SAM@pace.example.org")
    assert response.status_code == 429
    assert "Please wait before asking again" in response.content.decode()
    assert len(mailoutbox) == settings.PASSWORD_RESET_EMAIL_LIMIT


@pytest.mark.django_db
def test_an_unknown_address_is_limited_just_the_same():
    """Otherwise being refused, or not, would say whether the address has an account."""
    for n in range(settings.PASSWORD_RESET_EMAIL_LIMIT):
        ask_for_link(Client(REMOTE_ADDR=f"198.51.100.{n}"), "nobody@pace.example.org")
    assert ask_for_link(Client(REMOTE_ADDR="198.51.100.99"), "nobody@pace.example.org").status_code == 429


@pytest.mark.django_db
def test_one_client_address_is_limited_whatever_the_email(mailoutbox):
    UserFactory(email="sam@pace.example.org")
    client = Client(REMOTE_ADDR="203.0.113.66")
    for n in range(settings.PASSWORD_RESET_ADDRESS_LIMIT):
        assert ask_for_link(client, f"guess{n}@pace.example.org").status_code == 302
    response = ask_for_link(client, "sam@pace.example.org")
    assert response.status_code == 429
    assert mailoutbox == []
    # Someone else is not held up.
    assert ask_for_link(Client(REMOTE_ADDR="198.51.100.20"), "sam@pace.example.org").status_code == 302
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_the_client_address_counted_is_the_one_core_client_address_settles_on(settings, mailoutbox):
    settings.TRUSTED_PROXIES = ["10.0.0.5"]
    client = Client(REMOTE_ADDR="192.0.2.50")  # not the proxy: its X-Forwarded-For is ignored
    for n in range(settings.PASSWORD_RESET_ADDRESS_LIMIT):
        ask_for_link(client, f"guess{n}@pace.example.org", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    assert ask_for_link(client, "x@pace.example.org", HTTP_X_FORWARDED_FOR="203.0.113.200").status_code == 429

    behind_proxy = Client(REMOTE_ADDR="10.0.0.5")
    for n in range(settings.PASSWORD_RESET_ADDRESS_LIMIT):
        ask_for_link(behind_proxy, f"other{n}@pace.example.org", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert ask_for_link(behind_proxy, "y@pace.example.org", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 429
    assert ask_for_link(behind_proxy, "y@pace.example.org", HTTP_X_FORWARDED_FOR="203.0.113.10").status_code == 302


@pytest.mark.django_db
def test_the_limit_lifts_after_the_window(mailoutbox):
    UserFactory(email="sam@pace.example.org")
    with time_machine.travel("2026-11-30 09:00 +0000", tick=False) as traveller:
        for _ in range(settings.PASSWORD_RESET_EMAIL_LIMIT + 1):
            ask_for_link(Client(), "sam@pace.example.org")
        traveller.shift(datetime.timedelta(minutes=settings.PASSWORD_RESET_WINDOW_MINUTES + 1))
        assert ask_for_link(Client(), "sam@pace.example.org").status_code == 302
    assert len(mailoutbox) == settings.PASSWORD_RESET_EMAIL_LIMIT + 1


# ------------------------------------------------------------------ password rules


def test_the_common_password_list_and_a_minimum_of_12_are_on():
    names = [validator["NAME"].rsplit(".", 1)[-1] for validator in settings.AUTH_PASSWORD_VALIDATORS]
    assert "CommonPasswordValidator" in names
    (minimum,) = [v for v in settings.AUTH_PASSWORD_VALIDATORS if v["NAME"].endswith("MinimumLengthValidator")]
    assert minimum["OPTIONS"]["min_length"] >= 12


def test_a_common_password_is_refused_with_a_clear_message():
    with pytest.raises(ValidationError) as refused:
        validate_password("qwertyqwerty")
    assert "This password is too common." in refused.value.messages


def test_eleven_characters_are_refused():
    with pytest.raises(ValidationError) as refused:
        validate_password("kettle harb")
    assert any("at least 12 characters" in message for message in refused.value.messages)


@pytest.mark.parametrize("length", [12, 64, 128])
def test_long_passphrases_with_spaces_are_accepted(length):
    phrase = ("violet kettle harbour morning " * 5)[:length]
    assert len(phrase) == length and " " in phrase
    validate_password(phrase)


@pytest.mark.django_db
@pytest.mark.parametrize("length", [64, 128])
def test_a_long_passphrase_can_be_chosen_through_a_reset_link(client, mailoutbox, length):
    user = UserFactory(email="sam@pace.example.org")
    phrase = ("violet kettle harbour morning " * 5)[:length]
    ask_for_link(client, "sam@pace.example.org")
    assert choose_password(client, link_in(mailoutbox[0]), password=phrase).status_code == 302
    user.refresh_from_db()
    assert user.check_password(phrase)


@pytest.mark.django_db
def test_a_reset_refuses_a_common_password(client, mailoutbox):
    UserFactory(email="sam@pace.example.org")
    ask_for_link(client, "sam@pace.example.org")
    response = choose_password(client, link_in(mailoutbox[0]), password="qwertyqwerty")
    assert response.status_code == 200
    assert "This password is too common." in response.content.decode()


@pytest.mark.django_db
def test_changing_a_password_uses_the_same_rules(client):
    user = UserFactory()
    verified_login(client, user)
    response = client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": "qwertyqwerty", "new_password2": "qwertyqwerty",
    })
    assert "This password is too common." in response.content.decode()
    phrase = ("violet kettle harbour morning " * 3)[:64]
    response = client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": phrase, "new_password2": phrase,
    })
    assert response.status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize(("password", "accepted"), [("qwertyqwerty", False), ("kettle harb", False),
                                                    (("violet kettle harbour morning " * 5)[:128], True)])
def test_the_new_account_form_uses_the_same_rules(password, accepted):
    data = {"email": "new.worker@pace.example.org", "full_name": "New Worker", "role": Role.CASEWORKER,
            "password1": password, "password2": password}
    form = StaffAccountForm(data=data)
    form.is_valid()
    assert ("password1" not in form.errors) is accepted
