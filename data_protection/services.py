"""Changing the retention rules, and placing and lifting legal holds: administrators only
(families.permissions.may_manage_data_protection). Each change is one transaction, audited by
django-auditlog with the acting user."""

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.concurrency import save_if_unchanged
from core.errors import UserFixableError
from data_protection.models import LegalHold, RetentionRule
from families import permissions


def _check_may_manage(user):
    # The views answer 404 before this; a service is never a way round them.
    if not permissions.may_manage_data_protection(user):
        raise PermissionDenied


def _check_second_period(rule: RetentionRule):
    if (rule.or_years or rule.or_months) and not rule.or_starts_from:
        raise UserFixableError("Choose where the second period starts from, or set its years and months to 0.",
                               field="or_starts_from")


@transaction.atomic
def rule_update(*, user, rule: RetentionRule, expected_version: int) -> RetentionRule:
    """Save an administrator's change to ``rule``; EditConflict if someone saved it since they
    opened it."""
    _check_may_manage(user)
    if not rule.reason.strip():
        raise UserFixableError("Say why records are kept this long.", field="reason")
    _check_second_period(rule)
    if not rule.or_starts_from:
        rule.or_years = rule.or_months = 0
    rule.changed_by = user
    rule.changed_at = timezone.now()
    return save_if_unchanged(rule, expected_version)


@transaction.atomic
def hold_place(*, user, family, reason: str, details: str, review_on) -> LegalHold:
    """Place a legal hold on ``family``: nothing of it goes until the hold is lifted."""
    _check_may_manage(user)
    if review_on <= timezone.localdate():
        raise UserFixableError("The review date must be in the future.", field="review_on")
    if not details.strip():
        raise UserFixableError("Say what the hold is for: a crime or case reference, who asked for it.",
                               field="details")
    if LegalHold.objects.in_force().filter(family=family).exists():
        raise _already_held(family)
    hold = LegalHold(family=family, reason=reason, details=details, review_on=review_on, placed_by=user)
    try:
        with transaction.atomic():
            hold.save()
    except IntegrityError:
        # The partial unique constraint: another administrator placed one a moment ago.
        raise _already_held(family) from None
    return hold


def _already_held(family):
    return UserFixableError(f"{family} already has a legal hold in force: lift it first to place a new one.",
                            field="family_reference")


@transaction.atomic
def hold_lift(*, user, hold: LegalHold, reason: str) -> LegalHold:
    """Lift ``hold`` with the reason why. The hold's row is locked, so of two administrators lifting
    it at the same moment one is told it was already lifted."""
    _check_may_manage(user)
    if not reason.strip():
        raise UserFixableError("Say why the hold can be lifted.", field="reason")
    locked = LegalHold.objects.select_for_update(of=("self",)).select_related("family").get(pk=hold.pk)
    if not locked.in_force:
        raise UserFixableError(f"The legal hold on {locked.family} has already been lifted.")
    locked.lifted_by = user
    locked.lifted_at = timezone.now()
    locked.lift_reason = reason
    locked.save()
    return locked
