"""A second factor for everyone who signs in (ASVS 6.3, 6.5): a code from an authenticator app (TOTP),
or one of ten single-use recovery codes for the day the phone is lost.

A password opens a session; until a code is typed in it, SecondFactorMiddleware lets that session
reach nothing but the pages that set up or ask for the code, signing out, password reset and a few
endpoints that hold no personal data. Someone with no app set up yet is sent to set one up: enrolment
happens at first sign-in, and again after an administrator resets a lost factor.

django-otp keeps the devices and does the checking: an app code is accepted once only (its device
remembers the last time step it accepted), a recovery code is deleted as it is used, and after each
wrong code the next one is refused for a doubling number of seconds (OTP_TOTP_THROTTLE_FACTOR).
"""

import base64
import math
import re

import segno
from django.conf import settings
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import get_token, rotate_token
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django_otp import login as otp_login
from django_otp import verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import audit
from core.errors import UserFixableError
from staff.models import SignIn

RECOVERY_CODE_COUNT = 10
APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"
QR_CODE_TITLE = "QR code to scan with your authenticator app. The same key is written out below it."

# Pages that a session signed in with a password alone may reach, by URL name: signing in and out,
# resetting a forgotten password, and the load balancer's health check. The second factor's own
# pages, and the sign-in-again dialog's endpoint (which asks for a code itself), are marked with
# before_second_factor instead.
OPEN_URL_NAMES = frozenset({
    "login",
    "logout",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "health",
})


class CodeRefused(UserFixableError):
    def __init__(self, message):
        super().__init__(message, field="code")


WRONG_CODE = (
    "That code is not right. Type the 6-digit code your authenticator app shows now, or one of your "
    "recovery codes."
)
WRONG_SET_UP_CODE = (
    "That code is not right. Check that the app shows Pace Cases and your e-mail address, then type the "
    "6-digit code it shows now."
)


def wait_message(seconds: int) -> str:
    return (
        f"Too many codes that were not right. To keep the account safe, wait {seconds} "
        f"second{'s' if seconds != 1 else ''}, then try again."
    )


# --------------------------------------------------------------- reading


def is_verified(user) -> bool:
    """Whether this request's session has passed the second factor (OTPMiddleware sets is_verified)."""
    return bool(getattr(user, "is_verified", lambda: False)())


def app_device_of(user) -> TOTPDevice | None:
    """``user``'s confirmed authenticator app, if they have set one up."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def has_app(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def key_in_groups(device: TOTPDevice) -> str:
    """The device's key as an authenticator app asks for it (base32), in groups of four for typing."""
    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i:i + 4] for i in range(0, len(key), 4))


def qr_code_svg(device: TOTPDevice) -> str:
    """The otpauth:// address of the device as an SVG QR code, drawn here so the key never leaves
    the server for a QR service. Presentation attributes only: the Content Security Policy refuses
    style attributes."""
    svg = segno.make(device.config_url, error="m").svg_inline(
        scale=5, dark="#000", light="#fff", title=QR_CODE_TITLE, svgclass="two-factor-qr", lineclass=None
    )
    return svg.replace("<svg ", '<svg role="img" ', 1)


def normalise_code(code: str) -> str:
    """What was typed, without the spaces and dashes people copy along with a code."""
    return re.sub(r"[\s-]+", "", code or "").lower()


def _looks_like_app_code(code: str) -> bool:
    return code.isdigit() and len(code) in (6, 8)


def _wait_seconds(device) -> int | None:
    """Seconds until ``device`` will check a code again after wrong ones; None if it will now."""
    allowed, details = device.verify_is_allowed()
    if allowed or not details or "locked_until" not in details:
        return None
    return max(1, math.ceil((details["locked_until"] - timezone.now()).total_seconds()))


def _check(device, code: str) -> bool:
    """Check ``code`` against ``device``, refusing while it is throttled. The device is locked for the
    check (django_otp.verify_token), so two requests cannot both spend one code."""
    wait = _wait_seconds(device)
    if wait is not None:
        raise CodeRefused(wait_message(wait))
    return verify_token(device.user, device.persistent_id, code) is not None


def verify_code(user, code: str):
    """The device that accepts ``code`` for ``user``: their app's if it is six digits, otherwise a
    recovery code. Raises CodeRefused (a wrong code, or too many of them just now)."""
    code = normalise_code(code)
    if not code:
        raise CodeRefused("Type the code from your authenticator app, or a recovery code.")
    if _looks_like_app_code(code):
        devices = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk")
    else:
        devices = StaticDevice.objects.filter(user=user, confirmed=True).order_by("pk")
    for device in devices:
        if _check(device, code):
            device.refresh_from_db()
            return device
    raise CodeRefused(WRONG_CODE)


