"""Opening and meeting deadlines, raising overdue flags and queueing their notifications (sent by
``deadlines.outbox``)."""

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone

from core.working_days import Allowance, end_of_local_day
from deadlines import kinds, outbox
from deadlines.models import Deadline, Notification, OverdueFlag, OverdueWatermark
from families import permissions
from families.models import Family, Membership
from staff.models import User

logger = logging.getLogger(__name__)

# ---------------------------------------------------------------- deadlines


@dataclass(frozen=True)
class WantedDeadline:
    """A deadline the owning app says a subject should have: running from ``started_at``, and met at
    ``met_at`` where the promised thing is already recorded (whatever order the dates came in)."""

    kind: str
    label: str
    allowance: Allowance
    started_at: datetime
    met_at: datetime | None = None


def _same_clock(deadline: Deadline, wanted: WantedDeadline) -> bool:
    return deadline.started_at == wanted.started_at and deadline.allowance == str(wanted.allowance)


def deadlines_sync(*, subject, family: Family | None, nation: str, wanted: list[WantedDeadline],
                   local_authority_id: int | None = None, now: datetime | None = None) -> list[Deadline]:
    """Make ``subject``'s deadlines what its app wants, inside the caller's transaction: each wanted
    clock exists once (met where it says so), an open one that started at another moment or under
    another allowance is cancelled and replaced, and an open one no longer wanted is cancelled.
    Flags of deadlines met or cancelled here are resolved. Returns the subject's open deadlines."""
    now = now or timezone.now()
    subject_type = ContentType.objects.get_for_model(subject)
    existing = list(Deadline.objects.filter(subject_type=subject_type, subject_id=subject.pk).order_by("pk"))
    kept: set[int] = set()
    # Met clocks first, so an open deadline that is now met is met rather than cancelled.
    for want in sorted(wanted, key=lambda w: w.met_at is None):
        same = [d for d in existing if d.kind == want.kind and _same_clock(d, want) and d.cancelled_at is None]
        match = next(iter(same), None)
        if match is None:
            if want.met_at is None:  # only one open deadline of a kind: the one it replaces goes first
                for replaced in (d for d in existing if d.kind == want.kind and d.is_open and d.pk not in kept):
                    deadline_cancel(replaced, at=now)
                    replaced.cancelled_at = now
            existing.append(Deadline.objects.create(
                family=family, subject_type=subject_type, subject_id=subject.pk, kind=want.kind, label=want.label,
                allowance=str(want.allowance), nation=nation, local_authority_id=local_authority_id,
                started_at=want.started_at, due_at=want.allowance.due_from(want.started_at, nation),
                escalate_at=want.allowance.twice().due_from(want.started_at, nation),
                met_at=want.met_at, closed_at=now if want.met_at else None,
            ))
            kept.add(existing[-1].pk)
            continue
        kept.add(match.pk)
        if want.met_at and match.met_at != want.met_at:
            if match.met_at is None:
                deadline_meet(match, at=want.met_at, now=now)
            else:  # the milestone's date was corrected: the met clock follows it
                Deadline.objects.filter(pk=match.pk).update(met_at=want.met_at)
            match.met_at = want.met_at
    for deadline in existing:
        if deadline.is_open and deadline.pk not in kept:
            deadline_cancel(deadline, at=now)
            deadline.cancelled_at = now
    return sorted((d for d in existing if d.is_open), key=lambda d: d.due_at)


def deadline_set(*, family: Family | None, subject, kind: str, label: str, allowance: Allowance, nation: str,
                 started_at: datetime, local_authority_id: int | None = None, now: datetime | None = None) -> Deadline:
    """Make sure ``subject`` has one open deadline of ``kind`` running from ``started_at`` (for a subject
    with a single clock; see deadlines_sync for several). A different open one is cancelled.
    ``family`` is None for a promise that is no family's (see Deadline.family)."""
    now = now or timezone.now()
    subject_type = ContentType.objects.get_for_model(subject)
    current = Deadline.objects.filter(
        subject_type=subject_type, subject_id=subject.pk, kind=kind, met_at__isnull=True, cancelled_at__isnull=True
    ).first()
    if current and current.started_at == started_at and current.allowance == str(allowance):
        return current
    if current:
        deadline_cancel(current, at=now)
    return Deadline.objects.create(
        family=family, subject_type=subject_type, subject_id=subject.pk, kind=kind, label=label,
        allowance=str(allowance), nation=nation, local_authority_id=local_authority_id, started_at=started_at,
        due_at=allowance.due_from(started_at, nation), escalate_at=allowance.twice().due_from(started_at, nation),
    )


