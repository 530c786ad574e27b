"""Resetting a forgotten password by e-mail, without telling anyone who has an account.

Asking for a link always gives the same page, whether or not the address belongs to anyone: the
e-mail is looked up and sent by a task (staff.tasks), so even the time the answer takes does not
depend on it. Links are Django's: signed with the password they replace (so they work once) and
valid for PASSWORD_RESET_TIMEOUT. Asking is rate limited per e-mail address and per client
address, so the form cannot be used to fill someone's inbox or to try addresses in bulk.

Choosing a new password does not sign the person in: they sign in as usual, so a second factor
asked for at sign-in can never be stepped around by way of a reset. It clears the sign-in lockouts
on that account (only that account's, never those of the client address): whoever can read the
account's mailbox could set a new password anyway, and the person should not have to wait out a
lockout that someone guessing at the old password caused.
"""

import hashlib
from urllib.parse import urlsplit

from axes.utils import reset as reset_signin_attempts
from celery import current_app
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.core.cache import cache
from django.db import transaction
from django.shortcuts import render
from django.urls import reverse_lazy

from core import audit
from core.client_address import axes_client_address
from staff.models import User
from staff.signin import lockout_username

EMAIL_TEMPLATE = "registration/password_reset_email.html"
SUBJECT_TEMPLATE = "registration/password_reset_subject.txt"
LIMITED_TEMPLATE = "registration/password_reset_limited.html"


# ------------------------------------------------------------------ rate limit


def _counter_key(kind: str, value: str) -> str:
    # Hashed, so the cache never holds the e-mail addresses people typed.
    return f"password-reset:{kind}:{hashlib.sha256(value.encode()).hexdigest()}"


def _count(key: str) -> int:
    """One more request in this key's window; the window starts with its first request."""
    window = settings.PASSWORD_RESET_WINDOW_MINUTES * 60
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window)
        return 1


def password_reset_allowed(*, email: str, client_address: str | None) -> bool:
    """Count a request for a reset link and say whether it is within both limits. Counted for any
    address typed, with an account or not, so being refused reveals nothing either."""
    by_email = _count(_counter_key("email", email.strip().lower()))
    by_address = _count(_counter_key("address", client_address or "unknown"))
    return by_email <= settings.PASSWORD_RESET_EMAIL_LIMIT and by_address <= settings.PASSWORD_RESET_ADDRESS_LIMIT


# ------------------------------------------------------------------ the e-mail


def reset_minutes() -> int:
    return settings.PASSWORD_RESET_TIMEOUT // 60


def password_reset_send(*, email: str, domain: str, use_https: bool) -> None:
    """Send a reset link to each active account with this address (none, nearly always one).
    Django's form skips inactive accounts and those without a usable password."""
    form = PasswordResetForm({"email": email})
    if not form.is_valid():
        return
    form.save(
        domain_override=domain,
        use_https=use_https,
        subject_template_name=SUBJECT_TEMPLATE,
        email_template_name=EMAIL_TEMPLATE,
        from_email=settings.DEFAULT_FROM_EMAIL,
        extra_email_context={"reset_minutes": reset_minutes()},
    )


# ------------------------------------------------------------------ completing a reset


@transaction.atomic
def password_reset_complete(*, form) -> User:
    """Save the new password, audit it and clear the account's sign-in lockouts."""
    user = form.save()
    audit.record_event(user, actor=user, event="password reset by e-mail")
    reset_signin_attempts(username=lockout_username(None, {"username": user.email}))
    return user


# ------------------------------------------------------------------ views


class PasswordResetRequestView(auth_views.PasswordResetView):
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        if not password_reset_allowed(email=email, client_address=axes_client_address(self.request)):
            return render(self.request, LIMITED_TEMPLATE, {"minutes": settings.PASSWORD_RESET_WINDOW_MINUTES},
                          status=429)
        # Always queued, whether or not anyone has this address: the answer takes the same time.
        site = urlsplit(settings.SITE_URL)
        # Started by name: staff.tasks imports this module.
        current_app.tasks["staff.tasks.send_password_reset"].apply_async(
            kwargs={"email": email, "domain": site.netloc, "use_https": site.scheme == "https"},
            queue=settings.CELERY_MAIL_QUEUE,  # a slow mail server then holds up nothing else
        )
        return super(auth_views.PasswordResetView, self).form_valid(form)


class PasswordResetDone(auth_views.PasswordResetDoneView):
    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs, reset_minutes=reset_minutes())


class PasswordResetConfirm(auth_views.PasswordResetConfirmView):
    post_reset_login = False
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form):
        password_reset_complete(form=form)
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        return super(auth_views.PasswordResetConfirmView, self).form_valid(form)