# --------------------------------------------------------------- passing it


def pass_second_factor(request, device) -> None:
    """Mark this session as having passed the second factor with ``device``, and give it a new key and
    CSRF token: a session key seen before the code was typed is worth nothing after it."""
    otp_login(request, device)
    old_key = request.session.session_key
    request.session.cycle_key()
    rotate_token(request)
    if old_key:
        SignIn.objects.filter(session_key=old_key).update(session_key=request.session.session_key)


def safe_next(request, candidate: str | None) -> str:
    """``candidate`` if it is a page on this site, else My work."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


# --------------------------------------------------------------- setting it up and replacing it


def app_device_for_set_up(user) -> TOTPDevice:
    """The app being set up: one unconfirmed device per person, kept between visits, so the QR code
    stays the same while they fetch their phone."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)
    return device


def _new_recovery_codes(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def app_device_confirm(*, user, device: TOTPDevice, code: str) -> list[str]:
    """Confirm the app being set up with a code it shows, and make ten recovery codes. Returns the
    codes, which are shown once and stored nowhere but in django-otp's table. Raises CodeRefused."""
    code = normalise_code(code)
    if not _looks_like_app_code(code):
        raise CodeRefused("Type the 6-digit code your authenticator app shows now.")
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user, confirmed=False)
        wait = _wait_seconds(device)
        if wait is not None:
            raise CodeRefused(wait_message(wait))
        if not device.verify_token(code):
            raise CodeRefused(WRONG_SET_UP_CODE)
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        codes = _new_recovery_codes(user)
        audit.record_event(user, actor=user, event="second factor set up")
    return codes


@transaction.atomic
def recovery_codes_replace(*, user) -> list[str]:
    """New recovery codes for ``user``; the old ones stop working. Whether the person has just typed a
    current code is the caller's check."""
    codes = _new_recovery_codes(user)
    audit.record_event(user, actor=user, event="new recovery codes made")
    return codes


def recovery_code_display(code: str) -> str:
    """A recovery code as shown and printed, in two halves that are easier to copy."""
    return f"{code[:4]}-{code[4:]}" if len(code) == 8 else code


def devices_remove(person) -> None:
    """Remove ``person``'s app and recovery codes (staff.signins.second_factor_reset)."""
    TOTPDevice.objects.filter(user=person).delete()
    StaticDevice.objects.filter(user=person).delete()


# --------------------------------------------------------------- the gate


def before_second_factor(view):
    """Marks a view that a session signed in with a password alone may reach: the second factor's
    own pages. Such a view must hold no personal data of anyone but the person signing in."""
    view.before_second_factor = True
    return view


def second_factor_url(user, next_url: str = "") -> str:
    url = reverse("two_factor:verify" if has_app(user) else "two_factor:set_up")
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


class SecondFactorMiddleware:
    """Sends a person signed in with a password alone to the second factor, from every page but the
    few in OPEN_URL_NAMES, the views marked before_second_factor, and static files. The session
    endpoints of static/js/session.js are answered in JSON as for a signed-out person, an htmx request
    with HX-Redirect, and other JSON requests with 401: none of them is given an HTML page to follow.

    After AbsoluteSessionLifetimeMiddleware, so a sign-in past its end is signed out, not asked for a code.
    The admin site is not exempt: it holds the same records.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or is_verified(user):
            return None
        if getattr(view_func, "before_second_factor", False):
            return None
        match = request.resolver_match
        if match is not None and match.url_name in OPEN_URL_NAMES and not match.namespace:
            return None
        if request.path_info.startswith("/" + settings.STATIC_URL.lstrip("/")):
            return None
        if getattr(view_func, "session_answers_in_json", False):
            return JsonResponse(
                {"signed_in": False, "reason": "second_factor", "csrf_token": get_token(request)}, status=401
            )
        next_url = request.get_full_path() if request.method == "GET" else ""
        target = second_factor_url(user, next_url)
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        if "application/json" in request.headers.get("Accept", "") and "text/html" not in request.headers.get(
            "Accept", ""
        ):
            return JsonResponse({"error": "Type the code from your authenticator app first.", "url": target},
                                status=401)
        return redirect(target)

