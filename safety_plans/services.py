"""Every change to a safety plan goes through these functions.

One write path: each save of the plan's words or of a row of one of its lists, and each restore,
claims the version the person started from (core.concurrency), makes its change, then writes
exactly one new PlanVersion holding a copy of the whole plan, and lets the plan's clocks follow
(safety_plans.deadline_kinds) — all in one transaction. A save on a version someone else has
moved on from raises EditConflict and changes nothing. django-auditlog writes the audit entry
for each saved row in the same transaction.

Safety ratings are a history rather than the plan's words: a new rating is added, never versioned.
"""

from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from agencies.selectors import agency_named
from core.concurrency import save_if_unchanged
from core.errors import EditConflict, UserFixableError
from deadlines import services as deadlines
from safety_plans import comparison
from safety_plans.comparison import DATE_PARTS, LIST_BY_MODEL, LISTS, TEXT_PARTS
from safety_plans.deadline_kinds import plan_clocks_follow
from safety_plans.models import Commitment, PlanVersion, SafetyPlan, SafetyRating

WHAT_CHANGED_LENGTH = PlanVersion._meta.get_field("what_changed").max_length


class NothingToSave(UserFixableError):
    """The save would make a version identical to the one before it."""

    def __init__(self, message="Nothing had changed, so no new version was saved."):
        super().__init__(message)


def json_value(value):
    """A field's value as a version's content keeps it."""
    return value.isoformat() if isinstance(value, date) else value


def plan_content(plan: SafetyPlan) -> dict:
    """The whole plan as saved now, as a version keeps it: its words and every row of its lists,
    in order, each row with its id (so a comparison can tell a row changed from one replaced)."""
    content = {"text": {name: json_value(getattr(plan, name)) for name in TEXT_PARTS}}
    for layout in LISTS:
        rows = layout.model.objects.filter(plan=plan).order_by("position", "pk")
        content[layout.key] = [
            {"id": row.pk, **{name: json_value(getattr(row, name)) for name in layout.fields}} for row in rows
        ]
    return content


def _latest_content(plan: SafetyPlan) -> dict:
    latest = plan.versions.order_by("-number").values_list("content", flat=True).first()
    return latest or {}


