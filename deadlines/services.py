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

from core.working_days import Allowance
from deadlines.models import Deadline, Notification, OverdueFlag, OverdueWatermark
from families import permissions
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

# A run looks again at deadlines created up to this long before the previous run's moment. A deadline
# is inserted with created_at taken before its INSERT and becomes visible when its transaction
# commits; a run that did not see it yet (not committed) set its watermark before the commit. The
# next run still finds it as long as created_at is no older than this margin when it commits: the
# margin must exceed the longest transaction that creates deadlines (a request, a data import run
# inside one transaction must use full=True) plus the clock difference between the application
# servers and the worker. A margin that is too long only costs a little reading: deadlines created
# within it are checked again (one index probe each) and skipped.
LATE_COMMIT_MARGIN = timedelta(hours=1)


@dataclass
class OverdueRun:
    flagged: int
    escalated: int
    notifications: int


def _table(model):
    return connection.ops.quote_name(model._meta.db_table)


def _queue_digests(cursor, now: datetime) -> int:
    """Queue one in-app notification and one e-mail per person and event for the flags this run
    raised (raised_at = now) or escalated (escalated_at = now): the key worker of the flag's family
    and the managers of its team, each once. Counted per team and key worker first, so the join
    to memberships works on a few hundred rows, not one per flag."""
    flag, family, membership, notification = (
        _table(OverdueFlag), _table(Family), _table(Membership), _table(Notification)
    )
    # Table names come from model metadata, never from input; every value is a parameter.
    sql = f"""
        WITH events AS (
            SELECT %(raised)s AS event, family_id FROM {flag} WHERE raised_at = %(now)s
            UNION ALL
            SELECT %(escalated)s, family_id FROM {flag} WHERE escalated_at = %(now)s
        ), per_team_and_key_worker AS (
            SELECT e.event, fam.team_id, fam.key_worker_id, count(*) AS flags
              FROM events e JOIN {family} fam ON fam.id = e.family_id
             GROUP BY e.event, fam.team_id, fam.key_worker_id
        ), per_person AS (
            -- The team's managers hear of every flag of the team's families…
            SELECT g.event, m.user_id, g.flags
              FROM per_team_and_key_worker g
              JOIN {membership} m ON m.team_id = g.team_id AND m.role = %(manager)s
            UNION ALL
            -- … and key workers of their families' flags, unless they manage that team (counted above).
            SELECT g.event, g.key_worker_id, g.flags
              FROM per_team_and_key_worker g
             WHERE g.key_worker_id IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM {membership} m
                                WHERE m.team_id = g.team_id AND m.user_id = g.key_worker_id
                                  AND m.role = %(manager)s)
        )
        INSERT INTO {notification}
            (event, recipient_id, channel, flag_count, status, created_at, attempts, next_attempt_at, sent_at,
             last_error)
        SELECT p.event, p.user_id, c.channel, sum(p.flags),
               CASE WHEN c.channel = %(in_app)s THEN %(sent)s ELSE %(pending)s END, %(now)s, 0, %(now)s,
               CASE WHEN c.channel = %(in_app)s THEN %(now)s END, ''
          FROM per_person p
         CROSS JOIN (SELECT %(in_app)s AS channel UNION ALL SELECT %(email)s) c
         WHERE true  -- SQLite needs a WHERE before ON CONFLICT after INSERT … SELECT
         GROUP BY p.event, p.user_id, c.channel
        ON CONFLICT DO NOTHING
    """
    cursor.execute(sql, {
        "now": connection.ops.adapt_datetimefield_value(now),
        "raised": Notification.Event.RAISED,
        "escalated": Notification.Event.ESCALATED,
        "manager": Role.MANAGER,
        "in_app": Notification.Channel.IN_APP,
        "email": Notification.Channel.EMAIL,
        "sent": Notification.Status.SENT,
        "pending": Notification.Status.PENDING,
    })
    # (SQLite reports no row count for an INSERT that starts with WITH.)
    return Notification.objects.filter(created_at=now).count()


