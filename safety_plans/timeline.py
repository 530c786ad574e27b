"""Safety plans, missing episodes and intelligence on the family timeline. Registered in
SafetyPlansConfig.ready.

Intelligence appears only when it was passed to the police, and only to those who may read the
intelligence log (families.permissions.may_see_intelligence): the timeline must not become a way
round that rule.
"""

from django.db.models import CharField, F, Value
from django.urls import reverse

from families.permissions import may_see_intelligence
from families.timeline import TimelineEntry, TimelineSource, entry_key, register, start_of_day, window
from safety_plans.models import IntelligenceEntry, MissingEpisode, PlanVersion


def _plan_versions(family, user, *, before, since, limit):
    versions = (
        PlanVersion.objects.filter(plan__family=family)
        .filter(window("saved_at", "plan", before=before, since=since))
        .select_related("plan__child", "saved_by")
        .order_by("-saved_at", "-pk")[:limit]
    )
    return [
        TimelineEntry(
            when=version.saved_at, kind="plan",
            title=f"{version.plan.child.first_name}'s safety plan, version {version.number}",
            detail=" ".join(part for part in (
                version.what_changed,
                f"Restored from version {version.restored_from}." if version.restored_from else "",
                f"Saved by {version.saved_by}.",
            ) if part),
            url=reverse("safety_plans:plan_versions", args=[family.pk, version.plan.child_id]),
            key=entry_key("plan", version.pk),
        )
        for version in versions
    ]


# Letters only, for the same reason as deadlines.timeline's events.
_MISSING_EVENTS = {
    "missing": "went_missing_at",
    "returned": "returned_at",
    "interview": "interview_done_at",
}


def _missing_title(event: str, episode: MissingEpisode) -> str:
    name = episode.child.first_name
    return {
        "missing": f"{name} went missing",
        "returned": f"{name} came back",
        "interview": f"Return home interview with {name}",
    }[event]


def _missing_detail(event: str, episode: MissingEpisode) -> str:
    if event == "missing":
        parts = ["Reported to the police" + (f", reference {episode.police_reference}."
                                             if episode.police_reference else ".")
                 if episode.reported_to_police_at else "Not reported to the police."]
    elif event == "returned":
        parts = [f"Found at {episode.where_found}." if episode.where_found else ""]
    else:
        parts = [f"Done by {episode.interview_by}." if episode.interview_by else ""]
    return " ".join(part for part in parts if part)


def _missing(family, user, *, before, since, limit):
    parts = [
        MissingEpisode.objects.filter(family=family)
        .filter(window(column, f"missing.{event}", before=before, since=since))
        .annotate(moment=F(column), event=Value(event, output_field=CharField()))
        .order_by()
        .values("id", "moment", "event")
        for event, column in _MISSING_EVENTS.items()
    ]
    events = list(parts[0].union(*parts[1:], all=True).order_by("-moment", "-event", "-id")[:limit])
    if not events:
        return []
    episodes = MissingEpisode.objects.select_related("child").in_bulk({e["id"] for e in events})
    entries = []
    for event in events:
        episode = episodes[event["id"]]
        entries.append(TimelineEntry(
            when=event["moment"], kind="missing", title=_missing_title(event["event"], episode),
            detail=_missing_detail(event["event"], episode),
            url=reverse("safety_plans:missing", args=[family.pk, episode.child_id]),
            key=entry_key(f"missing.{event['event']}", episode.pk),
        ))
    return entries


def _intelligence(family, user, *, before, since, limit):
    if not may_see_intelligence(user, family):
        return []
    passed = (
        IntelligenceEntry.objects.filter(family=family)
        .filter(window("passed_to_police_on", "intelligence", before=before, since=since, day=True))
        .order_by("-passed_to_police_on", "-pk")[:limit]
    )
    return [
        TimelineEntry(
            when=start_of_day(entry.passed_to_police_on), kind="intelligence",
            title=f"Intelligence passed to the police: {entry.get_kind_display().lower()}",
            detail=" ".join(part for part in (
                f"To {entry.police_officer_or_unit}." if entry.police_officer_or_unit else "",
                f"Police reference {entry.police_reference}." if entry.police_reference else "",
            ) if part),
            url=reverse("safety_plans:intelligence", args=[family.pk]),
            key=entry_key("intelligence", entry.pk), day_only=True,
        )
        for entry in passed
    ]


def register_sources():
    register(TimelineSource(kind="plan", label="Safety plan versions", read=_plan_versions))
    register(TimelineSource(kind="missing", label="Missing episodes", read=_missing))
    register(TimelineSource(kind="intelligence", label="Intelligence passed to the police", read=_intelligence))
