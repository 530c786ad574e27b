"""Accountability figures: what each agency agreed to do at meetings about the families of a
manager's teams, and whether it did it, for the charity to take to commissioners and to the
agencies themselves. They sit beside the delay figures (referrals.figures) and are worked out
the same way: counts, medians and a server-drawn chart, with the definitions on the page.

Definitions (also shown on the page):

- An action counts in a period when the meeting it was agreed at was held in it (London dates,
  both ends included), whatever has happened to it since.
- Done on time: done on or before its date, or done when no date was set. Done late: done after
  its date. Still open: neither done nor dropped, today. Dropped: agreed, then dropped, with a
  reason.
- The share done on time is of the actions whose outcome is known: those done, and those still
  open past their date (already late, whatever happens next). Open actions not yet due, or with no
  date, are not in it either way; dropped ones are counted apart. It is always shown with its n.
- Days open are counted from the day of the meeting to today, for the actions still open: the
  median (statistics.median, so 2, 4, 6 and 30 days give 5) and the longest. Open actions past
  their date are those whose date is before today.
- Agency: the directory agency's name when one is linked, else the name typed in (spaces trimmed,
  capitals ignored, so "Police " and "police" are one), else "Not recorded".
- Local authority: the linked agency's authority; for a typed-in name, or an agency that works
  everywhere, the family's authority; else "Not recorded".
- Per agency, the figures are given within each local authority (the same name in two authorities
  is two agencies), so the agency rows of an authority add up to its row.

One query whatever the number of actions: the few columns needed, for the period's actions only,
counted in Python.
"""

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from core import charts
from core.forms import PeriodForm, UKDateField
from core.working_days import LONDON
from meetings.models import MeetingAction

NOT_RECORDED = "Not recorded"
ALL_AUTHORITIES = "All local authorities"


def agency_key(name: str) -> str:
    """A typed-in agency name reduced for grouping: spaces trimmed and collapsed, capitals ignored."""
    return " ".join(name.split()).casefold()


@dataclass
class ActionFigures:
    """What was agreed and what became of it, for one agency in one authority, or one authority."""

    agency: str  # "" for an authority's row
    local_authority: str
    agreed: int = 0
    done_on_time: int = 0
    done_late: int = 0
    open: int = 0
    open_past_date: int = 0
    open_without_date: int = 0
    dropped: int = 0
    median_days_open: float | None = None
    longest_days_open: int | None = None

    @property
    def outcome_known(self) -> int:
        """The n of the share done on time: done, or open past their date."""
        return self.done_on_time + self.done_late + self.open_past_date

    @property
    def share_on_time(self) -> float | None:
        return self.done_on_time / self.outcome_known if self.outcome_known else None

    @property
    def share_on_time_percent(self) -> int | None:
        share = self.share_on_time
        return None if share is None else round(share * 100)


@dataclass
class AccountabilityFigures:
    by_agency: list[ActionFigures]
    by_local_authority: list[ActionFigures]
    total: ActionFigures


