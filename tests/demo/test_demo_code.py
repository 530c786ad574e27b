"""Signing in to the demo past the second factor: demo_code prints the code, or the key goes in an app."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from demo.management.commands.seed_demo import DEMO_USERS
from demo.second_factor import WITHOUT_APP, demo_key_for_app, demo_key_hex
from staff.models import User
from tests.two_factor import code_for_key, current_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings):
    settings.DEBUG = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    out = StringIO()
    call_command("seed_demo", "--families", "3", stdout=out)
    return out.getvalue()


def demo_code(email):
    out = StringIO()
    call_command("demo_code", email, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def test_every_demo_sign_in_but_one_has_an_app_with_the_published_key(seeded):
    for demo in DEMO_USERS:
        devices = TOTPDevice.objects.filter(user__email=demo.email, confirmed=True)
        if demo.email == WITHOUT_APP:
            assert not devices.exists()
            assert re.search(rf"{re.escape(demo.email)} +none yet: sets up an app at its first sign-in", seeded)
        else:
            assert devices.get().key == demo_key_hex(demo.email)
            assert demo_key_for_app(demo.email) in seeded
    assert "DEBUG=1 .venv/bin/python manage.py demo_code <e-mail>" in seeded


def test_demo_code_prints_the_code_the_published_key_gives(seeded):
    device = TOTPDevice.objects.get(user__email="caseworker@pace.example")
    code = demo_code("Caseworker@pace.example")
    assert code == current_code(device)
    assert code == code_for_key(demo_key_for_app("caseworker@pace.example"))


def test_a_demo_sign_in_gets_in_with_the_printed_code(seeded):
    demo = next(u for u in DEMO_USERS if u.key == "caseworker")
    client = Client()
    client.post(reverse("login"), {"username": demo.email, "password": demo.password})
    asked = client.get(reverse("home"))
    assert asked["Location"].startswith(reverse("two_factor:verify"))
    assert client.post(reverse("two_factor:verify"), {"code": demo_code(demo.email)})["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_the_sign_in_without_an_app_is_sent_to_set_one_up(seeded):
    demo = next(u for u in DEMO_USERS if u.email == WITHOUT_APP)
    client = Client()
    client.post(reverse("login"), {"username": demo.email, "password": demo.password})
    assert client.get(reverse("home"))["Location"].startswith(reverse("two_factor:set_up"))
    with pytest.raises(CommandError, match="no authenticator app yet"):
        demo_code(demo.email)


def test_seeding_again_adds_missing_apps_and_keeps_a_set_up_one(seeded):
    TOTPDevice.objects.filter(user__email="plo@pace.example").delete()
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert TOTPDevice.objects.get(user__email="plo@pace.example").key == demo_key_hex("plo@pace.example")
    assert not TOTPDevice.objects.filter(user__email=WITHOUT_APP).exists()


def test_demo_code_refuses_without_debug(seeded, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        demo_code("caseworker@pace.example")


def test_demo_code_refuses_an_unknown_address(seeded):
    with pytest.raises(CommandError, match="No sign-in"):
        demo_code("nobody@pace.example")
    assert User.objects.filter(email="nobody@pace.example").count() == 0
