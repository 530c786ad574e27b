"""Sending the e-mail digests queued by the overdue job: at most once, and never while holding
row locks.

Each e-mail goes through these steps, each its own short transaction:

1. **Claim.** One row is chosen with ``SELECT … FOR UPDATE SKIP LOCKED`` and claimed with a
   conditional ``UPDATE … WHERE status = 'pending'`` (to "sending", ``claimed_at`` set, one more
   attempt counted), then committed. Several senders share the queue; each row has one claimant.
   A deactivated recipient's row is marked so instead, and a digest whose flags have all been
   resolved is marked "not needed": neither is sent.
2. **Send,** outside any transaction, with the mail server's timeout (``EMAIL_TIMEOUT``).
3. **Record** the outcome: sent; back to pending with a later retry; failed; or "unknown".

At most once: a row is sent again automatically only when its previous attempt certainly did not
hand it over (the connection could not be opened, the message could not be built, or the server
refused it). A row whose sender stopped while talking to the server, or died after claiming it,
may have been sent: it is marked "unknown" (at once, or when its claim is older than
``SEND_LEASE``) and is only sent again when an administrator asks (the outbox page).

Retries: after 5, 10, 20 and 40 minutes, then every hour for as long as the digest still matters
(one of its flags is open), so a long mail outage delays the digests rather than losing them.
Failures that will not go away by waiting (the message cannot be built, the server refuses the
message or its recipient) end in "failed" after ``MAX_SEND_ATTEMPTS`` attempts.
"""

import logging
import smtplib
from collections.abc import Callable
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta

from auditlog.models import LogEntry
from celery import current_app
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.urls import reverse
from django.utils import timezone

from deadlines import kinds, selectors
from deadlines.models import Notification, OverdueFlag
from families import permissions
from families.models import Membership, Role

logger = logging.getLogger(__name__)

# Attempts allowed for failures that waiting will not cure (see the module's docstring).
MAX_SEND_ATTEMPTS = 5
RETRY_DELAY_CAP = timedelta(minutes=60)
DIGEST_REFERENCES = 20

# The send task's limits (deadlines.tasks). The soft limit ends a run between e-mails or in the
# middle of one; the hard limit kills the worker, which can leave one row claimed.
SEND_SOFT_TIME_LIMIT = 240
SEND_TIME_LIMIT = 300
# A claim older than this belongs to a sender that has died: no live sender keeps a row longer
# than the send task's hard limit, and the management command's sends are bounded by the mail
# server's timeout on each step of the conversation.
SEND_LEASE = timedelta(minutes=15)

DIED_WHILE_SENDING = "The sender stopped while sending; it may have been sent."
STOPPED_WHILE_SENDING = "The send run reached its time limit while sending; it may have been sent."

EMAILS = Q(channel=Notification.Channel.EMAIL)
# Rows an administrator is shown: waiting after a failed attempt, failed, or maybe not sent.
NEEDING_ATTENTION = EMAILS & (
    Q(status=Notification.Status.PENDING, attempts__gt=0)
    | Q(status__in=[Notification.Status.FAILED, Notification.Status.UNKNOWN])
)


def _retry_delay(attempts: int) -> timedelta:
    """5, 10, 20, 40 minutes, then every hour."""
    return min(timedelta(minutes=5 * 2 ** (attempts - 1)), RETRY_DELAY_CAP)


def still_matters():
    """An annotation: one of the digest's flags is still open. Its flags are those raised (or
    escalated) at its run's moment, of families the recipient is key worker of or whose team the
    recipient manages, as for ``selectors.digest_family_references``, and, for an administrator,
    those of the kinds told to administrators (a breach's, which is no family's)."""
    managed_teams = Membership.objects.filter(
        user_id=OuterRef(OuterRef("recipient_id")), role__in=permissions.MANAGING_ROLES
    ).values("team_id")
    reach = Q(family__key_worker_id=OuterRef("recipient_id")) | Q(family__team_id__in=managed_teams)
    telling_administrators = kinds.telling(kinds.Audience.ADMINISTRATORS)
    if telling_administrators:
        administers = Membership.objects.filter(user_id=OuterRef(OuterRef("recipient_id")), role=Role.ADMINISTRATOR)
        reach |= Exists(administers) & Q(deadline__kind__in=telling_administrators)
    open_flags = OverdueFlag.objects.filter(resolved_at__isnull=True).filter(reach)
    return Case(
        When(event=Notification.Event.RAISED, then=Exists(open_flags.filter(raised_at=OuterRef("created_at")))),
        When(
            event=Notification.Event.ESCALATED, then=Exists(open_flags.filter(escalated_at=OuterRef("created_at")))
        ),
        default=Value(False),
        output_field=BooleanField(),
    )


