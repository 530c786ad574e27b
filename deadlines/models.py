"""Clocks on promises: what should happen by when, the flags raised when it does not,
and the notifications those flags send.

Referrals to children's social care are the first to use it; safety-plan reviews,
meeting actions and return home interviews add their own deadlines to the same tables.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.working_days import working_days_between, working_days_overdue
from deadlines.kinds import DEFAULT_AUDIENCE_BITS


class Deadline(models.Model):
    # Empty for a promise that is no family's (a data breach's report to the ICO): such a deadline
    # never appears on a family's pages, in the managers' queue or in a family's digest, all of which
    # read through the family's team.
    family = models.ForeignKey(
        "families.Family", on_delete=models.PROTECT, null=True, blank=True, related_name="deadlines"
    )
    subject_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    subject_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("subject_type", "subject_id")
    kind = models.CharField(max_length=60, help_text="What is due, e.g. referral:decision.")
    label = models.CharField(max_length=200, help_text="What is due, in plain words.")
    allowance = models.CharField(max_length=60, help_text="The time allowed, in plain words.")
    nation = models.CharField(max_length=20, help_text="Whose bank holidays the working days skip.")
    # The authority the promise is counted against (a referral's, not always where the family lives
    # now); empty for promises that are not an authority's. The queue filters and exports by it.
    local_authority = models.ForeignKey(
        "families.LocalAuthority", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField()
    due_at = models.DateTimeField()
    # Late by twice the allowance: the flag's escalation level rises.
    escalate_at = models.DateTimeField()
    met_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True, help_text="No longer applies.")
    # When the meeting or cancelling was written (met_at is when the thing happened, often days
    # earlier): the overdue job reconciles the flags of deadlines closed since its last run.
    closed_at = models.DateTimeField(null=True, blank=True)
    # Nothing on this row changes when it is flagged: the flag is its own row, and the job finds the
    # deadlines it has not looked at yet from its watermark (see OverdueWatermark).
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject_type", "subject_id", "kind"],
                condition=Q(met_at__isnull=True, cancelled_at__isnull=True),
                name="one_open_deadline_per_subject_and_kind",
            ),
        ]
        indexes = [
            # raise_overdue_flags looks at the open deadlines that fell due since its watermark,
            # and at those created since (a referral recorded late can be due already).
            models.Index(
                fields=["due_at"], condition=Q(met_at__isnull=True, cancelled_at__isnull=True),
                name="open_deadline_due",
            ),
            models.Index(
                fields=["created_at"], condition=Q(met_at__isnull=True, cancelled_at__isnull=True),
                name="open_deadline_created",
            ),
            models.Index(fields=["subject_type", "subject_id"], name="deadline_subject"),
            # raise_overdue_flags' reconciliation: deadlines closed since the previous run.
            models.Index(fields=["closed_at"], condition=Q(closed_at__isnull=False), name="deadline_closed"),
        ]

    def __str__(self):
        return self.label

    @property
    def is_open(self):
        return self.met_at is None and self.cancelled_at is None

    @property
    def overdue_since(self) -> date:
        return overdue_since(self.due_at)

    @property
    def very_late_since(self) -> date:
        return overdue_since(self.escalate_at)


class OverdueFlag(models.Model):
    """Raised once per deadline when it passes. Never deleted: acknowledged, escalated, resolved."""

    class Level(models.IntegerChoices):
        OVERDUE = 1, "Overdue"
        ESCALATED = 2, "Very late (twice the time allowed)"

    # No database constraints on these two: PostgreSQL checks a foreign key row by row (and locks the
    # deadline's row to do it), which was most of the cost of raising a million flags. The job inserts
    # flags only from existing deadlines, copying the deadline's family; deadlines are never deleted
    # (PROTECT, in Django), and a family with deadlines cannot be deleted (Deadline.family's
    # constraint). Empty, as the deadline's, for a promise that is no family's.
    deadline = models.OneToOneField(
        Deadline, on_delete=models.PROTECT, related_name="flag", db_constraint=False
    )
    family = models.ForeignKey(
        "families.Family", on_delete=models.PROTECT, null=True, blank=True, related_name="overdue_flags",
        db_constraint=False,
    )
    raised_at = models.DateTimeField(db_index=True)
    level = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.OVERDUE)
    # Copied from the deadline when raised, and moved with it (deadlines.calendar): the queue sorts and
    # pages on this table's index alone, most late first.
    due_at = models.DateTimeField()
    # Copied from the deadline when raised, so escalation needs only this table's index.
    escalate_at = models.DateTimeField()
    # Who hears of it (deadlines.kinds.AUDIENCE_BITS), copied from the deadline's kind when raised, so
    # the digests need only this table.
    audience = models.PositiveSmallIntegerField(default=DEFAULT_AUDIENCE_BITS)
    escalated_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    acknowledgement_note = models.TextField(max_length=2000, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["raised_at"]
        indexes = [
            # The managers' queue and its export, in keyset pages: unresolved flags, most late first.
            models.Index(fields=["due_at", "id"], condition=Q(resolved_at__isnull=True), name="flag_queue_order"),
            # raise_overdue_flags' escalation step: "level 1, unresolved, escalate_at <= now".
            models.Index(
                fields=["escalate_at"], condition=Q(level=1, resolved_at__isnull=True), name="flag_waiting_to_escalate"
            ),
            # Most flags are never escalated or acknowledged: only the rows that are go in these
            # indexes (a full index would take an entry for every flag raised).
            models.Index(fields=["escalated_at"], condition=Q(escalated_at__isnull=False), name="flag_escalated"),
            models.Index(
                fields=["acknowledged_by"], condition=Q(acknowledged_by__isnull=False), name="flag_acknowledged_by"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True) | Q(acknowledged_by__isnull=False),
                name="flag_acknowledged_by_someone",
            ),
        ]

    def __str__(self):
        return f"Overdue: {self.deadline}"

    def get_additional_data(self):
        return {"family_id": self.family_id}

    @property
    def is_resolved(self):
        return self.resolved_at is not None


class Notification(models.Model):
    """The outbox: one digest per run, person, event and channel ("12 deadlines passed for your
    families"), not one per flag. Sent after commit, at most once (see ``deadlines.outbox``).

    ``created_at`` is the run's moment: the flags it is about are those raised (or escalated) at that
    moment for families the person is key worker of or manages the team of, and, for an
    administrator, those of the kinds told to administrators (deadlines.kinds.Audience)."""

    class Event(models.TextChoices):
        RAISED = "raised", "Overdue"
        ESCALATED = "escalated", "Very late"

    class Channel(models.TextChoices):
        IN_APP = "in_app", "In the application"
        EMAIL = "email", "E-mail"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        # Claimed by a sender, which is talking to the mail server.
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Not sent: gave up after repeated failures"
        # The sender stopped (killed, timed out) while handing it over: it may have been sent, so it
        # is never sent again automatically. Administrators see it in the outbox.
        UNKNOWN = "unknown", "May not have been sent: the sender stopped while sending"
        NOT_NEEDED = "not_needed", "Not sent: its flags were resolved first"
        RECIPIENT_INACTIVE = "inactive", "Not sent: the account is deactivated"

    event = models.CharField(max_length=20, choices=Event.choices)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    flag_count = models.PositiveIntegerField(default=1, help_text="How many flags the run raised or escalated.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    # When a sender last claimed it: the start of the latest attempt.
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["created_at", "event", "recipient", "channel"], name="one_digest_per_run_event_person_channel"
            ),
        ]
        indexes = [
            # send_pending_notifications claims e-mails due for a (re)try.
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="notification_to_send"),
            # The outbox's lease: claims whose sender may have died (only rows being sent).
            models.Index(fields=["claimed_at"], condition=Q(status="sending"), name="notification_being_sent"),
            # The outbox page: e-mails that were not, or may not have been, sent.
            models.Index(
                fields=["-created_at"], condition=Q(status__in=["failed", "unknown"]), name="notification_not_sent"
            ),
            # The bell: a person's unread in-app notifications.
            models.Index(
                fields=["recipient", "-created_at"],
                condition=Q(channel="in_app", read_at__isnull=True),
                name="notification_unread",
            ),
        ]

    def __str__(self):
        return f"{self.get_event_display()}: {self.flag_count} deadline{'' if self.flag_count == 1 else 's'}"


class OverdueWatermark(models.Model):
    """One row: the moment up to which raise_overdue_flags has looked at deadlines falling due.

    The next run looks only at open deadlines due since then, or created since then less
    ``deadlines.services.LATE_COMMIT_MARGIN`` (see there), so a run with nothing new reads almost
    nothing however many deadlines are open and flagged, without writing to the deadlines."""

    checked_until = models.DateTimeField(null=True, blank=True, help_text="Empty until the first run.")

    def __str__(self):
        return f"Deadlines checked until {self.checked_until}"


def due_day(due_at: datetime) -> date:
    """The London day by the end of which a deadline is due: due_at is the next local midnight
    (or, for an allowance in hours, the exact moment, whose day it is)."""
    return timezone.localdate(due_at - timedelta(microseconds=1))


def overdue_since(due_at: datetime) -> date:
    """The first London day on which the deadline is overdue: the day it fell due, not the day a
    job noticed."""
    return timezone.localdate(due_at)


@dataclass(frozen=True)
class DueState:
    """How a deadline stands now, in words a caseworker reads at a glance."""

    kind: str  # "overdue", "due_soon" or "on_track"
    working_days: int
    due_at: datetime

    @property
    def due_day(self):
        return due_day(self.due_at)

    @property
    def days_text(self):
        return f"{self.working_days} working day{'' if self.working_days == 1 else 's'}"

    @property
    def text(self):
        days = self.days_text
        if self.kind == "overdue":
            return f"{days} overdue" if self.working_days else "Overdue"
        if self.working_days == 0:
            return "Due today"
        return f"Due in {days}"


def due_state(due_at: datetime, nation: str, now: datetime) -> DueState:
    """Overdue once ``now`` passes ``due_at``; "due soon" within DEADLINE_WARNING_WORKING_DAYS."""
    if now > due_at:
        return DueState("overdue", working_days_overdue(due_at, now, nation), due_at)
    # due_at is the end of the due day (next local midnight): count working days up to that day.
    remaining = working_days_between(now, due_at - timedelta(microseconds=1), nation)
    kind = "due_soon" if remaining <= settings.DEADLINE_WARNING_WORKING_DAYS else "on_track"
    return DueState(kind, remaining, due_at)
