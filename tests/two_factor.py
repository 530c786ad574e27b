"""Passing the second factor in tests: a confirmed app for the person, and its current code.

``verified_login`` is force_login plus what django_otp.login leaves in the session, for the many tests
that are about something else. Tests of the second factor itself go through its pages.
"""

import base64
import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP, hotp, totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import TOTPDeviceFactory

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def app_device(user) -> TOTPDevice:
    """``user``'s confirmed authenticator app, made if they have none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    return device or TOTPDeviceFactory(user=user)


def code_at(device: TOTPDevice, when: float) -> str:
    """The code ``device``'s app shows at the Unix time ``when``."""
    generator = TOTP(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
    generator.time = when
    return str(generator.token()).zfill(device.digits)


def current_code(device: TOTPDevice) -> str:
    """The code ``device``'s app shows now (django_otp.oath.totp reads the clock, frozen or not)."""
    return str(totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits,
                    drift=device.drift)).zfill(device.digits)


def mark_verified(client: Client, device: TOTPDevice) -> None:
    """Record in ``client``'s session that it passed the second factor with ``device``."""
    session = client.session
    assert session.get(SESSION_KEY) == str(device.user_id), "sign in before marking the session verified"
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key


def verified_login(client: Client, user, *, backend: str = MODEL_BACKEND) -> TOTPDevice:
    """Sign ``client`` in as ``user`` past both factors; returns the app device used."""
    client.force_login(user, backend=backend)
    device = app_device(user)
    mark_verified(client, device)
    return device


def code_for_key(key_in_groups: str) -> str:
    """The code an authenticator app given this key (as the set-up page writes it) shows now."""
    key = key_in_groups.replace(" ", "").upper()
    key += "=" * (-len(key) % 8)
    return str(totp(base64.b32decode(key))).zfill(6)


def enrol(client: Client, *, next_url: str = ""):
    """Set up an app through the set-up page, as a person does: read the key off the page, type the code.
    Returns the page showing the recovery codes."""
    url = reverse("two_factor:set_up") + (f"?next={next_url}" if next_url else "")
    page = client.get(url)
    assert page.status_code == 200, page
    return client.post(url, {"code": code_for_key(page.context["key_in_groups"]), "next": next_url})


def usable_code(device: TOTPDevice) -> str:
    """A code ``device`` will accept now, for tests that sign the same person in more than once within
    30 seconds: a code is accepted once (ASVS 6.5.1), so after one was used the next time step's code
    is given, which django-otp accepts within its tolerance of one step; failing that, it waits for
    the next step."""
    device.refresh_from_db()
    while True:
        generator = TOTP(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
        now_t = generator.t()
        target = max(now_t, device.last_t + 1)
        if target <= now_t + device.tolerance:
            return str(hotp(device.bin_key, target, digits=device.digits)).zfill(device.digits)
        time.sleep(device.step - (generator.time - device.t0) % device.step + 0.1)