# ------------------------------------------------------------------ the message


def _email_for(notification: Notification):
    count = notification.flag_count
    references = selectors.digest_family_references(notification, limit=DIGEST_REFERENCES)
    as_administrator = selectors.digest_kinds_for_administrator(notification)
    manages = bool(permissions.managed_team_ids(notification.recipient))
    site = settings.SITE_URL.rstrip("/")
    where = "the overdue queue" if manages else "My work"
    link = site + reverse("deadlines:queue" if manages else "home")
    deadlines = f"{count} deadline{'' if count == 1 else 's'}"
    # "For your families" only when every flag is of a family the recipient works with: a breach is
    # no family's, and an administrator hears of some families' promises that are not theirs.
    for_whom = "" if as_administrator else " for your families"
    if notification.event == Notification.Event.ESCALATED:
        subject = f"Very late: {deadlines}{for_whom}"
        what = f"{deadlines}{for_whom} {'is' if count == 1 else 'are'} late by twice the time allowed."
    else:
        subject = f"Overdue: {deadlines}{for_whom}"
        what = f"{deadlines}{for_whom} {'has' if count == 1 else 'have'} passed."
    more = count - len(references)
    listed = ", ".join(references) + (f" and {more} more" if more > 0 and references and not as_administrator
                                      else "")
    places = [f"See {where}: {link}"] if references or not as_administrator else []
    for code in as_administrator:
        kind = kinds.get(code)
        if kind.overview_url_name:
            places.append(f"{kind.label}: see {kind.overview_name}: {site}{reverse(kind.overview_url_name)}")
        else:
            places.append(f"{kind.label}: see your notifications: {site}{reverse('deadlines:notifications')}")
    # Only family references, what is due and links: no names or case details leave the application.
    body = f"{what}\n\n" + (f"Families: {listed}\n\n" if references else "") + "\n".join(places) + "\n"
    return subject, body


# ------------------------------------------------------------------ handing it over


class NotDelivered(Exception):  # noqa: N818 - an outcome, not a programming error
    """The message was certainly not handed over. ``unreachable``: the mail server could not be
    reached at all, so the other rows would fail the same way."""

    def __init__(self, error: BaseException, *, unreachable: bool, permanent: bool = False):
        super().__init__(str(error))
        self.error = error
        self.unreachable = unreachable
        self.permanent = permanent


class MaybeDelivered(Exception):  # noqa: N818 - an outcome, not a programming error
    """The conversation broke off after the message was being handed over: it may have arrived."""

    def __init__(self, error: BaseException):
        super().__init__(str(error))
        self.error = error