def raise_overdue_flags(now: datetime | None = None, *, full: bool = False) -> OverdueRun:
    """Flag every deadline that has passed, escalate flags late by twice their allowance, and queue
    digest notifications. A fixed number of set-based statements, whatever the number of
    deadlines; nothing is written to the deadlines. Safe to run twice, or in two workers at once:

    - runs take turns on the watermark's row lock, and each looks only at open deadlines due since
      the previous run's moment, or created shortly before it (the first run, or ``full=True``:
      every open deadline);
    - one flag per deadline: unique deadline_id; ON CONFLICT DO NOTHING where a deadline may have
      been flagged already (created late, first or full run);
    - the flags a run raised or escalated are those marked with its moment (raised_at,
      escalated_at): one digest per person, event and channel is queued for them, in the same
      transaction.
    """
    now = now or timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        # The row exists after the first run; lock it, so a second run waits for this one to commit.
        OverdueWatermark.objects.bulk_create([OverdueWatermark(pk=1)], ignore_conflicts=True)
        checked_until = OverdueWatermark.objects.select_for_update().get(pk=1).checked_until
        since = None if full else checked_until
        # Flags raised by earlier runs; those raised below are escalated as they are inserted.
        escalated = OverdueFlag.objects.filter(
            level=OverdueFlag.Level.OVERDUE, resolved_at__isnull=True, escalate_at__lt=now
        ).update(level=OverdueFlag.Level.ESCALATED, escalated_at=now)
        params = {
            "now": connection.ops.adapt_datetimefield_value(now),
            "since": connection.ops.adapt_datetimefield_value(since),
            "created_since": connection.ops.adapt_datetimefield_value(since - LATE_COMMIT_MARGIN if since else None),
            "overdue": OverdueFlag.Level.OVERDUE,
            "escalated": OverdueFlag.Level.ESCALATED,
        }
        insert = f"""
            INSERT INTO {_table(OverdueFlag)}
                (deadline_id, family_id, raised_at, level, escalate_at, escalated_at, acknowledgement_note)
            SELECT d.id, d.family_id, %(now)s,
                   CASE WHEN d.escalate_at < %(now)s THEN %(escalated)s ELSE %(overdue)s END,
                   d.escalate_at, CASE WHEN d.escalate_at < %(now)s THEN %(now)s END, ''
              FROM {_table(Deadline)} d
             WHERE d.met_at IS NULL AND d.cancelled_at IS NULL AND d.due_at < %(now)s
        """
        flagged = 0
        if since is not None:
            # Fell due since the last run: no flag yet, as every run flags only what is due before its
            # moment and the watermark is the latest one. A plain INSERT (the unique deadline_id
            # would still refuse a second flag, failing the run).
            cursor.execute(insert + " AND d.due_at >= %(since)s", params)
            flagged += cursor.rowcount
            # Due before the watermark but created (committed) since, less the margin: maybe flagged.
            # Already flagged ones are skipped after one probe of the unique index.
            late = " AND d.due_at < %(since)s AND d.created_at >= %(created_since)s"
        else:
            late = ""  # first run, or full=True: every open deadline that is due
        cursor.execute(insert + late + " ON CONFLICT (deadline_id) DO NOTHING", params)
        flagged += cursor.rowcount
        notifications = 0
        if flagged or escalated:
            if flagged:
                escalated = OverdueFlag.objects.filter(escalated_at=now).count()
            notifications = _queue_digests(cursor, now)
            transaction.on_commit(_start_sending)
        if checked_until is None or now > checked_until:
            OverdueWatermark.objects.filter(pk=1).update(checked_until=now)
    return OverdueRun(flagged=flagged, escalated=escalated, notifications=notifications)


def _start_sending():
    from deadlines.tasks import send_notifications

    send_notifications.delay()


# ------------------------------------------------------------ notifications

DIGEST_REFERENCES = 20


def _email_for(notification: Notification):
    from deadlines import selectors

    count = notification.flag_count
    references = selectors.digest_family_references(notification, limit=DIGEST_REFERENCES)
    manages = bool(permissions.managed_team_ids(notification.recipient))
    where = "the overdue queue" if manages else "My work"
    link = settings.SITE_URL.rstrip("/") + reverse("deadlines:queue" if manages else "home")
    deadlines = f"{count} deadline{'' if count == 1 else 's'}"
    if notification.event == Notification.Event.ESCALATED:
        subject = f"Very late: {deadlines} for your families"
        what = f"{deadlines} for your families {'is' if count == 1 else 'are'} late by twice the time allowed."
    else:
        subject = f"Overdue: {deadlines} for your families"
        what = f"{deadlines} for your families {'has' if count == 1 else 'have'} passed."
    more = count - len(references)
    listed = ", ".join(references) + (f" and {more} more" if more > 0 and references else "")
    # Only family references and a link: no names or case details leave the application.
    body = f"{what}\n\n" + (f"Families: {listed}\n\n" if references else "") + f"See {where}: {link}\n"
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
                .select_related("recipient")
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
