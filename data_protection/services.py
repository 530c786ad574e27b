"""Changing the retention rules, placing and lifting legal holds, working out and approving
retention runs, and recording and answering subject access requests: administrators only
(families.permissions.may_manage_data_protection), except the nightly dry run. Each change is one
transaction, audited by django-auditlog with the acting user."""

from datetime import timedelta

from celery import current_app
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.concurrency import save_if_unchanged
from core.errors import UserFixableError
from data_protection import deadline_kinds, retention, selectors
from data_protection.models import (
    LegalHold,
    RetentionRule,
    RetentionRun,
    SubjectAccessRequest,
    SubjectAccessWithholding,
)
from families import permissions
from families.models import Family


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
    # The retention run locks the family's row to anonymise it: a hold waits for it, or it for the hold.
    Family.objects.select_for_update().filter(pk=family.pk).first()
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


def dry_run_as_data(result: retention.DryRun) -> dict:
    """A dry run's figures as the run keeps them (``RetentionRun.figures``)."""
    def day(value):
        return value.isoformat() if value else None

    return {
        "today": day(result.today),
        "rule_in_words": result.rule_in_words,
        "families": result.families,
        "held": result.held,
        "oldest_retention_on": day(result.oldest_retention_on),
        "newest_retention_on": day(result.newest_retention_on),
        "records": result.records,
        "record_kinds": [
            {"label": kind.label, "rule_in_words": kind.rule_in_words, "follows_family": kind.follows_family,
             "records": kind.records}
            for kind in result.record_kinds
        ],
        "audit_entries_kept_from": day(result.audit_entries_kept_from),
        "audit_entries_rule_in_words": result.audit_entries_rule_in_words,
        "audit_entries": result.audit_entries,
    }


@transaction.atomic
def retention_run_work_out(*, user=None, today=None) -> RetentionRun:
    """Save the dry run for ``today`` as a run waiting for approval, with the families it lists.
    ``user`` is None for the nightly dry run."""
    if user is not None:
        _check_may_manage(user)
    result = retention.dry_run(today)
    family_ids = list(retention.families_due(result.today).order_by("pk").values_list("pk", flat=True))
    figures = dry_run_as_data(result)
    # The list is read a moment after the figures: if a family changed in between, the list decides.
    figures["families"] = len(family_ids)
    return RetentionRun.objects.create(worked_out_for=result.today, figures=figures, family_ids=family_ids,
                                       worked_out_by=user)


@transaction.atomic
def retention_run_approve(*, user, run: RetentionRun, families_typed: int) -> RetentionRun:
    """Approve ``run`` when ``families_typed`` is the number of families it lists, and start it once
    the approval is committed. Of two administrators approving at once, one is told it already was."""
    _check_may_manage(user)
    locked = RetentionRun.objects.select_for_update().get(pk=run.pk)
    if locked.state != RetentionRun.State.WORKED_OUT:
        raise UserFixableError(f"{locked} has already been approved.")
    if families_typed != locked.families_listed:
        raise UserFixableError("That is not the number of families this run would anonymise. Read the figures "
                               "again and type the number of families shown.", field="families")
    locked.state = RetentionRun.State.APPROVED
    locked.approved_by = user
    locked.approved_at = timezone.now()
    locked.save(update_fields=["state", "approved_by", "approved_at"])
    transaction.on_commit(lambda: _start_running(locked.pk))
    return locked


def _start_running(run_id: int):
    # Looked up by name (data_protection.apps registers the tasks): the task module imports this one,
    # not the other way round.
    current_app.tasks["data_protection.tasks.run_retention"].delay(run_id)


@transaction.atomic
def retention_run_approve_today(*, user, families_typed: int) -> RetentionRun:
    """Work out today's dry run and approve it, as one: when the number typed does not match, nothing
    is saved (the figures may have changed since the page showed them)."""
    run = retention_run_work_out(user=user)
    return retention_run_approve(user=user, run=run, families_typed=families_typed)


@transaction.atomic
def retention_run_nightly(today=None) -> RetentionRun | None:
    """The scheduled dry run: saved as a run waiting for approval when any family or audit entry is
    due and no run was worked out for the day yet. A run approved later anonymises only those of its families still
    due on its day, so approving an older one never lets more go."""
    today = today or timezone.localdate()
    if RetentionRun.objects.filter(worked_out_for=today).exists():
        return None
    if not retention.families_due(today).exists() and not retention.audit_entries_due(today)[1]:
        return None
    return retention_run_work_out(today=today)


# ----------------------------------------------------------------- subject access requests


def _day_in_words(day) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