def deadline_set_by_date(*, family: Family, subject, kind: str, label: str, due_on: date, nation: str,
                         escalate_after: Allowance, local_authority_id: int | None = None,
                         now: datetime | None = None) -> Deadline:
    """Make sure ``subject`` has one open deadline of ``kind`` due by the end of the London day
    ``due_on`` (a review date, a commitment's date), escalated once ``escalate_after`` has passed
    beyond it. A different open one is cancelled, so its flag keeps its history."""
    now = now or timezone.now()
    due_at = end_of_local_day(due_on)
    allowance_text = f"by {due_on.day} {due_on:%B %Y}"
    subject_type = ContentType.objects.get_for_model(subject)
    current = Deadline.objects.filter(
        subject_type=subject_type, subject_id=subject.pk, kind=kind, met_at__isnull=True, cancelled_at__isnull=True
    ).first()
    if current and current.due_at == due_at:
        return current
    if current:
        deadline_cancel(current, at=now)
    return Deadline.objects.create(
        family=family, subject_type=subject_type, subject_id=subject.pk, kind=kind, label=label,
        allowance=allowance_text, nation=nation, local_authority_id=local_authority_id, started_at=now,
        due_at=due_at, escalate_at=escalate_after.due_from(due_at, nation),
    )


def deadlines_close_for(subject, *, met_at: datetime | None = None, now: datetime | None = None) -> int:
    """Meet (at ``met_at``) or, without it, cancel every open deadline of ``subject``."""
    now = now or timezone.now()
    closing = list(open_deadlines_for(subject))
    for deadline in closing:
        if met_at is not None:
            deadline_meet(deadline, at=met_at, now=now)
        else:
            deadline_cancel(deadline, at=now)
    return len(closing)


def deadline_meet(deadline: Deadline, *, at: datetime, now: datetime | None = None):
    """The promised thing happened at ``at``: stop the clock and resolve its flag."""
    now = now or timezone.now()
    Deadline.objects.filter(pk=deadline.pk, met_at__isnull=True, cancelled_at__isnull=True).update(
        met_at=at, closed_at=now
    )
    OverdueFlag.objects.filter(deadline=deadline, resolved_at__isnull=True).update(resolved_at=now)


def deadline_cancel(deadline: Deadline, *, at: datetime):
    """The deadline no longer applies (a decision changed, a referral closed)."""
    Deadline.objects.filter(pk=deadline.pk, met_at__isnull=True, cancelled_at__isnull=True).update(
        cancelled_at=at, closed_at=at
    )
    OverdueFlag.objects.filter(deadline=deadline, resolved_at__isnull=True).update(resolved_at=at)


def open_deadlines_for(subject):
    return Deadline.objects.filter(
        subject_type=ContentType.objects.get_for_model(subject),
        subject_id=subject.pk,
        met_at__isnull=True,
        cancelled_at__isnull=True,
    )


# ------------------------------------------------------------ the overdue job

# A run looks again at deadlines created (or closed) up to this long before the previous run's
# moment. A deadline is inserted with created_at taken before its INSERT and becomes visible when
# its transaction commits; a run that did not see it yet (not committed) set its watermark before
# the commit. The next run still finds it as long as created_at is no older than this margin when it
# commits: the margin must exceed the longest transaction that creates or closes deadlines (a
# request; a data import run inside one transaction must use full=True) plus the clock difference
# between the application servers and the worker. A margin that is too long only costs a little
# reading: deadlines created within it are checked again (one index probe each) and skipped.
LATE_COMMIT_MARGIN = timedelta(hours=1)
# A run that raises this many flags refreshes the flags table's statistics before queuing digests.
ANALYZE_AFTER_FLAGGING = 10_000


@dataclass
class OverdueRun:
    flagged: int
    escalated: int
    resolved: int
    notifications: int


def _table(model):
    return connection.ops.quote_name(model._meta.db_table)


