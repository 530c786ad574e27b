from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum

from core.validators import without_control_characters

# django-axes stores the name in columns of this length; anything longer would fail to save.
_STORED_LENGTH = AccessAttempt._meta.get_field("username").max_length


def lockout_username(request, credentials=None):
    """The e-mail address being signed in with, as django-axes counts failures against it.

    Lower-cased, so "Sam@..." and "sam@..." share one count, as they share one account. Without
    control characters (PostgreSQL refuses NUL) and cut to the length axes stores: no address is
    that long, so a longer one is a probe, and its failures still count against one name.
    """
    source = credentials if credentials else getattr(request, "POST", {})
    username = without_control_characters(source.get("username") or "").strip().lower()
    return username[:_STORED_LENGTH] or None


# ------------------------------------------------------------------ password spraying


class SignInThrottle(AxesDatabaseHandler):
    """django-axes, with a second limit per client address.

    Axes counts failures for each account from each address (AXES_FAILURE_LIMIT, 5) and compares
    every counter it keeps with that one limit, so it cannot also lock an address at a higher
    count. Someone trying one or two common passwords on each of many accounts (spraying) never
    reaches 5 on any of them; this counts the failures from one address whatever the e-mail
    addresses tried, and pauses signing in from it at SIGNIN_ADDRESS_FAILURE_LIMIT. The count is
    taken from the rows axes already keeps, windowed as axes windows its own (AXES_COOLOFF_TIME after
    the latest failure). A successful sign-in clears only that account's rows, so signing in to an
    account of one's own does not wipe the count of failures on everyone else's.
    """

    def is_locked(self, request, credentials=None) -> bool:
        return super().is_locked(request, credentials) or address_is_locked(request)

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request, **kwargs)
        # The failure that reaches the limit already gets the lockout page, as axes does for an account.
        if request is not None and not getattr(request, "axes_locked_out", False) and address_is_locked(request):
            request.axes_locked_out = True
            request.axes_credentials = credentials


def address_failures(request) -> int:
    """Failed sign-ins from the request's client address (core.client_address) in the cool-off window."""
    ip_address = getattr(request, "axes_ip_address", None)
    if not ip_address:
        return 0
    total = AccessAttempt.objects.filter(
        ip_address=ip_address, attempt_time__gte=get_cool_off_threshold(request)
    ).aggregate(total=Sum("failures_since_start"))["total"]
    return total or 0


def address_is_locked(request) -> bool:
    return address_failures(request) >= settings.SIGNIN_ADDRESS_FAILURE_LIMIT
