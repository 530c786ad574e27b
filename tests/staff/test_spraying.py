"""Password spraying: a few guesses on each of many accounts from one client address are paused at
SIGNIN_ADDRESS_FAILURE_LIMIT, beside the per-account limit (AXES_FAILURE_LIMIT)."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

PROXY = "10.0.0.5"
SPRAYER = "203.0.113.66"


def sign_in(client, email, password, **headers):
    return client.post(reverse("login"), {"username": email, "password": password}, **headers)


def spray(client, count, **headers):
    """``count`` wrong passwords, each on a different e-mail address (none of them an account)."""
    for n in range(count):
        response = sign_in(client, f"guess{n}@pace.example.org", "Summer2026!", **headers)
    return response


def test_the_address_limit_is_well_above_the_account_limit():
    assert settings.SIGNIN_ADDRESS_FAILURE_LIMIT == 20
    assert settings.AXES_FAILURE_LIMIT == 5


@pytest.mark.django_db
def test_failures_on_many_accounts_from_one_address_pause_signing_in_from_it():
    UserFactory(email="sam@pace.example.org")
    client = Client(REMOTE_ADDR=SPRAYER)
    assert spray(client, settings.SIGNIN_ADDRESS_FAILURE_LIMIT - 1).status_code == 200
    assert spray(client, 1).status_code == 429  # the failure that reaches the limit

    # The right password for a real account, from that address, is refused too.
    response = sign_in(client, "sam@pace.example.org", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    page = response.content.decode()
    assert "Too many attempts to sign in" in page
    assert "try again in 15 minutes" in page
    assert "sam@pace.example.org" not in page


@pytest.mark.django_db
def test_below_the_address_limit_a_right_password_still_signs_in():
    UserFactory(email="sam@pace.example.org")
    client = Client(REMOTE_ADDR=SPRAYER)
    spray(client, settings.SIGNIN_ADDRESS_FAILURE_LIMIT - 1)
    assert sign_in(client, "sam@pace.example.org", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_another_address_is_not_affected():
    UserFactory(email="sam@pace.example.org")
    spray(Client(REMOTE_ADDR=SPRAYER), settings.SIGNIN_ADDRESS_FAILURE_LIMIT)
    colleague = Client(REMOTE_ADDR="198.51.100.20")
    response = sign_in(colleague, "sam@pace.example.org", PASSWORD)
    assert response.status_code == 302
    assert "_auth_user_id" in colleague.session


@pytest.mark.django_db
def test_signing_in_to_an_account_of_ones_own_does_not_clear_the_address_count():
    UserFactory(email="sprayer@pace.example.org")
    UserFactory(email="sam@pace.example.org")
    client = Client(REMOTE_ADDR=SPRAYER)
    spray(client, settings.SIGNIN_ADDRESS_FAILURE_LIMIT - 1)
    assert sign_in(client, "sprayer@pace.example.org", PASSWORD).status_code == 302
    client.logout()
    spray(client, 1)
    assert sign_in(client, "sam@pace.example.org", PASSWORD).status_code == 429


@pytest.mark.django_db
def test_the_pause_ends_after_the_cool_off():
    UserFactory(email="sam@pace.example.org")
    with time_machine.travel("2026-11-30 09:00 +0000", tick=False) as traveller:
        client = Client(REMOTE_ADDR=SPRAYER)
        spray(client, settings.SIGNIN_ADDRESS_FAILURE_LIMIT)
        traveller.shift(datetime.timedelta(minutes=14))
        assert sign_in(client, "sam@pace.example.org", PASSWORD).status_code == 429
        # That refused attempt started the 15 minutes again.
        traveller.shift(datetime.timedelta(minutes=16))
        assert sign_in(client, "sam@pace.example.org", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_the_per_account_limit_still_applies():
    UserFactory(email="sam@pace.example.org")
    client = Client(REMOTE_ADDR=SPRAYER)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "sam@pace.example.org", "wrong")
    assert sign_in(client, "sam@pace.example.org", PASSWORD).status_code == 429


@pytest.mark.django_db
def test_an_invented_forwarded_for_does_not_dodge_the_address_limit(settings):
    """Reaching the app directly, not through the trusted proxy, a new X-Forwarded-For on each attempt
    changes nothing: the address counted is the peer's."""
    settings.TRUSTED_PROXIES = [PROXY]
    UserFactory(email="sam@pace.example.org")
    client = Client(REMOTE_ADDR="192.0.2.50")
    for n in range(settings.SIGNIN_ADDRESS_FAILURE_LIMIT):
        sign_in(client, f"guess{n}@pace.example.org", "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    response = sign_in(client, "sam@pace.example.org", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.200")
    assert response.status_code == 429


@pytest.mark.django_db
def test_behind_the_trusted_proxy_each_client_is_counted_on_its_own(settings):
    settings.TRUSTED_PROXIES = [PROXY]
    UserFactory(email="sam@pace.example.org")
    client = Client(REMOTE_ADDR=PROXY)
    spray(client, settings.SIGNIN_ADDRESS_FAILURE_LIMIT, HTTP_X_FORWARDED_FOR=SPRAYER)
    assert sign_in(client, "sam@pace.example.org", PASSWORD, HTTP_X_FORWARDED_FOR=SPRAYER).status_code == 429
    # Everyone else comes through the same proxy, and is not paused with the sprayer.
    colleague = Client(REMOTE_ADDR=PROXY)
    assert sign_in(colleague, "sam@pace.example.org", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.20").status_code == 302