def _queue_digests(cursor, now: datetime) -> int:
    """Queue one in-app notification and one e-mail per person and event for the flags this run
    raised (raised_at = now) or escalated (escalated_at = now) and that are still unresolved. A flag
    raised already very late is one "very late" notice, not two. Who is told is the audience copied
    onto each flag from its kind (deadlines.kinds): the family's key worker, those who manage its
    team, and those who administer the service (families.permissions), active accounts only.

    The flags are counted per team, key worker and audience first, in one pass, so everything after
    works on a few hundred groups, not one row per flag; each person then takes each group once,
    however many ways it reaches them (an administrator who also manages the team), so every flag
    is counted once in their one digest."""
    flag, family, membership, notification, user = (
        _table(OverdueFlag), _table(Family), _table(Membership), _table(Notification), _table(User),
    )
    params = {
        "now": connection.ops.adapt_datetimefield_value(now),
        "raised": Notification.Event.RAISED,
        "escalated": Notification.Event.ESCALATED,
        "in_app": Notification.Channel.IN_APP,
        "email": Notification.Channel.EMAIL,
        "sent": Notification.Status.SENT,
        "pending": Notification.Status.PENDING,
        **permissions.recipient_sql_params(),
        **permissions.administrator_sql_params(),
    }
    key_worker, managers, administrators = (
        kinds.AUDIENCE_BITS[audience]
        for audience in (kinds.Audience.KEY_WORKER, kinds.Audience.TEAM_MANAGERS, kinds.Audience.ADMINISTRATORS)
    )
    manages = permissions.recipient_memberships_sql(membership, user)
    administers = permissions.administrator_memberships_sql(membership, user)
    # Table names come from model metadata, never from input; every value is a parameter.
    sql = f"""
        WITH events AS (
            SELECT %(raised)s AS event, f.family_id, f.audience
              FROM {flag} f
             WHERE f.raised_at = %(now)s AND f.resolved_at IS NULL
               AND (f.escalated_at IS NULL OR f.escalated_at <> %(now)s)
            UNION ALL
            SELECT %(escalated)s, f.family_id, f.audience
              FROM {flag} f WHERE f.escalated_at = %(now)s AND f.resolved_at IS NULL
        ), groups AS (
            -- A promise of no family (a data breach's) has no team and no key worker.
            SELECT e.event, fam.team_id, fam.key_worker_id, e.audience, count(*) AS flags
              FROM events e LEFT JOIN {family} fam ON fam.id = e.family_id
             GROUP BY e.event, fam.team_id, fam.key_worker_id, e.audience
        ), told AS (
            -- UNION, not UNION ALL: a person reached two ways takes the group once.
            -- Those who manage the team…
            SELECT g.event, g.team_id, g.key_worker_id, g.audience, m.user_id, g.flags
              FROM groups g JOIN {membership} m ON m.team_id = g.team_id AND {manages}
             WHERE (g.audience & {managers}) <> 0
            UNION
            -- … the key worker, while in the team and active…
            SELECT g.event, g.team_id, g.key_worker_id, g.audience, g.key_worker_id, g.flags
              FROM groups g
             WHERE (g.audience & {key_worker}) <> 0 AND g.key_worker_id IS NOT NULL
               AND EXISTS (SELECT 1 FROM {user} u WHERE u.id = g.key_worker_id AND u.is_active)
               AND EXISTS (SELECT 1 FROM {membership} k WHERE k.team_id = g.team_id AND k.user_id = g.key_worker_id)
            UNION
            -- … and those who administer the service, of the kinds that say so.
            SELECT g.event, g.team_id, g.key_worker_id, g.audience, m.user_id, g.flags
              FROM groups g JOIN {membership} m ON {administers}
             WHERE (g.audience & {administrators}) <> 0
        )
        INSERT INTO {notification}
            (event, recipient_id, channel, flag_count, status, created_at, attempts, next_attempt_at, sent_at,
             last_error)
        SELECT t.event, t.user_id, c.channel, sum(t.flags),
               CASE WHEN c.channel = %(in_app)s THEN %(sent)s ELSE %(pending)s END, %(now)s, 0, %(now)s,
               CASE WHEN c.channel = %(in_app)s THEN %(now)s END, ''
          FROM told t
         CROSS JOIN (SELECT %(in_app)s AS channel UNION ALL SELECT %(email)s) c
         WHERE true  -- SQLite needs a WHERE before ON CONFLICT after INSERT … SELECT
         GROUP BY t.event, t.user_id, c.channel
        ON CONFLICT DO NOTHING
    """
    cursor.execute(sql, params)
    # (SQLite reports no row count for an INSERT that starts with WITH.)
    return Notification.objects.filter(created_at=now).count()


def _reconcile(cursor, params, *, closed_since) -> int:
    """Resolve every unresolved flag whose deadline was met or cancelled (since ``closed_since``, or
    ever when None): a person may close a deadline while a run is flagging it, and neither sees the
    other's uncommitted row; this statement in every run means such a flag never stays open."""
    since = " AND d.closed_at >= %(closed_since)s" if closed_since is not None else ""
    cursor.execute(
        f"""
        UPDATE {_table(OverdueFlag)} SET resolved_at = %(now)s
         WHERE resolved_at IS NULL
           AND deadline_id IN (SELECT d.id FROM {_table(Deadline)} d
                                WHERE d.closed_at IS NOT NULL{since})
        """,
        {**params, "closed_since": connection.ops.adapt_datetimefield_value(closed_since)},
    )
    return cursor.rowcount


