"""Recording a personal data breach and what is done about it: administrators only
(families.permissions.may_manage_data_protection). Each change is one transaction, audited by
django-auditlog with the acting user, and the breach's 72-hour clock follows it in the same
transaction (data_protection.breach_clock)."""

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from core.concurrency import save_if_unchanged
from core.errors import UserFixableError
from core.forms import date_in_words
from data_protection.breach_clock import breach_clock_follows
from data_protection.models import Breach, BreachAction
from families import permissions

# A moment typed may be a few minutes ahead of ours: the person's watch and the server's differ.
CLOCK_TOLERANCE = timedelta(minutes=5)

# The fields of a breach an administrator describes, and may correct while it is open.
DESCRIPTION_FIELDS = (
    "what_happened", "happened_at", "discovered_at", "how_discovered", "data_involved", "sensitive_data",
    "people_affected", "people_affected_estimated", "risk", "who_was_told",
)


def _check_may_manage(user):
    # The views answer 404 before this; a service is never a way round them.
    if not permissions.may_manage_data_protection(user):
        raise PermissionDenied


def _check_not_after(moment: datetime | None, now: datetime, field: str, what: str):
    if moment is not None and moment > now + CLOCK_TOLERANCE:
        raise UserFixableError(f"{what} cannot be in the future.", field=field)


def _check_description(breach: Breach, now: datetime):
    for field, what in (("what_happened", "Say what happened."), ("how_discovered", "Say how it was found."),
                        ("data_involved", "Say what data was involved.")):
        if not (getattr(breach, field) or "").strip():
            raise UserFixableError(what, field=field)
    _check_not_after(breach.discovered_at, now, "discovered_at", "The moment it was discovered")
    _check_not_after(breach.happened_at, now, "happened_at", "The moment it happened")
    if breach.happened_at and breach.discovered_at and breach.happened_at > breach.discovered_at:
        raise UserFixableError("It cannot have happened after it was discovered "
                               f"({date_in_words(breach.discovered_at)}).", field="happened_at")
    if breach.people_affected is None or breach.people_affected < 0:
        raise UserFixableError("Enter how many people are affected, or your best estimate.",
                               field="people_affected")


def _check_open(breach: Breach):
    if not breach.is_open:
        raise UserFixableError(f"{breach} was closed on {date_in_words(breach.closed_at)}: it can no longer be "
                               "changed, but actions can still be added.")


@transaction.atomic
def breach_record(*, user, breach: Breach, now: datetime | None = None) -> Breach:
    """Record ``breach`` (its description filled in, not yet saved) and start its 72-hour clock from
    the moment it was discovered."""
    _check_may_manage(user)
    now = now or timezone.now()
    _check_description(breach, now)
    breach.recorded_by = user
    breach.recorded_at = now
    breach.save()
    breach_clock_follows(breach, now=now)
    return breach


@transaction.atomic
def breach_update(*, user, breach: Breach, expected_version: int, now: datetime | None = None) -> Breach:
    """Save a correction to an open breach's description (``breach`` as edited); a corrected moment of
    discovery moves its clock. EditConflict if someone saved it since the editor opened it."""
    _check_may_manage(user)
    now = now or timezone.now()
    _check_open(breach)
    _check_description(breach, now)
    save_if_unchanged(breach, expected_version)
    breach_clock_follows(breach, now=now)
    return breach


@transaction.atomic
def breach_decide(*, user, breach: Breach, decision: str, reason: str, expected_version: int,
                  now: datetime | None = None) -> Breach:
    """Record whether the breach is reported to the ICO, and why, either way. "Not reportable" meets
    the clock at this moment; "report" leaves it running until the report is recorded. A decision
    may be revised until the report is made."""
    _check_may_manage(user)
    now = now or timezone.now()
    _check_open(breach)
    if decision not in (Breach.Decision.REPORT, Breach.Decision.NOT_REPORTABLE):
        raise UserFixableError("Choose whether it is reported to the ICO.", field="decision")
    if not reason.strip():
        raise UserFixableError(
            "Say why it is reported." if decision == Breach.Decision.REPORT
            else "Say why it is not reportable: why a risk to people is unlikely.", field="reason")
    if breach.is_reported:
        raise UserFixableError(f"{breach} was reported to the ICO on {date_in_words(breach.reported_at)}: the "
                               "decision stands.")
    breach.decision = decision
    breach.decision_reason = reason
    breach.decided_by = user
    breach.decided_at = now
    save_if_unchanged(breach, expected_version)
    breach_clock_follows(breach, now=now)
    return breach


@transaction.atomic
def breach_record_report(*, user, breach: Breach, reported_at: datetime, ico_reference: str,
                         expected_version: int, now: datetime | None = None) -> Breach:
    """The breach was reported to the ICO at ``reported_at``: the clock is met at that moment."""
    _check_may_manage(user)
    now = now or timezone.now()
    _check_open(breach)
    if breach.decision != Breach.Decision.REPORT:
        raise UserFixableError("Record the decision to report it, with the reason, first.")
    _check_not_after(reported_at, now, "reported_at", "The moment it was reported")
    if reported_at < breach.discovered_at:
        raise UserFixableError("It cannot have been reported before it was discovered "
                               f"({date_in_words(breach.discovered_at)}).", field="reported_at")
    breach.reported_at = reported_at
    breach.ico_reference = ico_reference.strip()
    save_if_unchanged(breach, expected_version)
    breach_clock_follows(breach, now=now)
    return breach


@transaction.atomic
def breach_add_action(*, user, breach: Breach, done_at: datetime, what: str, done_by: str = "",
                      now: datetime | None = None) -> BreachAction:
    """Add something done about the breach to its list. Actions are never changed: a correction is
    another action. Allowed on a closed breach too (a late letter from the ICO)."""
    _check_may_manage(user)
    now = now or timezone.now()
    if not what.strip():
        raise UserFixableError("Say what was done.", field="what")
    _check_not_after(done_at, now, "done_at", "The moment it was done")
    return BreachAction.objects.create(breach=breach, done_at=done_at, what=what, done_by=done_by.strip(),
                                       recorded_by=user, recorded_at=now)


@transaction.atomic
def breach_close(*, user, breach: Breach, expected_version: int, now: datetime | None = None) -> Breach:
    """Nothing more is to be done: only once decided, and, when it is reported, once the report is
    recorded."""
    _check_may_manage(user)
    now = now or timezone.now()
    _check_open(breach)
    if not breach.is_decided:
        raise UserFixableError("Record whether it is reported to the ICO, and why, before closing it.")
    if breach.decision == Breach.Decision.REPORT and not breach.is_reported:
        raise UserFixableError("Record the report to the ICO before closing it.")
    breach.closed_by = user
    breach.closed_at = now
    return save_if_unchanged(breach, expected_version)
