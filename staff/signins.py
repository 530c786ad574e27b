"""Where a person is signed in, and ending those sign-ins.

Django's session table is keyed by a random session key and holds the user only inside its encoded
data, so it cannot be searched by user. A SignIn row is kept beside each signed-in session instead:
made on sign-in, removed on sign-out and when the session is ended from here. Ending a sign-in
deletes the session itself from the session store, so that browser is signed out on its next request.
"""

import re
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.sessions.models import Session
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core import audit
from staff import two_factor
from staff.models import SignIn
from staff.sessions import absolute_lifetime_seconds

# Session key: when this session's SignIn row was last told the browser was seen (epoch seconds).
LAST_SEEN = "sign_in_last_seen"
# "Last seen" is this precise: writing it on every request would cost an UPDATE per page.
LAST_SEEN_EVERY_SECONDS = 60
BROWSER_LENGTH = SignIn._meta.get_field("browser").max_length

# Most specific first: Edge and Opera say "Chrome" too, and Chrome says "Safari".
_BROWSERS = [
    ("Edge", r"\bEdg(e|A|iOS)?/"),
    ("Opera", r"\b(OPR|Opera)/"),
    ("Samsung Internet", r"\bSamsungBrowser/"),
    ("Firefox", r"\b(Firefox|FxiOS)/"),
    ("Chrome", r"\b(Chrome|Chromium|CriOS)/"),
    ("Safari", r"\bSafari/"),
]
_SYSTEMS = [
    ("an iPhone", r"\biPhone\b"),
    ("an iPad", r"\biPad\b"),
    ("Android", r"\bAndroid\b"),
    ("ChromeOS", r"\bCrOS\b"),
    ("Windows", r"\bWindows\b"),
    ("a Mac", r"\bMac OS X\b|\bMacintosh\b"),
    ("Linux", r"\bLinux\b"),
]


def browser_description(user_agent: str) -> str:
    """A short name for the browser, "Chrome on Windows", from its User-Agent header; what it cannot
    name is kept as the header's start, so the person still has something to recognise."""
    user_agent = (user_agent or "").strip()
    if not user_agent:
        return ""
    browser = next((name for name, pattern in _BROWSERS if re.search(pattern, user_agent)), None)
    system = next((name for name, pattern in _SYSTEMS if re.search(pattern, user_agent)), None)
    if browser and system:
        return f"{browser} on {system}"
    return (browser or system or user_agent)[:BROWSER_LENGTH]


def _session_store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def _client_address(request) -> str | None:
    # core.client_address.ClientAddressMiddleware has already put the client's own address here.
    return request.META.get("REMOTE_ADDR") or None


# --------------------------------------------------------------- keeping the rows


def record_sign_in(sender, request, user, **kwargs):
    """Receiver of user_logged_in. The same session signing in again (session.js) keeps its row."""
    if request is None or not hasattr(request, "session"):
        return
    if not request.session.session_key:
        # login() flushed a session that was another person's: the new one needs its key now.
        request.session.save()
    now = timezone.now()
    SignIn.objects.update_or_create(
        session_key=request.session.session_key,
        defaults={
            "user": user,
            "signed_in_at": now,
            "last_seen_at": now,
            "client_address": _client_address(request),
            "browser": browser_description(request.META.get("HTTP_USER_AGENT", "")),
        },
    )
    request.session[LAST_SEEN] = now.timestamp()


def forget_sign_in(sender, request, user, **kwargs):
    """Receiver of user_logged_out (sent before the session is flushed, so its key is still known)."""
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        SignIn.objects.filter(session_key=session.session_key).delete()


def touch(request, *, force=False):
    """Note that this browser was seen, at most once a LAST_SEEN_EVERY_SECONDS. A session with no row
    (its key changed with a password change, or it began before rows were kept) is given one."""
    now = timezone.now()
    last = request.session.get(LAST_SEEN)
    if not force and last is not None and now.timestamp() - last < LAST_SEEN_EVERY_SECONDS:
        return
    key = request.session.session_key
    if not key:
        return
    if not SignIn.objects.filter(session_key=key).update(last_seen_at=now):
        SignIn.objects.get_or_create(
            session_key=key,
            defaults={
                "user": request.user,
                "last_seen_at": now,
                "client_address": _client_address(request),
                "browser": browser_description(request.META.get("HTTP_USER_AGENT", "")),
            },
        )
    request.session[LAST_SEEN] = now.timestamp()


