"""Recording a parent's ratings and putting them right. Each runs in one transaction, with the
audit entry django-auditlog writes for the saved row (attributed to the signed-in user) and the
next check-in's clock (outcomes.deadline_kinds) in the same transaction."""

from django.db import transaction
from django.utils import timezone

from core.concurrency import save_if_unchanged
from core.errors import EditConflict, UserFixableError
from core.forms import date_in_words
from families.models import Contact, Family, Person
from outcomes import deadline_kinds
from outcomes.measures import MEASURE_FIELDS, QUESTIONS_VERSION
from outcomes.models import CheckIn

NO_ANSWER = "Choose an answer to at least one question, or leave the ratings for another time."
NOT_A_PARENT = "Choose a parent or carer in this family: the ratings are a parent's own."


def _refuse_unless_valid(family: Family, check_in: CheckIn, *, today):
    """The rules every check-in keeps, whoever records it: a parent of this family, at least one
    answer, asked on a day between the family being added and today."""
    parent = check_in.parent
    if parent is None or parent.family_id != family.pk or parent.kind != Person.Kind.CARER:
        raise UserFixableError(NOT_A_PARENT, field="parent")
    if all(getattr(check_in, name) is None for name in MEASURE_FIELDS):
        raise UserFixableError(NO_ANSWER, field=MEASURE_FIELDS[0])
    if check_in.asked_on is None:
        raise UserFixableError("Enter the date the parent was asked.", field="asked_on")
    if check_in.asked_on > today:
        raise UserFixableError("The date asked cannot be in the future.", field="asked_on")
    added_on = timezone.localdate(family.created_at)
    if check_in.asked_on < added_on:
        raise UserFixableError(
            f"The family was added on {date_in_words(added_on)}: the date asked cannot be before that.",
            field="asked_on",
        )


def _others(check_in: CheckIn):
    return CheckIn.objects.filter(parent_id=check_in.parent_id).exclude(pk=check_in.pk)


def _refuse_before_first(check_in: CheckIn, first: CheckIn | None):
    if first is not None and check_in.asked_on < first.asked_on:
        raise UserFixableError(
            f"{check_in.parent.first_name}'s first ratings were asked on {date_in_words(first.asked_on)}: later "
            "ratings cannot be dated before them. If the first date is wrong, change the first ratings.",
            field="asked_on",
        )


def _is_latest(check_in: CheckIn) -> bool:
    later = _others(check_in).filter(asked_on__gt=check_in.asked_on).exists()
    return not later


@transaction.atomic
def check_in_record(*, user, family: Family, check_in: CheckIn, contact: Contact | None = None,
                    now=None) -> CheckIn:
    """Record the ratings a parent gave (``check_in``, unsaved), in the call ``contact`` when they were
    asked in one. The parent's first ratings are always "at first contact"; later ones are "a later
    check-in", or "as support ends" when that is chosen or the family is closed. The parent's clock
    is met and the next one set."""
    now = now or timezone.now()
    _refuse_unless_valid(family, check_in, today=timezone.localdate(now))
    if contact is not None and contact.family_id != family.pk:
        raise UserFixableError("The call is not this family's.")
    # Two check-ins of one parent recorded at the same moment would both think they were the first.
    Person.objects.select_for_update().filter(pk=check_in.parent_id).first()
    first = CheckIn.objects.filter(parent_id=check_in.parent_id, occasion=CheckIn.Occasion.FIRST).first()
    _refuse_before_first(check_in, first)
    if first is None:
        check_in.occasion = CheckIn.Occasion.FIRST
    elif check_in.occasion not in (CheckIn.Occasion.REVIEW, CheckIn.Occasion.CLOSURE):
        closed = family.status == Family.Status.CLOSED
        check_in.occasion = CheckIn.Occasion.CLOSURE if closed else CheckIn.Occasion.REVIEW
    check_in.family = family
    check_in.contact = contact
    check_in.questions_version = QUESTIONS_VERSION
    check_in.recorded_by = user
    check_in.recorded_at = now
    check_in.save()
    if _is_latest(check_in):
        deadline_kinds.check_in_clock_met(check_in.parent, asked_on=check_in.asked_on, now=now)
    deadline_kinds.check_in_clock_follows(family, check_in.parent, now=now)
    return check_in


AMENDABLE_FIELDS = ("asked_on", "occasion", *MEASURE_FIELDS)


@transaction.atomic
def check_in_amend(*, user, check_in: CheckIn, expected_version: int, now=None) -> CheckIn:
    """Save the edits made to ``check_in`` (an instance holding the new values): refused if nothing
    changed, or if someone changed it since the user loaded version ``expected_version``. The first
    ratings stay the first (the earliest); the clock follows the latest ratings' date."""
    now = now or timezone.now()
    saved = CheckIn.objects.select_for_update().filter(pk=check_in.pk).first()
    if saved is None or saved.version != expected_version:
        raise EditConflict()
    family = Family.objects.select_related("local_authority").get(pk=saved.family_id)
    check_in.parent_id, check_in.family_id = saved.parent_id, saved.family_id
    _refuse_unless_valid(family, check_in, today=timezone.localdate(now))
    if saved.occasion == CheckIn.Occasion.FIRST:
        check_in.occasion = CheckIn.Occasion.FIRST
        earlier = _others(check_in).filter(asked_on__lt=check_in.asked_on).order_by("asked_on").first()
        if earlier is not None:
            raise UserFixableError(
                f"Later ratings of {check_in.parent.first_name} were asked on {date_in_words(earlier.asked_on)}: "
                "the first ratings must be the earliest.",
                field="asked_on",
            )
    else:
        if check_in.occasion not in (CheckIn.Occasion.REVIEW, CheckIn.Occasion.CLOSURE):
            check_in.occasion = saved.occasion
        _refuse_before_first(check_in, CheckIn.objects.filter(
            parent_id=check_in.parent_id, occasion=CheckIn.Occasion.FIRST).first())
    if all(getattr(check_in, name) == getattr(saved, name) for name in AMENDABLE_FIELDS):
        raise UserFixableError("Nothing has been changed: change the ratings, or go back to them.")
    save_if_unchanged(check_in, expected_version)
    deadline_kinds.check_in_clock_follows(family, check_in.parent, now=now)
    return check_in
