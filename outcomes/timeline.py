"""Ratings on the family timeline: "Ratings recorded: confidence 2 → 4, …", each answer beside the
parent's answer before it (no words of anyone's). Registered in OutcomesConfig.ready: one query,
the earlier answers read in it as subqueries."""

from django.db.models import OuterRef, Q, Subquery
from django.urls import reverse

from families.timeline import TimelineEntry, TimelineSource, entry_key, newest, register, start_of_day, window
from outcomes.measures import MEASURES
from outcomes.models import CheckIn

KIND = "outcomes"


def _earlier(field: str):
    """The same parent's answer to ``field`` in their check-in just before this one."""
    before = CheckIn.objects.filter(parent_id=OuterRef("parent_id")).filter(
        Q(asked_on__lt=OuterRef("asked_on")) | Q(asked_on=OuterRef("asked_on"), pk__lt=OuterRef("pk"))
    )
    return Subquery(before.order_by("-asked_on", "-pk").values(field)[:1])


def _earlier_exists():
    before = CheckIn.objects.filter(parent_id=OuterRef("parent_id")).filter(
        Q(asked_on__lt=OuterRef("asked_on")) | Q(asked_on=OuterRef("asked_on"), pk__lt=OuterRef("pk"))
    )
    return Subquery(before.order_by("-asked_on", "-pk").values("pk")[:1])


def ratings_in_words(check_in, earlier: dict | None) -> str:
    """"confidence 2 → 4, understanding 3, wellbeing 3 → 3": each answer given, after the one
    before it where that was answered (``earlier`` None: the parent's first ratings)."""
    parts = []
    for measure in MEASURES:
        now = getattr(check_in, measure.field)
        if now is None:
            continue
        before = earlier.get(measure.field) if earlier else None
        parts.append(f"{measure.short} {before} → {now}" if before is not None else f"{measure.short} {now}")
    return ", ".join(parts)


def _check_ins(family, user, *, before, since, limit):
    rows = (
        CheckIn.objects.filter(family=family)
        .filter(window("asked_on", "outcomes", before=before, since=since, day=True))
        .select_related("parent")
        .annotate(earlier_pk=_earlier_exists(), **{f"earlier_{m.field}": _earlier(m.field) for m in MEASURES})
        .order_by("-asked_on", "-pk")[:limit]
    )
    entries = []
    for check_in in rows:
        earlier = (
            {m.field: getattr(check_in, f"earlier_{m.field}") for m in MEASURES}
            if check_in.earlier_pk is not None else None
        )
        entries.append(TimelineEntry(
            when=start_of_day(check_in.asked_on), kind=KIND,
            title=f"Ratings recorded: {ratings_in_words(check_in, earlier)}",
            detail=f"{check_in.parent.full_name}, {check_in.get_occasion_display().lower()}. Out of 5.",
            url=reverse("outcomes:check_in_list", args=[family.pk]) + f"#check-in-{check_in.pk}",
            key=entry_key("outcomes", check_in.pk), day_only=True,
        ))
    return newest(entries, limit)


def register_sources():
    register(TimelineSource(kind=KIND, label="Parents' ratings", read=_check_ins))