@dataclass
class ActionTally:
    """What became of a set of agreed actions, counted as the accountability figures count them
    (the funders' service reports count by the family's authority with the same tally)."""

    agreed: int = 0
    done_on_time: int = 0
    done_late: int = 0
    open_past_date: int = 0
    open_without_date: int = 0
    dropped: int = 0
    days_open: list[int] = field(default_factory=list)
    linked_names: Counter = field(default_factory=Counter)
    typed_names: Counter = field(default_factory=Counter)

    def add(self, *, status, due_on, done_on, held_on, today):
        self.agreed += 1
        if status == MeetingAction.Status.DONE:
            if due_on is None or done_on <= due_on:
                self.done_on_time += 1
            else:
                self.done_late += 1
        elif status == MeetingAction.Status.DROPPED:
            self.dropped += 1
        else:
            # A meeting recorded with a date still to come would otherwise give negative days.
            self.days_open.append(max(0, (today - held_on).days))
            if due_on is None:
                self.open_without_date += 1
            elif due_on < today:
                self.open_past_date += 1

    def figures(self, *, agency: str, local_authority: str) -> ActionFigures:
        return ActionFigures(
            agency=agency,
            local_authority=local_authority,
            agreed=self.agreed,
            done_on_time=self.done_on_time,
            done_late=self.done_late,
            open=len(self.days_open),
            open_past_date=self.open_past_date,
            open_without_date=self.open_without_date,
            dropped=self.dropped,
            median_days_open=statistics.median(self.days_open) if self.days_open else None,
            longest_days_open=max(self.days_open) if self.days_open else None,
        )

    def label(self) -> str:
        """The directory's spelling when any action of the group is linked to it, else the most
        used typed-in spelling (alphabetically first of equals), else "Not recorded"."""
        for names in (self.linked_names, self.typed_names):
            if names:
                return min(names.items(), key=lambda item: (-item[1], item[0]))[0]
        return NOT_RECORDED


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=LONDON)


def _sorted(figures: list[ActionFigures]) -> list[ActionFigures]:
    """Alphabetical, with "Not recorded" last: it is a gap in the records, not an agency."""

    def key(figure):
        return (
            figure.local_authority == NOT_RECORDED, figure.local_authority.casefold(),
            figure.agency == NOT_RECORDED, figure.agency.casefold(),
        )

    return sorted(figures, key=key)


def accountability_figures(*, team_ids: list[int], start: date, end: date, today: date) -> AccountabilityFigures:
    """Figures for the actions agreed at meetings held from ``start`` to ``end`` (London dates,
    inclusive) about the families of ``team_ids``, per agency within each local authority, per
    local authority, and in all. Open actions' ages are as of ``today``. One query."""
    rows = (
        MeetingAction.objects.filter(
            meeting__family__team_id__in=team_ids,
            meeting__held_at__gte=_start_of(start),
            meeting__held_at__lt=_start_of(end + timedelta(days=1)),
        )
        .order_by()
        .values_list(
            "status", "due_on", "done_on", "meeting__held_at",
            "agency__name", "agency_name",
            "agency__local_authority_id", "agency__local_authority__name",
            "meeting__family__local_authority_id", "meeting__family__local_authority__name",
        )
    )
    by_agency: dict[tuple, ActionTally] = defaultdict(ActionTally)
    by_authority: dict[int | None, ActionTally] = defaultdict(ActionTally)
    authority_names: dict[int | None, str] = {None: NOT_RECORDED}
    total = ActionTally()
    for (status, due_on, done_on, held_at, linked_name, typed_name, agency_authority_id, agency_authority_name,
         family_authority_id, family_authority_name) in rows.iterator(chunk_size=2000):
        if agency_authority_id is not None:
            authority_id, authority_name = agency_authority_id, agency_authority_name
        else:
            authority_id, authority_name = family_authority_id, family_authority_name
        if authority_id is not None:
            authority_names[authority_id] = authority_name
        typed_name = " ".join((typed_name or "").split())
        name = linked_name or typed_name
        agency = by_agency[(authority_id, agency_key(name) if name else None)]
        if linked_name:
            agency.linked_names[linked_name] += 1
        elif typed_name:
            agency.typed_names[typed_name] += 1
        outcome = {
            "status": status, "due_on": due_on, "done_on": done_on, "today": today,
            "held_on": held_at.astimezone(LONDON).date(),
        }
        for tally in (agency, by_authority[authority_id], total):
            tally.add(**outcome)

    return AccountabilityFigures(
        by_agency=_sorted([
            tally.figures(agency=tally.label(), local_authority=authority_names[authority_id])
            for (authority_id, _name), tally in by_agency.items()
        ]),
        by_local_authority=_sorted([
            tally.figures(agency="", local_authority=authority_names[authority_id])
            for authority_id, tally in by_authority.items()
        ]),
        total=total.figures(agency="", local_authority=ALL_AUTHORITIES),
    )


