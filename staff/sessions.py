"""Signed in for as long as a call lasts, and no longer than a working day.

A session lapses after SESSION_COOKIE_AGE seconds without a request (SESSION_IDLE_MINUTES), and
SESSION_ABSOLUTE_HOURS after the password was last typed, however busy it was: a shared computer
left signed in must not stay signed in overnight. Typing sends no request, so static/js/session.js
keeps the session alive while someone types, warns before it lapses and, when a save finds it gone,
signs the same person in again over the form, so that a note typed during a long call is never lost.
Signing in again asks for the second factor too (staff.two_factor), so the dialog is never a way round it.
These endpoints are extras: without JavaScript everything works as before.
"""

import dataclasses
import functools

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.http import JsonResponse
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from core.errors import UserFixableError
from staff import two_factor

# Session key: when the person last signed in with their password, in seconds since the epoch.
SIGNED_IN_AT = "signed_in_at"
# The warning shows this long before an idle sign-out, and this long before the absolute end.
IDLE_WARNING_SECONDS = 2 * 60
ENDING_WARNING_SECONDS = 10 * 60
# Typing renews the session at most this often (or every third of the idle time, if shorter).
KEEP_ALIVE_SECONDS = 5 * 60


def absolute_lifetime_seconds() -> int:
    return settings.SESSION_ABSOLUTE_HOURS * 60 * 60


