"""The demo's second factor: every demo sign-in but one has an authenticator app whose key is derived
from a published secret, so that someone trying the demo can sign in (``demo_code`` prints the code,
or the key can be added to a real app). One sign-in has none, so that setting one up can be tried.

Published keys are as worthless as published passwords: this is for demo data only, and both the
seeding and ``demo_code`` refuse to run with DEBUG off.
"""

import base64
import hashlib
import hmac

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

DEMO_SECRET = b"pace-cases-demo-second-factor-2026"
# This demo sign-in sets up an app at its first sign-in, to show how that goes.
WITHOUT_APP = "caseworker4@pace.example"


def demo_key_hex(email: str) -> str:
    """The 20-byte key, hex-encoded as TOTPDevice stores it, of ``email``'s demo app."""
    return hmac.new(DEMO_SECRET, email.lower().encode(), hashlib.sha1).hexdigest()


def demo_key_for_app(email: str) -> str:
    """The same key as an authenticator app asks for it (base32), in groups of four."""
    key = base64.b32encode(bytes.fromhex(demo_key_hex(email))).decode().rstrip("=")
    return " ".join(key[i:i + 4] for i in range(0, len(key), 4))


def demo_apps_create(users) -> int:
    """Give each demo user but WITHOUT_APP its demo app, unless they already have an app (made by an
    earlier seeding or set up by hand). Returns how many were made."""
    made = 0
    for user in users:
        if user.email == WITHOUT_APP or TOTPDevice.objects.filter(user=user).exists():
            continue
        TOTPDevice.objects.create(user=user, name="Demo authenticator app", key=demo_key_hex(user.email),
                                  confirmed=True)
        made += 1
    return made


def current_code(device: TOTPDevice) -> str:
    return str(totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits,
                    drift=device.drift)).zfill(device.digits)