@transaction.atomic
def subject_access_record(*, user, family, person, asked_by: str, asked_by_name: str, identity_check: str,
                          identity_details: str, received_on, now=None) -> SubjectAccessRequest:
    """Record a subject access request about ``person`` (one of ``family``'s people) and start its
    clock: a reply is due one calendar month from ``received_on``."""
    _check_may_manage(user)
    if person.family_id != family.pk:
        raise UserFixableError("Choose one of the family's people.", field="person")
    if received_on > timezone.localdate(now):
        raise UserFixableError("The date it was received cannot be in the future.", field="received_on")
    asked_by_name = asked_by_name.strip()
    if asked_by == SubjectAccessRequest.AskedBy.THEMSELF:
        asked_by_name = ""
    elif not asked_by_name:
        raise UserFixableError("Enter the name of the person who asked on their behalf.", field="asked_by_name")
    if not identity_details.strip():
        raise UserFixableError("Say how their identity was checked: what was seen or asked, and by whom.",
                               field="identity_details")
    request = SubjectAccessRequest.objects.create(
        family=family, person=person, asked_by=asked_by, asked_by_name=asked_by_name,
        identity_check=identity_check, identity_details=identity_details, received_on=received_on,
        recorded_by=user,
    )
    deadline_kinds.request_clock_follows(request, now=now)
    return request


def _check_open(request: SubjectAccessRequest):
    if not request.is_open:
        raise UserFixableError(f"{request} was completed on {_day_in_words(request.completed_on)}.")


@transaction.atomic
def subject_access_extend(*, user, request: SubjectAccessRequest, reason: str, expected_version: int,
                          now=None) -> SubjectAccessRequest:
    """Give ``request`` two more months (three from receipt in all), once, with the reason. Only
    within the first month: the person must be told of an extension, and why, before the first
    reply was due."""
    _check_may_manage(user)
    now = now or timezone.now()
    _check_open(request)
    if request.is_extended:
        raise UserFixableError(f"{request} has already been extended: a request is extended once.")
    if not reason.strip():
        raise UserFixableError("Say why more time is needed, for example the number of records to review.",
                               field="reason")
    first_due = deadline_kinds.due_at(request, extended=False)
    if now >= first_due:
        last_day = timezone.localdate(first_due) - timedelta(days=1)
        raise UserFixableError(f"The reply was due by the end of {_day_in_words(last_day)}: an extension can "
                               "only be made within the first month.")
    request.extended_by = user
    request.extended_at = now
    request.extension_reason = reason
    save_if_unchanged(request, expected_version)
    deadline_kinds.request_clock_follows(request, now=now)
    return request


@transaction.atomic
def subject_access_complete(*, user, request: SubjectAccessRequest, completed_on, expected_version: int,
                            now=None) -> SubjectAccessRequest:
    """The reply was sent on ``completed_on``: the request is completed and its clock met that day."""
    _check_may_manage(user)
    now = now or timezone.now()
    _check_open(request)
    if completed_on > timezone.localdate(now):
        raise UserFixableError("The date the reply was sent cannot be in the future.", field="completed_on")
    if completed_on < request.received_on:
        raise UserFixableError("The reply cannot have been sent before the request was received "
                               f"({_day_in_words(request.received_on)}).", field="completed_on")
    request.state = SubjectAccessRequest.State.COMPLETED
    request.completed_by = user
    request.completed_on = completed_on
    save_if_unchanged(request, expected_version)
    deadline_kinds.request_clock_follows(request, now=now)
    return request


@transaction.atomic
def subject_access_withholdings_save(*, user, request: SubjectAccessRequest, decisions: dict,
                                     expected_version: int, now=None) -> SubjectAccessRequest:
    """Save the review: ``decisions`` maps each item's key (``selectors.SubjectAccessItem.key``) to
    ``(reason, details)`` to withhold it, or None to include it. Only items gathered for this
    request may be named; an item not named keeps its decision. Of two administrators saving the
    same review at once, the second is told (the request's version)."""
    _check_may_manage(user)
    now = now or timezone.now()
    _check_open(request)
    items = {item.key: item for item in selectors.gather(request)}
    unknown = set(decisions) - set(items)
    if unknown:
        raise UserFixableError("Some of the items are no longer part of this request. Reload the page and "
                               "review again.")
    for key, decision in decisions.items():
        if decision is not None and not decision[1].strip():
            raise UserFixableError("Say why each withheld item is withheld.", field=f"details_{key}")
    save_if_unchanged(request, expected_version)
    existing = {(w.item_type_id, w.item_id): w for w in request.withholdings.all()}
    for key, decision in decisions.items():
        item = items[key]
        withholding = existing.get((item.content_type_id, item.record.pk))
        if decision is None:
            if withholding is not None:
                withholding.delete()
            continue
        reason, details = decision
        if withholding is None:
            withholding = SubjectAccessWithholding(request=request, item_type_id=item.content_type_id,
                                                   item_id=item.record.pk)
        elif (withholding.reason, withholding.details) == (reason, details):
            continue
        withholding.reason, withholding.details = reason, details
        withholding.withheld_by, withholding.withheld_at = user, now
        withholding.save()
    return request