def _audience_of_kind(params: dict) -> str:
    """The SQL for a flag's audience bits from its deadline's kind (deadlines.kinds), the kinds told
    as a kind no app registers is falling to the ELSE; the codes go into ``params``."""
    whens = []
    for bits, codes in kinds.codes_by_audience_bits().items():
        names = []
        for i, code in enumerate(codes):
            params[f"audience_{bits}_{i}"] = code
            names.append(f"%(audience_{bits}_{i})s")
        whens.append(f"WHEN d.kind IN ({', '.join(names)}) THEN {bits}")
    if not whens:
        return str(kinds.DEFAULT_AUDIENCE_BITS)
    return f"CASE {' '.join(whens)} ELSE {kinds.DEFAULT_AUDIENCE_BITS} END"


def _advance_watermark(checked_until, now):
    if checked_until is None or now > checked_until:
        OverdueWatermark.objects.filter(pk=1).update(checked_until=now)


def raise_overdue_flags(now: datetime | None = None, *, full: bool = False) -> OverdueRun:
    """Flag every open deadline that has passed, escalate open flags late by twice their allowance,
    resolve flags whose deadline was met or cancelled, and queue digest notifications. A fixed number
    of set-based statements, whatever the number of deadlines; nothing is written to the deadlines.
    Safe to run twice, or in two workers at once:

    - runs take turns on the watermark's row lock, and each looks only at open deadlines due since
      the previous run's moment, or created or closed shortly before it (the first run, or
      ``full=True``: every deadline);
    - one flag per deadline: unique deadline_id; ON CONFLICT DO NOTHING where a deadline may have
      been flagged already (created late, first or full run);
    - escalation touches only flags whose deadline is still open, and the reconciliation runs last,
      in the same transaction, so a flag never outlives its deadline by more than one run;
    - the flags a run raised or escalated are those marked with its moment (raised_at,
      escalated_at): one digest per person, event and channel is queued for them, in the same
      transaction.
    """
    now = now or timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        # The row exists after the first run; lock it, so a second run waits for this one to commit.
        OverdueWatermark.objects.bulk_create([OverdueWatermark(pk=1)], ignore_conflicts=True)
        checked_until = OverdueWatermark.objects.select_for_update().get(pk=1).checked_until
        if connection.vendor == "postgresql":
            # These statements run once each: compiling them to machine code (JIT) took longer than it
            # saved (0.5 s of the digests' 1.8 s at a million flags), and the digests' hash of the
            # families fits in memory instead of spilling to disk in batches.
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL work_mem = '64MB'")
        since = None if full else checked_until
        params = {
            "now": connection.ops.adapt_datetimefield_value(now),
            "since": connection.ops.adapt_datetimefield_value(since),
            "created_since": connection.ops.adapt_datetimefield_value(since - LATE_COMMIT_MARGIN if since else None),
            "overdue": OverdueFlag.Level.OVERDUE,
            "escalated": OverdueFlag.Level.ESCALATED,
        }
        # Flags raised by earlier runs, whose deadline is still open; those raised below are
        # escalated as they are inserted.
        cursor.execute(
            f"""
            UPDATE {_table(OverdueFlag)} SET level = %(escalated)s, escalated_at = %(now)s
             WHERE level = %(overdue)s AND resolved_at IS NULL AND escalate_at < %(now)s
               AND EXISTS (SELECT 1 FROM {_table(Deadline)} d WHERE d.id = {_table(OverdueFlag)}.deadline_id
                             AND d.met_at IS NULL AND d.cancelled_at IS NULL)
            """,
            params,
        )
        escalated = cursor.rowcount
        insert = f"""
            INSERT INTO {_table(OverdueFlag)}
                (deadline_id, family_id, raised_at, level, due_at, escalate_at, escalated_at, acknowledgement_note,
                 audience)
            SELECT d.id, d.family_id, %(now)s,
                   CASE WHEN d.escalate_at < %(now)s THEN %(escalated)s ELSE %(overdue)s END,
                   d.due_at, d.escalate_at, CASE WHEN d.escalate_at < %(now)s THEN %(now)s END, '',
                   {_audience_of_kind(params)}
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
        resolved = _reconcile(cursor, params, closed_since=since - LATE_COMMIT_MARGIN if since else None)
        if flagged >= ANALYZE_AFTER_FLAGGING and connection.vendor == "postgresql":
            # The digests below select this run's flags by raised_at; with statistics from before the
            # run the planner expects one row where there are a million, and probes the families one
            # by one (seconds). Autovacuum would analyse the table only after the commit.
            cursor.execute(f"ANALYZE {_table(OverdueFlag)}")
        notifications = 0
        if flagged or escalated:
            if flagged:
                escalated = OverdueFlag.objects.filter(escalated_at=now).count()
            notifications = _queue_digests(cursor, now)
            if notifications:
                transaction.on_commit(outbox.start_sending)
        _advance_watermark(checked_until, now)
    return OverdueRun(flagged=flagged, escalated=escalated, resolved=resolved, notifications=notifications)


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