def keep_alive_seconds() -> int:
    """How often typing renews the session. SESSION_KEEPALIVE_SECONDS, when set, overrides the
    default; it is not read from the environment, it lets tests see a renewal without waiting."""
    configured = getattr(settings, "SESSION_KEEPALIVE_SECONDS", None)
    if configured:
        return configured
    return max(1, min(KEEP_ALIVE_SECONDS, settings.SESSION_COOKIE_AGE // 3))


def seconds_left(session) -> int:
    """Seconds until the absolute end of the signed-in session."""
    signed_in_at = session.get(SIGNED_IN_AT, timezone.now().timestamp())
    return max(0, int(signed_in_at + absolute_lifetime_seconds() - timezone.now().timestamp()))


def stamp_sign_in(sender, request, user, **kwargs):
    """Receiver of user_logged_in: the absolute lifetime starts whenever a password was typed."""
    if request is not None and hasattr(request, "session"):
        request.session[SIGNED_IN_AT] = timezone.now().timestamp()


def answers_in_json(view):
    """Marks a view whose caller is session.js: a sign-out it causes is reported in its JSON answer,
    not as a message on the next page (which would be the page saved after signing in again)."""
    view.session_answers_in_json = True
    return view


class AbsoluteSessionLifetimeMiddleware:
    """Signs the person out SESSION_ABSOLUTE_HOURS after they signed in, whatever they did since.

    A session from before this limit existed has no stamp: its clock starts when it is first seen.
    Checked in process_view, once the view is known, so that session.js's own requests are told in
    JSON rather than with a message.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.user.is_authenticated:
            return None
        now = timezone.now().timestamp()
        signed_in_at = request.session.get(SIGNED_IN_AT)
        if signed_in_at is None:
            request.session[SIGNED_IN_AT] = now
            return None
        if now < signed_in_at + absolute_lifetime_seconds():
            return None
        logout(request)
        request.session_lifetime_ended = True
        if not getattr(view_func, "session_answers_in_json", False):
            messages.info(request, lifetime_ended_message())
        return None


def lifetime_ended_message() -> str:
    hours = settings.SESSION_ABSOLUTE_HOURS
    return (
        f"You were signed out because you had been signed in for {hours} hour{'s' if hours != 1 else ''}, "
        "the longest one sign-in lasts. Sign in again to carry on."
    )


@dataclasses.dataclass(frozen=True)
class SessionTimer:
    """What the page needs to know to keep the session alive and warn before it ends (seconds)."""

    idle_seconds: int
    seconds_left: int
    keep_alive_seconds: int
    idle_warning_seconds: int = IDLE_WARNING_SECONDS
    ending_warning_seconds: int = ENDING_WARNING_SECONDS

    @classmethod
    def for_session(cls, session):
        return cls(
            idle_seconds=settings.SESSION_COOKIE_AGE,
            seconds_left=seconds_left(session),
            keep_alive_seconds=keep_alive_seconds(),
        )


def session_limits(request):
    """Context processor: the limits as the sign-in page states them, and, evaluated only when a
    template reads it (signed-in pages do), the timer session.js works from."""
    return {
        "session_idle_minutes": settings.SESSION_COOKIE_AGE // 60,
        "session_absolute_hours": settings.SESSION_ABSOLUTE_HOURS,
        "session_timer": SimpleLazyObject(lambda: SessionTimer.for_session(request.session)),
    }


class SignInRefused(UserFixableError):
    def __init__(self, message, status, field="password"):
        super().__init__(message, field=field)
        self.status = status


LOCKED_OUT = (
    "Too many attempts to sign in. To protect the families whose records are here, sign-in for this account "
    "is paused for a while. Keep this page open and try again later, or ask your manager or an administrator "
    "to unlock it."
)
SIGN_IN_FAILED = "That password is not right. Check it and try again."
NO_SECOND_FACTOR = (
    "You have not set up your second factor yet, so you cannot sign in again here. Copy anything you "
    "need to keep from this page, then sign in on the sign-in page to set it up."
)


def sign_in_again(request, *, expected_email: str, email: str, password: str, code: str):
    """Sign in the person whose page this is, and nobody else: what they typed is saved under their
    name. Goes through authenticate(), so django-axes counts a failure and refuses a locked account;
    then the second factor's code is checked (only once the password is right, so that nobody without
    it can spend the person's codes or throttle them)."""
    expected = expected_email.strip().lower()
    if not expected or email.strip().lower() != expected:
        raise SignInRefused(
            f"This page was opened by {expected or 'someone else'}. Only they can sign in here to save it.",
            status=403,
        )
    user = authenticate(request, username=expected, password=password)
    if user is None:
        if getattr(request, "axes_locked_out", False):
            # Answered here, in the dialog's words, instead of by AxesMiddleware with its lockout page.
            request.axes_locked_out = False
            raise SignInRefused(LOCKED_OUT, status=429)
        raise SignInRefused(SIGN_IN_FAILED, status=400)
    if not two_factor.has_app(user):
        raise SignInRefused(NO_SECOND_FACTOR, status=403, field="code")
    try:
        device = two_factor.verify_code(user, code)
    except two_factor.CodeRefused as refused:
        raise SignInRefused(refused.message, status=400, field="code") from None
    # Rotates the session key and the CSRF token: the page is given the new token in the answer.
    login(request, user)
    two_factor.pass_second_factor(request, device)
    return user


def _signed_in(request):
    return JsonResponse(
        {
            "signed_in": True,
            "email": request.user.email,
            "idle_seconds": settings.SESSION_COOKIE_AGE,
            "seconds_left": seconds_left(request.session),
            "csrf_token": get_token(request),
        }
    )


def _signed_out(request):
    # The CSRF token lets the page sign in again even when its cookie has gone too.
    reason = "lifetime_ended" if getattr(request, "session_lifetime_ended", False) else "signed_out"
    return JsonResponse({"signed_in": False, "reason": reason, "csrf_token": get_token(request)}, status=401)


def json_login_required(view):
    """Like login_required, but answers 401 in JSON rather than redirecting to the sign-in page."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return _signed_out(request)
        return view(request, *args, **kwargs)

    return wrapped


@answers_in_json
@never_cache
@require_GET
def session_status(request):
    """Whether the page's person is still signed in: session.js asks before every save."""
    if not request.user.is_authenticated:
        return _signed_out(request)
    return _signed_in(request)


@answers_in_json
@never_cache
@require_POST
@json_login_required
def session_keep_alive(request):
    # Saved even were SESSION_SAVE_EVERY_REQUEST turned off: saving is what moves the expiry.
    request.session.modified = True
    return _signed_in(request)


@answers_in_json
@never_cache
@sensitive_post_parameters("password", "code")
@require_POST
@two_factor.before_second_factor
def session_sign_in(request):
    try:
        sign_in_again(
            request,
            expected_email=request.POST.get("expected", ""),
            email=request.POST.get("username", ""),
            password=request.POST.get("password", ""),
            code=request.POST.get("code", ""),
        )
    except SignInRefused as refused:
        return JsonResponse(
            {"signed_in": False, "error": refused.message, "field": refused.field}, status=refused.status
        )
    return _signed_in(request)
