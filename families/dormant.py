"""Accounts nobody uses: the administrators' report of last sign-ins, and switching off the dormant.

An account unused for DORMANT_ACCOUNT_DAYS (from its last sign-in, or from when it was made if it
was never used) is switched off by a nightly job, so that a forgotten password of someone who has
left cannot open children's records. This lives here rather than in staff/ because "never the last
administrator" is a rule about team memberships (see services._refuse_removing_last_administrator).
"""

import dataclasses
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F, Prefetch, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from core import audit
from families.models import Membership, Role
from staff.models import User
from staff.signins import sweep_sign_ins

logger = logging.getLogger(__name__)

DORMANT_EVENT = "switched off: unused"
SWITCHED_OFF_SUBJECT = "Your Pace Cases account has been switched off"


def dormant_cutoff(now: datetime) -> datetime:
    return now - timedelta(days=settings.DORMANT_ACCOUNT_DAYS)


def _last_used():
    return Coalesce("last_login", "date_joined")


# --------------------------------------------------------------- the report


@dataclasses.dataclass(frozen=True)
class LastSignIn:
    account: User
    teams: list[str]
    days_unused: int


def last_sign_ins():
    """Every active account, longest unused first (never signed in counts from the account's making).
    A queryset, to be paginated: teams are prefetched, so a page costs the same whatever its size."""
    return (
        User.objects.filter(is_active=True)
        .annotate(last_used=_last_used())
        .prefetch_related(Prefetch("memberships", queryset=Membership.objects.select_related("team")))
        .order_by(F("last_login").asc(nulls_first=True), "last_used", "full_name", "pk")
    )


def last_sign_in_rows(accounts, *, now=None) -> list[LastSignIn]:
    now = now or timezone.now()
    return [
        LastSignIn(
            account=account,
            teams=sorted({membership.team.name for membership in account.memberships.all()}),
            days_unused=(now - account.last_used).days,
        )
        for account in accounts
    ]


# --------------------------------------------------------------- switching off


@dataclasses.dataclass(frozen=True)
class DormantRun:
    disabled: list[str]  # e-mail addresses
    spared_administrator: str | None
    dry_run: bool


def _dormant(now):
    cutoff = dormant_cutoff(now)
    return User.objects.filter(is_active=True).filter(
        Q(last_login__lt=cutoff) | Q(last_login__isnull=True, date_joined__lt=cutoff)
    )


def dormant_accounts_disable(*, dry_run: bool = False, now=None) -> DormantRun:
    """Switch off every dormant account, in one UPDATE, then write their audit rows in one INSERT and,
    after the commit, tell each person how to get back in. Never switches off the last active
    administrator: when every administrator is dormant, the most recently used one stays on.
    The number of queries does not depend on the number of accounts."""
    now = now or timezone.now()
    with transaction.atomic():
        # The administrators' memberships are locked in the same way as when one is removed, so a
        # removal running at this moment cannot leave nobody able to reach the teams pages.
        administrators = set(
            Membership.objects.select_for_update(of=("self",))
            .filter(role=Role.ADMINISTRATOR, user__is_active=True)
            .values_list("user_id", flat=True)
        )
        candidates = list(
            _dormant(now).select_for_update().annotate(last_used=_last_used()).order_by("-last_used", "pk").values(
                "pk", "email", "full_name"
            )
        )
        spared = None
        candidate_ids = {row["pk"] for row in candidates}
        if administrators and administrators <= candidate_ids:
            # Ordered most recently used first: the first administrator among them keeps the keys.
            spared = next(row for row in candidates if row["pk"] in administrators)
            candidates = [row for row in candidates if row["pk"] != spared["pk"]]
        if dry_run:
            return DormantRun(
                disabled=[row["email"] for row in candidates],
                spared_administrator=spared["email"] if spared else None,
                dry_run=True,
            )
        sweep_sign_ins(now=now)
        if candidates:
            # The rows are locked since the SELECT, so these are exactly the accounts found above.
            User.objects.filter(pk__in=[row["pk"] for row in candidates]).update(is_active=False)
            _audit_switched_off(candidates, now=now)
            recipients = [(row["pk"], row["email"]) for row in candidates]
            transaction.on_commit(lambda: _tell_switched_off(recipients))
    return DormantRun(
        disabled=[row["email"] for row in candidates],
        spared_administrator=spared["email"] if spared else None,
        dry_run=False,
    )


def _audit_switched_off(rows, *, now):
    """The UPDATE sends no signals, so the entries auditlog would have written are written here, by
    the system (no actor)."""
    audit.record_changes(
        [User(pk=row["pk"]) for row in rows], actor=None, changes={"is_active": ["True", "False"]},
        event=DORMANT_EVENT, timestamp=now, dormant_account_days=settings.DORMANT_ACCOUNT_DAYS,
    )


def switched_off_message(email: str) -> EmailMessage:
    days = settings.DORMANT_ACCOUNT_DAYS
    body = (
        f"Your Pace Cases account has been switched off because it had not been used for {days} days. "
        "This keeps the families' records safe when an account is no longer needed.\n\n"
        "If you still need it, ask an administrator to switch your account back on. "
        "Nothing else has changed, and nothing you recorded has been lost.\n\n"
        f"{settings.SITE_URL}\n"
    )
    return EmailMessage(subject=SWITCHED_OFF_SUBJECT, body=body, to=[email])


def _tell_switched_off(recipients):
    """Sent after the commit, one message at a time: a refused address is logged and the rest are
    still sent. The account is off whether or not its message arrives."""
    connection = get_connection()
    for user_id, email in recipients:
        try:
            connection.send_messages([switched_off_message(email)])
        except Exception:
            logger.exception("Could not tell user %s that their account was switched off", user_id)
