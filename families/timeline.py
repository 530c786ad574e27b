"""One timeline of everything that happened to a family. ``families`` knows only its own events
(calls); each app above registers a source of its own kinds (referral milestones, flags, meetings,
plan versions, missing episodes…) in its ``AppConfig.ready``, and the family page reads them all
through ``timeline_for``.

A source reads, newest first, at most ``limit`` of its entries strictly older than ``before`` (and
no older than ``since``): one or two queries whatever the family's history, so a page of the
timeline costs a fixed number of queries and reads a bounded number of rows.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class TimelineEntry:
    when: datetime  # aware; shown in Europe/London
    kind: str  # the source's kind, for filtering: "call", "referral", "flag", "meeting", …
    title: str
    detail: str = ""
    url: str | None = None
    # Disambiguates entries at the same moment, so pages never repeat or skip one.
    key: str = ""


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