def _refused(error: BaseException) -> tuple[bool, bool]:
    """(the server refused, permanently): an SMTP reply saying no means nothing was accepted."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in error.recipients.values()]
        return True, bool(codes) and all(code >= 500 for code in codes)
    if isinstance(error, smtplib.SMTPResponseException):
        return True, error.smtp_code >= 500
    return False, False


def _deliver(message: EmailMessage) -> None:
    """Hand one message to the mail backend on its own connection, with ``EMAIL_TIMEOUT`` on every
    socket operation. Raises NotDelivered or MaybeDelivered; SoftTimeLimitExceeded is turned into
    one of them too, and the caller stops its run."""
    connection = get_connection(timeout=settings.EMAIL_TIMEOUT)
    try:
        try:
            connection.open()
        except (Exception, SoftTimeLimitExceeded) as error:
            raise NotDelivered(error, unreachable=True) from error
        try:
            if not connection.send_messages([message]):
                raise NotDelivered(ValueError("the backend sent nothing"), unreachable=False, permanent=True)
        except NotDelivered:
            raise
        except (Exception, SoftTimeLimitExceeded) as error:
            refused, permanent = _refused(error)
            if refused:
                raise NotDelivered(error, unreachable=False, permanent=permanent) from error
            raise MaybeDelivered(error) from error
    finally:
        # Failing to say goodbye changes nothing about what was handed over.
        with suppress(Exception):
            connection.close()


def describe(error: BaseException) -> str:
    """For the outbox page and the logs: the kind of error and the mail server's words, which
    never contain case details (only our own envelope and the server's status)."""
    text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return text[: Notification._meta.get_field("last_error").max_length]


# ------------------------------------------------------------------ the send run


@dataclass
class _Claimed:
    notification: Notification
    moment: datetime


def expire_claims(now: datetime) -> int:
    """Rows claimed longer ago than SEND_LEASE: their sender died between claiming and finishing.
    They may have been sent, so they are marked "unknown", never returned to the queue."""
    return Notification.objects.filter(
        status=Notification.Status.SENDING, claimed_at__lt=now - SEND_LEASE
    ).update(status=Notification.Status.UNKNOWN, last_error=DIED_WHILE_SENDING)


def _claim_next(moment: datetime) -> Notification | None | bool:
    """Claim one due e-mail and commit. None when nothing is due; False when the row looked at was
    not claimed (marked not to be sent, or another sender was first) and the caller should go on."""
    pending = Notification.Status.PENDING
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(EMAILS, status=pending, next_attempt_at__lte=moment)
            .select_related("recipient")
            .annotate(matters=still_matters())
            .order_by("next_attempt_at", "pk")
            .first()
        )
        if notification is None:
            return None
        row = Notification.objects.filter(pk=notification.pk, status=pending)
        if not notification.recipient.is_active:
            row.update(status=Notification.Status.RECIPIENT_INACTIVE)
            return False
        if not notification.matters:
            row.update(status=Notification.Status.NOT_NEEDED)
            return False
        # The conditional UPDATE is the claim (on SQLite, where FOR UPDATE does nothing, the only one).
        if not row.update(status=Notification.Status.SENDING, claimed_at=moment, attempts=F("attempts") + 1):
            return False
    notification.status = Notification.Status.SENDING
    notification.attempts += 1
    return notification


def _record_not_sent(notification: Notification, error: BaseException, moment: datetime, *, permanent: bool):
    notification.last_error = describe(error)
    if permanent and notification.attempts >= MAX_SEND_ATTEMPTS:
        status, next_attempt_at = Notification.Status.FAILED, notification.next_attempt_at
    else:
        status, next_attempt_at = Notification.Status.PENDING, moment + _retry_delay(notification.attempts)
    logger.warning(
        "Notification %s not sent (attempt %s, %s): %s",
        notification.pk, notification.attempts, status, notification.last_error,
    )
    Notification.objects.filter(pk=notification.pk, status=Notification.Status.SENDING).update(
        status=status, next_attempt_at=next_attempt_at, last_error=notification.last_error
    )


def _record_maybe_sent(notification: Notification, error: BaseException):
    notification.last_error = describe(error)
    logger.error("Notification %s may not have been sent: %s", notification.pk, notification.last_error)
    Notification.objects.filter(pk=notification.pk, status=Notification.Status.SENDING).update(
        status=Notification.Status.UNKNOWN, last_error=notification.last_error
    )


def _record_sent(notification: Notification, moment: datetime):
    # Also from "unknown": a send that outlived its lease did reach the server after all.
    Notification.objects.filter(
        pk=notification.pk, status__in=[Notification.Status.SENDING, Notification.Status.UNKNOWN]
    ).update(status=Notification.Status.SENT, sent_at=moment)


def send_pending_notifications(now: datetime | None = None) -> int:
    """Send the e-mails that are due, one claim at a time, and return how many were sent.

    Stops early, leaving the rest for the next run, when the mail server cannot be reached (every
    other e-mail would wait for the same timeout) or when the task's soft time limit is reached.
    ``now`` fixes the run's clock (tests); otherwise each step reads the clock."""
    clock: Callable[[], datetime] = (lambda: now) if now else timezone.now
    expire_claims(clock())
    sent = 0
    while True:
        try:
            notification = _claim_next(clock())
        except SoftTimeLimitExceeded:
            return sent  # the claim's transaction was rolled back
        if notification is None:
            return sent
        if notification is False:
            continue
        try:
            subject, body = _email_for(notification)
        except SoftTimeLimitExceeded as error:
            _record_not_sent(notification, error, clock(), permanent=False)
            return sent
        except Exception as error:  # noqa: BLE001 - a message that cannot be built must not stop the rest
            logger.exception("Notification %s could not be built", notification.pk)
            _record_not_sent(notification, error, clock(), permanent=True)
            continue
        message = EmailMessage(subject, body, None, [notification.recipient.email])
        try:
            _deliver(message)
        except NotDelivered as outcome:
            _record_not_sent(notification, outcome.error, clock(), permanent=outcome.permanent)
            if outcome.unreachable or isinstance(outcome.error, SoftTimeLimitExceeded):
                return sent
        except MaybeDelivered as outcome:
            stopped = isinstance(outcome.error, SoftTimeLimitExceeded)
            _record_maybe_sent(notification, RuntimeError(STOPPED_WHILE_SENDING) if stopped else outcome.error)
            if stopped:
                return sent
        else:
            _record_sent(notification, clock())
            sent += 1


