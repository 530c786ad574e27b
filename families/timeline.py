"""One timeline of everything that happened to a family. ``families`` knows only its own events
(calls); each app above registers a source of its own kinds (referral milestones, flags, meetings,
plan versions, missing episodes…) in its ``AppConfig.ready``, and the family page reads them all
through ``timeline_for``.

A source reads, newest first, at most ``limit`` of its entries strictly older than ``before`` (and
no older than ``since``): one or two queries whatever the family's history, so a page of the
timeline costs a fixed number of queries and reads a bounded number of rows.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime


@dataclass(frozen=True)
class TimelineEntry:
    when: datetime  # aware; shown in Europe/London
    kind: str  # the source's kind, for filtering: "call", "referral", "flag", "meeting", …
    title: str
    detail: str = ""
    url: str | None = None
    # Disambiguates entries at the same moment, so pages never repeat or skip one (see entry_key).
    key: str = ""
    # Known only by its date (a letter received, a social worker allocated): shown without a time.
    day_only: bool = False
    # The detail holds distressing detail: shown only when someone chooses to read it.
    handle_with_care: bool = False


@dataclass(frozen=True)
class TimelineSource:
    kind: str
    label: str  # for the filter: "Calls", "Referrals to children's social care", …
    # read(family, user, *, before, since, limit) -> list[TimelineEntry], newest first
    read: Callable


_SOURCES: dict[str, TimelineSource] = {}


def register(source: TimelineSource) -> None:
    _SOURCES[source.kind] = source


def sources() -> list[TimelineSource]:
    return list(_SOURCES.values())


# --------------------------------------------------------------- reading one page

# A timeline page at most; the pack reads a period page by page up to PACK_LIMIT entries.
MAX_LIMIT = 500
_KEY = re.compile(r"^[a-z_.]+:\d{12}$")


def entry_key(prefix: str, pk: int) -> str:
    """The key of a source's entry: the source's own prefix (letters, "_" and ".", never ":") and
    the row's id, zero-padded so keys sort as the ids do."""
    return f"{prefix}:{pk:012d}"


@dataclass(frozen=True)
class Cursor:
    """Where a page of the timeline ends: the last entry's moment and key. The next page is every
    entry strictly older, in the order (moment, key), newest first."""

    when: datetime
    key: str = ""

    @classmethod
    def parse(cls, when: str, key: str = "") -> "Cursor | None":
        moment = parse_datetime(when or "")
        if moment is None or timezone.is_naive(moment) or (key and not _KEY.match(key)):
            return None
        return cls(moment, key)


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def start_of_day(day: date) -> datetime:
    """The first moment of a London day: where an event known only by its date is placed."""
    return _start_of(day)


def _first_day_from(moment: datetime) -> date:
    """The first day whose start is at or after ``moment``."""
    day = timezone.localdate(moment)
    return day if _start_of(day) >= moment else day + timedelta(days=1)


def _tie(field: str, value, prefix: str, cursor: Cursor, pk_field: str) -> Q:
    """Entries at the cursor's very moment that sort before its key."""
    own = prefix + ":"
    if cursor.key.startswith(own):
        return Q(**{field: value, f"{pk_field}__lt": int(cursor.key[len(own):])})
    if own < cursor.key:
        # Every key with this prefix sorts before the cursor's (see entry_key).
        return Q(**{field: value})
    return Q(pk__in=[])


def window(field: str, prefix: str, *, before: Cursor | None, since: datetime | None,
           day: bool = False, pk_field: str = "pk") -> Q:
    """The condition for a source's rows whose moment (``field``) is strictly older than ``before``
    in the order (moment, key) and no older than ``since``. ``day``: the field is a date, whose
    moment is the start of that London day."""
    condition = Q(**{f"{field}__isnull": False})
    if before is not None:
        if day:
            boundary = _first_day_from(before.when)
            condition &= Q(**{f"{field}__lt": boundary})
            if _start_of(boundary) == before.when:
                condition |= Q(**{f"{field}__isnull": False}) & _tie(field, boundary, prefix, before, pk_field)
        else:
            condition &= Q(**{f"{field}__lt": before.when}) | _tie(field, before.when, prefix, before, pk_field)
    if since is not None:
        condition &= Q(**{f"{field}__gte": _first_day_from(since) if day else since})
    return condition


def newest(entries, limit: int) -> list[TimelineEntry]:
    """A source's entries from several reads, in the timeline's order, cut to ``limit``."""
    return sorted(entries, key=_order, reverse=True)[:limit]


def _order(entry: TimelineEntry):
    return (entry.when, entry.key)


@dataclass
class TimelinePage:
    entries: list[TimelineEntry]
    # Where the next (older) page starts; None on the last page.
    older: Cursor | None
    kinds: list[str]


def timeline_for(family, user, *, kinds=None, since: datetime | None = None, before=None,
                 limit: int = 50) -> TimelinePage:
    """One page of the family's timeline, newest first: at most ``limit`` entries strictly older than
    ``before`` (a Cursor, or a moment) and no older than ``since``, of the chosen kinds (all when
    None). Each source reads at most ``limit + 1`` entries in a fixed number of queries, so a page
    costs the same whatever the family's history."""
    limit = max(1, min(limit, MAX_LIMIT))
    if isinstance(before, datetime):
        before = Cursor(before)
    chosen = [s for s in _SOURCES.values() if kinds is None or s.kind in kinds]
    entries = []
    for source in chosen:
        entries += source.read(family, user, before=before, since=since, limit=limit + 1)
    entries = newest(entries, limit + 1)
    shown = entries[:limit]
    older = Cursor(shown[-1].when, shown[-1].key) if len(entries) > limit else None
    return TimelinePage(entries=shown, older=older, kinds=[s.kind for s in chosen])
