"""Overdue flags on the family timeline: raised, very late, acknowledged, resolved. The engine knows
nothing of what its promises are about, so each entry says what was due in the deadline's own words
and links where its kind (deadlines.kinds) says the promise is read about. Registered in
DeadlinesConfig.ready.

The four events of a flag are one UNION query cut to the page (each part over one column of the
flag), then one query for those flags and their deadlines, and one per kind present for the links.
"""

from django.db.models import CharField, F, Value

from deadlines import kinds
from deadlines.models import OverdueFlag
from families.timeline import TimelineEntry, TimelineSource, entry_key, register, window

# Letters only: the UNION is ordered by these in SQL and the page by the keys in Python, and the two
# orders agree only if no collation rule for punctuation comes into it.
_EVENTS = {
    "raised": "raised_at",
    "escalated": "escalated_at",
    "acknowledged": "acknowledged_at",
    "resolved": "resolved_at",
}


def _prefix(event: str) -> str:
    return f"flag.{event}"


def _title(event: str, flag: OverdueFlag) -> str:
    label = flag.deadline.label
    return {
        "raised": f"Overdue: {label}",
        "escalated": f"Very late (twice the time allowed): {label}",
        "acknowledged": f"Flag acknowledged: {label}",
        "resolved": f"Flag resolved: {label}",
    }[event]


def _detail(event: str, flag: OverdueFlag) -> str:
    if event == "raised":
        return f"Allowed: {flag.deadline.allowance}."
    if event == "acknowledged":
        return " ".join(part for part in (f"By {flag.acknowledged_by}.", flag.acknowledgement_note) if part)
    if event == "resolved":
        return "It happened, or no longer applies." if flag.deadline.met_at or flag.deadline.cancelled_at else ""
    return ""


def _flags(family, user, *, before, since, limit):
    parts = [
        OverdueFlag.objects.filter(family=family)
        .filter(window(column, _prefix(event), before=before, since=since))
        .annotate(moment=F(column), event=Value(event, output_field=CharField()))
        .order_by()
        .values("id", "moment", "event")
        for event, column in _EVENTS.items()
    ]
    events = list(parts[0].union(*parts[1:], all=True).order_by("-moment", "-event", "-id")[:limit])
    if not events:
        return []
    flags = OverdueFlag.objects.select_related("deadline", "acknowledged_by").in_bulk({e["id"] for e in events})
    links = kinds.links_for(flag.deadline for flag in flags.values())
    return [
        TimelineEntry(
            when=event["moment"], kind="flag", title=_title(event["event"], flag := flags[event["id"]]),
            detail=_detail(event["event"], flag), url=links.get(flag.deadline_id),
            key=entry_key(_prefix(event["event"]), flag.pk),
        )
        for event in events
    ]


def register_sources():
    register(TimelineSource(kind="flag", label="Overdue flags", read=_flags))