# ------------------------------------------------------------------ the chart

# Okabe and Ito's palette, told apart with the commonest colour-blindness; each part also has
# a pattern-free legend and a tooltip, and the table gives every number.
PARTS = [
    # (the figure, its legend, how a count of it is read out, its colour)
    ("done_on_time", "Done on time", "done on time", "#009e73"),
    ("done_late", "Done late", "done late", "#e69f00"),
    ("open_past_date", "Open, past its date", "open past their date", "#d55e00"),
    ("open_in_time", "Open, not yet due or no date", "open and not yet due or with no date", "#56b4e9"),
    ("dropped", "Dropped", "dropped", "#999999"),
]


@dataclass(frozen=True, kw_only=True)
class ActionSegment(charts.Segment):
    label: str
    phrase: str
    count: int
    colour: str


@dataclass(frozen=True, kw_only=True)
class ActionBar(charts.StackedBar):
    title: str  # the full label, when ``label`` is shortened to fit
    total: int


@dataclass(frozen=True)
class LegendEntry:
    label: str
    colour: str
    x: int
    y: int

    @property
    def text_x(self):
        return self.x + 18

    @property
    def text_y(self):
        return self.y + 11


LEGEND_HEIGHT = 52  # two rows of three parts
OUTCOME_CHART = charts.Layout(top=LEGEND_HEIGHT + 10, value_width=60)
LABEL_CHARACTERS = 36


@dataclass(frozen=True)
class OutcomeChart(charts.BarChart):
    """The actions agreed per agency, split by what became of them, with a legend above the bars."""

    layout: charts.Layout = OUTCOME_CHART

    @property
    def legend(self) -> list[LegendEntry]:
        per_row = 3
        return [
            LegendEntry(label=label, colour=colour, x=10 + (index % per_row) * 230, y=6 + (index // per_row) * 22)
            for index, (_, label, _phrase, colour) in enumerate(PARTS)
        ]


def _shortened(text: str, characters: int) -> str:
    return text if len(text) <= characters else text[: characters - 1].rstrip() + "…"


def outcome_chart(figures: list[ActionFigures]) -> OutcomeChart | None:
    """One bar per row of ``figures``, as long as the actions agreed, split by what became of them.
    Bars are labelled with the agency, and its authority too when there is more than one."""
    if not figures:
        return None
    several_authorities = len({figure.local_authority for figure in figures}) > 1
    most = max(figure.agreed for figure in figures) or 1
    layout = OUTCOME_CHART
    bars = []
    for index, figure in enumerate(figures):
        counts = {
            "done_on_time": figure.done_on_time,
            "done_late": figure.done_late,
            "open_past_date": figure.open_past_date,
            "open_in_time": figure.open - figure.open_past_date,
            "dropped": figure.dropped,
        }
        title = f"{figure.agency}, {figure.local_authority}" if figure.agency else figure.local_authority
        label = title if several_authorities or not figure.agency else figure.agency
        placed = layout.stacked(((part, counts[part[0]]) for part in PARTS), most)
        bars.append(
            ActionBar(
                label=_shortened(label, LABEL_CHARACTERS),
                title=title,
                total=figure.agreed,
                y=layout.bar_y(index),
                segments=[
                    ActionSegment(label=part_label, phrase=phrase, count=counts[key], colour=colour, x=x, width=width)
                    for (key, part_label, phrase, colour), x, width in placed
                ],
                layout=layout,
            )
        )
    return OutcomeChart(bars=bars)


# ------------------------------------------------------------------ the period


class MeetingPeriodForm(PeriodForm):
    """The delay figures' period (the last twelve months unless chosen; five years at most), for
    the meetings the actions were agreed at."""

    start = UKDateField(label="Meetings held from")