def _note(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= WHAT_CHANGED_LENGTH else text[: WHAT_CHANGED_LENGTH - 1] + "…"


def _record_version(plan: SafetyPlan, *, user, what_changed: str, previous: dict, now,
                    restored_from: int | None = None) -> PlanVersion:
    """The one new version of a save; called after the plan's version is claimed and its rows
    are written. Refuses a save that changed nothing (the transaction then undoes the claim)."""
    content = plan_content(plan)
    if previous and comparison.same_content(previous, content):
        raise NothingToSave()
    version = PlanVersion.objects.create(
        plan=plan,
        number=plan.version,
        content=content,
        what_changed=_note(what_changed or comparison.summarise(previous, content)),
        saved_by=user,
        saved_at=now,
        restored_from=restored_from,
    )
    plan_clocks_follow(plan, now=now)
    return version


def _claim(plan: SafetyPlan, expected_version: int, now):
    """Save the plan's own row only if it is still at ``expected_version``. The conditional
    UPDATE also holds the plan's row lock until commit, so two saves of the same plan (a list
    row and the words, say) are applied one after the other, never interleaved."""
    plan.updated_at = now
    save_if_unchanged(plan, expected_version)


@transaction.atomic
def safety_plan_save(*, user, plan: SafetyPlan, expected_version: int, what_changed: str = "") -> PlanVersion:
    """Save the plan's words (the instance as the form left it). A plan not yet saved is started
    here, at version 1; if someone started this child's plan meanwhile, that is an edit conflict."""
    now = timezone.now()
    if plan.pk is None:
        if expected_version != 0:
            raise EditConflict()
        plan.created_by = user
        plan.created_at = plan.updated_at = now
        plan.version = 1
        try:
            # A savepoint, so that the other person's plan found here leaves this transaction usable.
            with transaction.atomic():
                plan.save()
        except IntegrityError:
            raise EditConflict() from None
        return _record_version(plan, user=user, what_changed=what_changed or "Safety plan started",
                               previous={}, now=now)
    previous = _latest_content(plan)
    _claim(plan, expected_version, now)
    return _record_version(plan, user=user, what_changed=what_changed, previous=previous, now=now)


def _next_position(row) -> int:
    last = type(row).objects.filter(plan_id=row.plan_id).order_by("-position").values_list("position", flat=True)
    return (last.first() or 0) + 1


@transaction.atomic
def plan_row_save(*, user, plan: SafetyPlan, row, expected_version: int, what_changed: str = "") -> PlanVersion:
    """Add a row to one of the plan's lists (worries, people of concern, steps, commitments), or
    save the changes to one (the instance as the form left it)."""
    layout = LIST_BY_MODEL[type(row)]
    if row.pk is not None and row.plan_id != plan.pk:
        raise ValueError("That row belongs to another plan.")
    now = timezone.now()
    previous = _latest_content(plan)
    _claim(plan, expected_version, now)
    adding = row.pk is None
    row.plan = plan
    if adding:
        row.position = _next_position(row)
    if isinstance(row, Commitment):
        row.agency = agency_named(row.who, local_authority_id=plan.family.local_authority_id)
    row.save()
    summary = comparison.row_summary(layout, {layout.summary_field: getattr(row, layout.summary_field)})
    default = f"{'Added' if adding else 'Changed'} {layout.noun}: {summary}"
    return _record_version(plan, user=user, what_changed=what_changed or default, previous=previous, now=now)


@transaction.atomic
def commitment_mark_done(*, user, plan: SafetyPlan, commitment: Commitment, expected_version: int) -> PlanVersion:
    """The quick way to record that someone in the safety network did what they said."""
    if commitment.status == Commitment.Status.DONE:
        raise NothingToSave("This commitment is already marked done.")
    commitment.status = Commitment.Status.DONE
    return plan_row_save(user=user, plan=plan, row=commitment, expected_version=expected_version,
                         what_changed=f"Marked a commitment done: {commitment.who}")


@transaction.atomic
def plan_row_remove(*, user, plan: SafetyPlan, row, expected_version: int) -> PlanVersion:
    layout = LIST_BY_MODEL[type(row)]
    if row.plan_id != plan.pk:
        raise ValueError("That row belongs to another plan.")
    now = timezone.now()
    previous = _latest_content(plan)
    _claim(plan, expected_version, now)
    summary = comparison.row_summary(layout, {layout.summary_field: getattr(row, layout.summary_field)})
    _delete(row, now=now)
    return _record_version(plan, user=user, what_changed=f"Removed {layout.noun}: {summary}",
                           previous=previous, now=now)


def _delete(row, *, now):
    if isinstance(row, Commitment):
        # Its clock would otherwise stay open on a promise nobody is making any more.
        deadlines.deadlines_close_for(row, now=now)
    row.delete()


def _from_json(name: str, value):
    if name in DATE_PARTS or name == "due_on":
        return date.fromisoformat(value) if value else None
    return value


@transaction.atomic
def safety_plan_restore(*, user, plan: SafetyPlan, number: int, expected_version: int) -> PlanVersion:
    """Make version ``number`` the plan again, as a new version: its words, and its lists row for
    row. A row still there is updated, one removed since comes back (with its old id when that is
    free, so a comparison sees the same row), and one added since is removed."""
    old = plan.versions.filter(number=number).values_list("content", flat=True).first()
    if old is None:
        raise UserFixableError(f"There is no version {number} of this plan.")
    now = timezone.now()
    previous = _latest_content(plan)
    for name in TEXT_PARTS:
        if name in old.get("text", {}):
            setattr(plan, name, _from_json(name, old["text"][name]))
    _claim(plan, expected_version, now)
    for layout in LISTS:
        _restore_rows(plan, layout, old.get(layout.key, []), now=now)
    return _record_version(plan, user=user, what_changed=f"Restored version {number}", previous=previous,
                           now=now, restored_from=number)


def _restore_rows(plan, layout, rows: list, *, now):
    model = layout.model
    current = {row.pk: row for row in model.objects.filter(plan=plan)}
    wanted_ids = {row.get("id") for row in rows}
    for pk, row in current.items():
        if pk not in wanted_ids:
            _delete(row, now=now)
    missing = [row["id"] for row in rows if row.get("id") not in current and row.get("id") is not None]
    taken = set(model.objects.filter(pk__in=missing).values_list("pk", flat=True))
    for position, values in enumerate(rows, start=1):
        row = current.get(values.get("id"))
        if row is None:
            free_id = values.get("id") if values.get("id") not in taken else None
            row = model(pk=free_id, plan=plan)
        for name in layout.fields:
            setattr(row, name, _from_json(name, values.get(name)))
        row.position = position
        if row.pk is not None and row.pk not in current:
            # A row coming back with its old id: an insert, not an update of nothing.
            row.save(force_insert=True)
        else:
            row.save()


@transaction.atomic
def safety_rating_add(*, user, plan: SafetyPlan, rating: SafetyRating) -> SafetyRating:
    if rating.rated_on and rating.rated_on > timezone.localdate():
        raise UserFixableError("A rating cannot be dated in the future.", field="rated_on")
    rating.plan = plan
    rating.recorded_by = user
    rating.save()
    return rating
