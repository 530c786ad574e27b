"""Opening and meeting deadlines, raising overdue flags, and sending their notifications."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import send_mail
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from deadlines.models import Deadline, Notification, OverdueFlag
from deadlines.working_days import Allowance
from families.models import Family, Membership, Role

logger = logging.getLogger(__name__)

MAX_SEND_ATTEMPTS = 5
SEND_BATCH = 100


def _retry_delay(attempts: int) -> timedelta:
    return timedelta(minutes=5 * 2 ** (attempts - 1))  # 5, 10, 20, 40 minutes


# ---------------------------------------------------------------- deadlines


def deadline_set(*, family: Family, subject, kind: str, label: str, allowance: Allowance, nation: str,
                 started_at: datetime, now: datetime | None = None) -> Deadline:
    """Make sure ``subject`` has one open deadline of ``kind`` running from ``started_at``.

    Called from the owning app's service inside its transaction. If the open deadline
    started at another moment (a date was corrected) it is cancelled and a new one opened,
    so its flag, if any, is resolved and keeps its history.
    """
    now = now or timezone.now()
    subject_type = ContentType.objects.get_for_model(subject)
    current = Deadline.objects.filter(
        subject_type=subject_type, subject_id=subject.pk, kind=kind, met_at__isnull=True, cancelled_at__isnull=True
    ).first()
    if current and current.started_at == started_at and current.allowance == str(allowance):
        return current
    if current:
        deadline_cancel(current, at=now)
    due_at = allowance.due_from(started_at, nation)
    return Deadline.objects.create(
        family=family,
        subject_type=subject_type,
        subject_id=subject.pk,
        kind=kind,
        label=label,
        allowance=str(allowance),
        nation=nation,
        started_at=started_at,
        due_at=due_at,
        escalate_at=allowance.twice().due_from(started_at, nation),
    )


def deadline_meet(deadline: Deadline, *, at: datetime):
    """The promised thing happened at ``at``: stop the clock and resolve its flag."""
    Deadline.objects.filter(pk=deadline.pk, met_at__isnull=True).update(met_at=at)
    OverdueFlag.objects.filter(deadline=deadline, resolved_at__isnull=True).update(resolved_at=timezone.now())


def deadline_cancel(deadline: Deadline, *, at: datetime):
    """The deadline no longer applies (a decision changed, a referral closed)."""
    Deadline.objects.filter(pk=deadline.pk, cancelled_at__isnull=True).update(cancelled_at=at)
    OverdueFlag.objects.filter(deadline=deadline, resolved_at__isnull=True).update(resolved_at=at)


def open_deadlines_for(subject):
    return Deadline.objects.filter(
        subject_type=ContentType.objects.get_for_model(subject),
        subject_id=subject.pk,
        met_at__isnull=True,
        cancelled_at__isnull=True,
    )


# ------------------------------------------------------------ the overdue job


@dataclass
class OverdueRun:
    flagged: int
    escalated: int
    notifications: int


def _table(model):
    return connection.ops.quote_name(model._meta.db_table)


def _insert_notifications(cursor, event: str, marker_column: str, now: datetime) -> int:
    """Queue an in-app notification and an e-mail for the key worker and the team's managers
    of every flag whose ``marker_column`` equals ``now`` (the flags this run raised or escalated)."""
    flag, family, membership, notification = (
        _table(OverdueFlag), _table(Family), _table(Membership), _table(Notification)
    )
    moment = connection.ops.adapt_datetimefield_value(now)
    # Table names come from model metadata, never from input; every value is a parameter.
    recipients = f"""
        SELECT f.id AS flag_id, fam.key_worker_id AS user_id
          FROM {flag} f JOIN {family} fam ON fam.id = f.family_id
         WHERE f.{marker_column} = %s AND fam.key_worker_id IS NOT NULL
        UNION
        SELECT f.id, m.user_id
          FROM {flag} f JOIN {family} fam ON fam.id = f.family_id
          JOIN {membership} m ON m.team_id = fam.team_id AND m.role = %s
         WHERE f.{marker_column} = %s
    """
    sql = f"""
        INSERT INTO {notification}
            (flag_id, event, recipient_id, channel, status, created_at, attempts, next_attempt_at, sent_at,
             last_error)
        SELECT r.flag_id, %s, r.user_id, c.channel,
               CASE WHEN c.channel = %s THEN %s ELSE %s END, %s, 0, %s,
               CASE WHEN c.channel = %s THEN %s END, ''
          FROM ({recipients}) r
         CROSS JOIN (SELECT %s AS channel UNION ALL SELECT %s) c
         WHERE r.user_id IS NOT NULL
        ON CONFLICT DO NOTHING
    """
    in_app, email = Notification.Channel.IN_APP, Notification.Channel.EMAIL
    params = [
        event, in_app, Notification.Status.SENT, Notification.Status.PENDING, moment, moment, in_app, moment,
        moment, Role.MANAGER, moment, in_app, email,
    ]
    cursor.execute(sql, params)
    return cursor.rowcount


def raise_overdue_flags(now: datetime | None = None) -> OverdueRun:
    """Flag every deadline that has passed, escalate flags late by twice their allowance,
    and queue notifications. A fixed number of set-based statements, whatever the number of
    deadlines; safe to run twice, or in two workers at once:

    - a deadline is claimed with a conditional UPDATE (flagged_at IS NULL), so a second
      runner waiting on the row lock finds it already claimed;
    - one flag per deadline (unique deadline_id, ON CONFLICT DO NOTHING);
    - one notification per flag, event, person and channel (unique, ON CONFLICT DO NOTHING).
    """
    now = now or timezone.now()
    moment = connection.ops.adapt_datetimefield_value(now)
    with transaction.atomic(), connection.cursor() as cursor:
        flagged = Deadline.objects.filter(
            met_at__isnull=True, cancelled_at__isnull=True, flagged_at__isnull=True, due_at__lt=now
        ).update(flagged_at=now)
        notifications = 0
        if flagged:
            cursor.execute(
                f"""
                INSERT INTO {_table(OverdueFlag)}
                    (deadline_id, family_id, raised_at, level, escalate_at, acknowledgement_note)
                SELECT d.id, d.family_id, %s, %s, d.escalate_at, ''
                  FROM {_table(Deadline)} d
                 WHERE d.flagged_at = %s
                ON CONFLICT DO NOTHING
                """,
                [moment, OverdueFlag.Level.OVERDUE, moment],
            )
            notifications += _insert_notifications(cursor, Notification.Event.RAISED, "raised_at", now)
        escalated = OverdueFlag.objects.filter(
            level=OverdueFlag.Level.OVERDUE, resolved_at__isnull=True, escalate_at__lt=now
        ).update(level=OverdueFlag.Level.ESCALATED, escalated_at=now)
        if escalated:
            notifications += _insert_notifications(cursor, Notification.Event.ESCALATED, "escalated_at", now)
        if notifications:
            transaction.on_commit(_start_sending)
    return OverdueRun(flagged=flagged, escalated=escalated, notifications=notifications)


def _start_sending():
    from deadlines.tasks import send_notifications

    send_notifications.delay()


# ------------------------------------------------------------ notifications


def _email_for(notification: Notification):
    family = notification.flag.family
    link = settings.SITE_URL.rstrip("/") + reverse("families:detail", args=[family.pk])
    if notification.event == Notification.Event.ESCALATED:
        subject = f"Very late: a deadline for family {family.reference}"
    else:
        subject = f"Overdue: a deadline for family {family.reference}"
    # Only the reference and a link: no names or case details leave the application.
    body = (
        f"A deadline for family {family.reference} has passed"
        f"{' by twice the time allowed' if notification.event == Notification.Event.ESCALATED else ''}.\n\n"
        f"Sign in to see it: {link}\n"
    )
    return subject, body


def send_pending_notifications(now: datetime | None = None, batch: int = SEND_BATCH) -> int:
    """Send queued e-mails. Rows are claimed with SELECT … FOR UPDATE SKIP LOCKED, so several
    workers share the queue and no e-mail is sent twice; a failure is retried later, up to
    MAX_SEND_ATTEMPTS, and never stops the others."""
    now = now or timezone.now()
    sent = 0
    while True:
        with transaction.atomic():
            claimed = list(
                Notification.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(status=Notification.Status.PENDING, channel=Notification.Channel.EMAIL,
                        next_attempt_at__lte=now)
                .select_related("flag__family", "recipient")
                .order_by("next_attempt_at", "pk")[:batch]
            )
            if not claimed:
                return sent
            for notification in claimed:
                subject, body = _email_for(notification)
                notification.attempts += 1
                try:
                    send_mail(subject, body, None, [notification.recipient.email])
                except Exception as error:  # noqa: BLE001 - any failure of one e-mail is retried later
                    logger.warning("Notification %s not sent (attempt %s): %s", notification.pk,
                                   notification.attempts, type(error).__name__)
                    notification.last_error = type(error).__name__
                    if notification.attempts >= MAX_SEND_ATTEMPTS:
                        notification.status = Notification.Status.FAILED
                    else:
                        notification.next_attempt_at = now + _retry_delay(notification.attempts)
                else:
                    notification.status = Notification.Status.SENT
                    notification.sent_at = timezone.now()
                    sent += 1
            Notification.objects.bulk_update(
                claimed, ["attempts", "status", "sent_at", "next_attempt_at", "last_error"]
            )
        if len(claimed) < batch:
            return sent


# ------------------------------------------------------------ people's actions on flags


@transaction.atomic
def flags_acknowledge(*, user, flags, note: str) -> int:
    """A manager has seen these flags and says what is being done. Already acknowledged ones keep
    their first acknowledgement."""
    ids = [flag.pk for flag in flags]
    acknowledged = 0
    for flag in OverdueFlag.objects.select_for_update().filter(pk__in=ids, acknowledged_at__isnull=True):
        flag.acknowledged_at = timezone.now()
        flag.acknowledged_by = user
        flag.acknowledgement_note = note
        flag.save(update_fields=["acknowledged_at", "acknowledged_by", "acknowledgement_note"])
        acknowledged += 1
    return acknowledged


def notification_mark_read(*, user, notification_ids):
    return Notification.objects.filter(
        recipient=user, pk__in=notification_ids, channel=Notification.Channel.IN_APP, read_at__isnull=True
    ).update(read_at=timezone.now())
