"""The client's address behind a reverse proxy: believed only from TRUSTED_PROXIES, and the same
for sign-in lockouts (django-axes) and the audit log (django-auditlog)."""

import pytest
from auditlog.models import LogEntry
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse

from core.client_address import client_address, trusted_networks
from tests.factories import PASSWORD, UserFactory
from tests.two_factor import verified_login

PROXY = "10.0.0.5"
PROXIES = trusted_networks([PROXY, "10.1.0.0/16"])


@pytest.mark.parametrize(
    ("remote_addr", "forwarded_for", "expected"),
    [
        # No proxy configured in front of this peer: its header is anyone's to write.
        ("198.51.100.7", "203.0.113.9", "198.51.100.7"),
        ("198.51.100.7", "", "198.51.100.7"),
        # From the proxy: the address it saw, however much the client wrote before it.
        (PROXY, "203.0.113.9", "203.0.113.9"),
        (PROXY, "1.1.1.1, 203.0.113.9", "203.0.113.9"),
        (PROXY, "203.0.113.9:51234", "203.0.113.9"),
        (PROXY, "[2001:db8::1]:443", "2001:db8::1"),
        (PROXY, "2001:db8::1", "2001:db8::1"),
        # Two proxies in a row, both trusted: the client is the one before them.
        (PROXY, "203.0.113.9, 10.1.2.3", "203.0.113.9"),
        (PROXY, "10.1.2.3", "10.1.2.3"),
        # Garbage after the proxies: the nearest address that can be believed.
        (PROXY, "not-an-address", PROXY),
        (PROXY, "", PROXY),
    ],
)
def test_client_address(remote_addr, forwarded_for, expected):
    assert client_address(remote_addr, forwarded_for, PROXIES) == expected


def test_a_misspelt_proxy_stops_start_up():
    with pytest.raises(ImproperlyConfigured, match="TRUSTED_PROXIES"):
        trusted_networks(["10.0.0.300"])


def sign_in(client, email, password, *, forwarded_for, remote_addr=PROXY):
    return client.post(
        reverse("login"),
        {"username": email, "password": password},
        REMOTE_ADDR=remote_addr,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXIES = [PROXY]


@pytest.mark.django_db
def test_behind_the_proxy_an_attacker_cannot_lock_a_colleague_out(behind_proxy):
    UserFactory(email="sam@pace.example.org")
    attacker, sam = Client(), Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(attacker, "sam@pace.example.org", "wrong", forwarded_for="203.0.113.66")
    assert sign_in(attacker, "sam@pace.example.org", PASSWORD, forwarded_for="203.0.113.66").status_code == 429

    response = sign_in(sam, "sam@pace.example.org", PASSWORD, forwarded_for="198.51.100.20")
    assert response.status_code == 302
    assert "_auth_user_id" in sam.session


@pytest.mark.django_db
def test_a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored(behind_proxy):
    """Someone reaching the app directly cannot dodge the lockout by inventing addresses."""
    UserFactory(email="sam@pace.example.org")
    client = Client()
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "sam@pace.example.org", "wrong", forwarded_for=f"203.0.113.{attempt}",
                remote_addr="192.0.2.50")
    response = sign_in(client, "sam@pace.example.org", PASSWORD, forwarded_for="203.0.113.200",
                       remote_addr="192.0.2.50")
    assert response.status_code == 429


@pytest.mark.django_db
def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = []
    UserFactory(email="sam@pace.example.org")
    client = Client()
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "sam@pace.example.org", "wrong", forwarded_for=f"203.0.113.{attempt}")
    assert sign_in(client, "sam@pace.example.org", PASSWORD, forwarded_for="203.0.113.200").status_code == 429


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("remote_addr", "forwarded_for", "recorded"),
    [(PROXY, "6.6.6.6, 203.0.113.9", "203.0.113.9"), ("192.0.2.50", "6.6.6.6", "192.0.2.50")],
)
def test_the_audit_log_records_the_clients_address(behind_proxy, cast, remote_addr, forwarded_for, recorded):
    client = Client()
    verified_login(client, cast.key_worker)
    response = client.get(
        reverse("families:detail", args=[cast.family.pk]), REMOTE_ADDR=remote_addr, HTTP_X_FORWARDED_FOR=forwarded_for
    )
    assert response.status_code == 200
    entry = LogEntry.objects.get_for_object(cast.family).get(action=LogEntry.Action.ACCESS)
    assert entry.remote_addr == recorded