# ------------------------------------------------------------------ handing off to the mail queue

_hand_off_failures: ContextVar[list | None] = ContextVar("hand_off_failures", default=None)


@contextmanager
def hand_off_failures():
    """Collects the broker errors of ``start_sending`` calls made inside (the management command
    reports them)."""
    failures: list[BaseException] = []
    token = _hand_off_failures.set(failures)
    try:
        yield failures
    finally:
        _hand_off_failures.reset(token)


def start_sending() -> bool:
    """Ask a mail worker to send now; for ``transaction.on_commit``. Never raises: the data is
    committed whatever happens here, and the beat's every-minute send run picks the e-mails up
    when the broker is back."""
    try:
        # Looked up by name (deadlines.apps registers the tasks): the task module imports this one.
        current_app.tasks["deadlines.tasks.send_notifications"].delay()
    except Exception as error:  # noqa: BLE001 - a broker outage must not fail the caller after its commit
        logger.warning("Could not queue the sending of notifications (%s); the next send run will.",
                       describe(error))
        failures = _hand_off_failures.get()
        if failures is not None:
            failures.append(error)
        return False
    return True


# ------------------------------------------------------------------ administrators


def outbox_rows():
    """E-mails administrators are shown, newest first: waiting after a failed attempt, failed, or
    possibly not sent; ``matters`` says whether one of their flags is still open (worth trying
    again)."""
    return (
        Notification.objects.filter(NEEDING_ATTENTION)
        .select_related("recipient")
        .annotate(matters=still_matters())
        .order_by("-created_at", "-pk")
    )


def can_retry(notification: Notification) -> bool:
    """From ``outbox_rows``: failed or possibly not sent, to an active account, about an open flag."""
    return (
        notification.status in (Notification.Status.FAILED, Notification.Status.UNKNOWN)
        and notification.recipient.is_active
        and notification.matters
    )


def notification_retry(*, user, notification_id: int, now: datetime | None = None) -> bool:
    """An administrator asks for a failed (or possibly unsent) e-mail to be tried again now. Only a
    row still worth sending (see ``can_retry``) goes back to the queue; the request is audited."""
    now = now or timezone.now()
    with transaction.atomic():
        notification = outbox_rows().select_for_update(of=("self",)).filter(pk=notification_id).first()
        if notification is None or not can_retry(notification):
            return False
        Notification.objects.filter(pk=notification.pk, status=notification.status).update(
            status=Notification.Status.PENDING, next_attempt_at=now
        )
        LogEntry.objects.log_create(
            notification, action=LogEntry.Action.UPDATE, actor=user, force_log=True,
            changes={"status": [notification.status, Notification.Status.PENDING]},
        )
        transaction.on_commit(start_sending)
    return True


def mail_trouble_annotations():
    """Annotations (for a query on any model) describing e-mail that is not being delivered:
    pending e-mails, the oldest one's creation, and the latest error of one waiting to be retried
    (None when the last attempts went through). Pending rows are few when mail flows, and the
    partial index "notification_to_send" covers exactly them."""
    pending = Notification.objects.filter(EMAILS, status=Notification.Status.PENDING).order_by()
    return {
        "mail_waiting": Subquery(
            pending.values("channel").annotate(count=Count("pk")).values("count"), output_field=IntegerField()
        ),
        "mail_waiting_since": Subquery(
            pending.order_by("created_at").values("created_at")[:1], output_field=DateTimeField()
        ),
        "mail_last_error": Subquery(
            pending.exclude(last_error="").order_by(F("claimed_at").desc(nulls_last=True)).values("last_error")[:1],
            output_field=CharField(),
        ),
    }