class LastSeenMiddleware:
    """After AbsoluteSessionLifetimeMiddleware, so a session it has just ended is not seen."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.user.is_authenticated:
            touch(request)
        return None


def sweep_sign_ins(*, now=None) -> int:
    """Remove the rows of sessions that have ended without a sign-out (idle, browser closed, key
    changed, or past the absolute lifetime). Returns how many went."""
    now = now or timezone.now()
    live = Session.objects.filter(expire_date__gt=now).values("session_key")
    ended = SignIn.objects.exclude(session_key__in=live) | SignIn.objects.filter(
        signed_in_at__lte=now - timedelta(seconds=absolute_lifetime_seconds())
    )
    deleted, _ = SignIn.objects.filter(pk__in=ended.values("pk")).delete()
    return deleted


# --------------------------------------------------------------- reading and ending


def sign_ins_of(user, *, now=None):
    """``user``'s sign-ins whose session is still live, most recently seen first."""
    now = now or timezone.now()
    live = Session.objects.filter(expire_date__gt=now).values("session_key")
    return SignIn.objects.filter(
        user=user,
        session_key__in=live,
        signed_in_at__gt=now - timedelta(seconds=absolute_lifetime_seconds()),
    ).order_by("-last_seen_at", "-pk")


def _end(sign_ins) -> int:
    store = _session_store()
    sign_ins = list(sign_ins)
    for sign_in in sign_ins:
        store(sign_in.session_key).delete()
    SignIn.objects.filter(pk__in=[sign_in.pk for sign_in in sign_ins]).delete()
    return len(sign_ins)


def _audit_ended(*, actor, person, ended: int, event: str):
    """Ending someone's sign-ins changes no field, so auditlog's signals see nothing: written here."""
    audit.record_event(person, actor=actor, event=event, sign_ins_ended=ended)


@transaction.atomic
def sign_in_end(*, user, session_key: str) -> None:
    """End one of ``user``'s own sign-ins; Http404 if the key is not one of theirs."""
    sign_in = SignIn.objects.filter(user=user, session_key=session_key).first()
    if sign_in is None:
        raise Http404
    _end([sign_in])
    _audit_ended(actor=user, person=user, ended=1, event="signed out of one sign-in")


@transaction.atomic
def sign_ins_end_others(*, user, keep_session_key: str) -> int:
    """End every sign-in of ``user``'s but this browser's."""
    ended = _end(SignIn.objects.filter(user=user).exclude(session_key=keep_session_key))
    _audit_ended(actor=user, person=user, ended=ended, event="signed out everywhere else")
    return ended


@transaction.atomic
def sign_ins_end_all(*, user, person) -> int:
    """An administrator (``user``) signs ``person`` out of every device. Whether ``user`` may is the
    caller's decision: administrators are defined a floor above this one (families.permissions)."""
    ended = _end(SignIn.objects.filter(user=person))
    _audit_ended(actor=user, person=person, ended=ended, event="signed out of every device")
    return ended


@transaction.atomic
def second_factor_reset(*, actor, person) -> int:
    """An administrator (``actor``) removes ``person``'s app and recovery codes, for a lost phone, and
    signs them out everywhere; they set up a new app when they next sign in. Whether ``actor`` may is
    the caller's decision (families.permissions). Returns how many sign-ins were ended."""
    two_factor.devices_remove(person)
    ended = sign_ins_end_all(user=actor, person=person)
    audit.record_event(person, actor=actor, event="second factor reset")
    return ended


# --------------------------------------------------------------- "Your sign-ins"


@never_cache
@login_required
@require_GET
def your_sign_ins(request):
    # So that this browser is listed even when its row has not been made yet.
    touch(request, force=True)
    sign_ins = list(sign_ins_of(request.user))
    this_key = request.session.session_key
    return render(
        request,
        "staff/sign_ins.html",
        {
            "sign_ins": sign_ins,
            "this_key": this_key,
            "others": [sign_in for sign_in in sign_ins if sign_in.session_key != this_key],
        },
    )


@never_cache
@login_required
@require_POST
def end_sign_in(request, pk):
    sign_in = SignIn.objects.filter(user=request.user, pk=pk).first()
    if sign_in is None:
        raise Http404
    if sign_in.session_key == request.session.session_key:
        # Ending this browser's own sign-in is signing out.
        logout(request)
        return redirect(settings.LOGOUT_REDIRECT_URL)
    sign_in_end(user=request.user, session_key=sign_in.session_key)
    messages.success(request, f"{sign_in.browser or 'That browser'} is signed out.")
    return redirect("staff:sign_ins")


@never_cache
@login_required
@require_POST
def end_other_sign_ins(request):
    ended = sign_ins_end_others(user=request.user, keep_session_key=request.session.session_key)
    if ended:
        messages.success(request, f"Signed out of {ended} other sign-in{'s' if ended != 1 else ''}.")
    else:
        messages.info(request, "You were not signed in anywhere else.")
    return redirect("staff:sign_ins")
