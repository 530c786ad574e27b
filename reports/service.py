"""Service reports for funders: what the service did for the families of an area (one or several
local authorities) over a period, as counts only, and the same figures quarter by quarter.

Definitions (also shown on the page, in plain words):

- An area's families are those whose own local authority is one of the area's, among the families
  of the teams the reader manages. A referral counts in the authority it was made to.
- A family's support began at the earlier of the day its record was made and its first call (a call
  struck out as logged by mistake is not a call, here or anywhere in the report).
- New: support began in the period. Continuing: support began before the period, the family was
  still open on its first day (open now, or closed on that day or later), and had at least one call
  in it. Families supported: new and continuing together.
- Calls: every call, text, e-mail, video call, visit or befriending contact in the period; their
  time is the minutes recorded; the median is the middle length (half shorter, half longer).
- Support given: how many of the period's calls recorded each kind of support (a call can record
  several, so the kinds add up to more than the calls).
- Exploitation types: the children of the families supported, counted once under each type
  recorded for them (a child can have several).
- Referrals: those made in the period, and how long children's social care took, from
  referrals.figures (Kaplan–Meier, so referrals still waiting count as long as they have waited).
- Meeting actions: those agreed at meetings about the area's families held in the period, and what
  became of them, as meetings.figures counts them (done on time, done late, still open, dropped).
- Outcomes: the rule of outcomes.report, per area and quarter: each parent who rated a measure in
  the period, their latest rating in it against their first ever, when the latest was asked on a
  later day: improved, stayed the same or got worse; parents with no later rating yet are counted
  apart. Only ratings asked with the questions as worded now count.
- Over time: the same headline figures for each calendar quarter of the period (the first and last
  may be part-quarters). A family continuing in a quarter may have been new in the one before.

A fixed number of queries whatever the number of families: counts are grouped in SQL, by authority
and quarter at once (a CASE on the date gives the quarter), never a query per quarter or per area,
and nothing is read row by row: the referrals come as referrals.figures' counts by authority,
quarter and working days, the outcomes as outcomes.report's counts by authority, quarter and change.
The whole period and all the chosen areas together are those counts added up.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta

from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, Least

from core.working_days import LONDON
from families.models import Contact, Family, LocalAuthority, Person
from meetings.models import MeetingAction
from outcomes.report import MeasureFigures, RatingChanges, rating_changes
from referrals.figures import Delay, Period, delay_from_counts, follow_up_counts
from referrals.models import Referral

ALL_CHOSEN = "All chosen areas together"
NONE_RECORDED = "None recorded"
# The key of the figures for all the chosen authorities together.
TOGETHER = None


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=LONDON)


def _end_of(day: date) -> datetime:
    """The first moment after ``day`` (London): periods include both their days."""
    return _start_of(day + timedelta(days=1))


def quarters(start: date, end: date) -> list[Period]:
    """The calendar quarters (January to March, ...) from ``start`` to ``end``, the first and last cut
    to the period."""
    periods = []
    quarter_start = date(start.year, 3 * ((start.month - 1) // 3) + 1, 1)
    while quarter_start <= end:
        next_start = date(quarter_start.year + (quarter_start.month > 9), (quarter_start.month + 2) % 12 + 1, 1)
        periods.append(Period(max(start, quarter_start), min(end, next_start - timedelta(days=1))))
        quarter_start = next_start
    return periods


def _quarter_of(moment_field: str, periods: list[Period]) -> Case:
    """The index of the quarter a moment falls in (NULL outside them all), for grouping in SQL."""
    return Case(
        *(
            When(**{f"{moment_field}__gte": _start_of(p.start), f"{moment_field}__lt": _end_of(p.end)}, then=Value(i))
            for i, p in enumerate(periods)
        ),
        default=Value(None),
        output_field=IntegerField(),
    )


def median_of_counts(counts: Counter) -> float | None:
    """The median of values given as {value: how many}, as statistics.median gives it (the middle
    one, or halfway between the middle two)."""
    total = sum(counts.values())
    if not total:
        return None
    middle = [(total - 1) // 2, total // 2]
    found, seen = [], 0
    for value in sorted(counts):
        while middle and middle[0] < seen + counts[value]:
            found.append(value)
            middle.pop(0)
        seen += counts[value]
    return (found[0] + found[1]) / 2


# ------------------------------------------------------------------ what the report holds


def minutes_in_words(minutes: float | None) -> str:
    """"2 hours 5 minutes", "45 minutes", "1 hour", "7.5 minutes" (a median of an even number of calls)."""
    if minutes is None:
        return "no calls"
    hours, rest = divmod(minutes, 60)
    rest = int(rest) if float(rest).is_integer() else round(rest, 1)
    parts = []
    if hours:
        parts.append(f"{int(hours)} hour{'' if hours == 1 else 's'}")
    if rest or not hours:
        parts.append(f"{rest} minute{'' if rest == 1 else 's'}")
    return " ".join(parts)


@dataclass(frozen=True)
class Breakdown:
    label: str
    count: int
    minutes: int | None = None  # for calls by channel


@dataclass
class CallFigures:
    count: int = 0
    minutes: int = 0
    median_minutes: float | None = None
    by_channel: list[Breakdown] = field(default_factory=list)

    @property
    def time_in_words(self) -> str:
        return minutes_in_words(self.minutes)

    @property
    def median_in_words(self) -> str:
        return minutes_in_words(self.median_minutes)


@dataclass(frozen=True)
class ActionCounts:
    """What became of the actions agreed at the period's meetings, counted as meetings.figures counts
    them: done on time (by the date agreed, or there was none), done late, still open, dropped."""

    agreed: int = 0
    done_on_time: int = 0
    done_late: int = 0
    open: int = 0
    dropped: int = 0

    def __add__(self, other: "ActionCounts") -> "ActionCounts":
        return ActionCounts(*(getattr(self, count.name) + getattr(other, count.name) for count in fields(self)))


@dataclass
class Figures:
    """The headline figures of one area over one period (the whole period, or one quarter)."""

    period: Period
    new_families: int = 0
    continuing_families: int = 0
    calls: CallFigures = field(default_factory=CallFigures)
    referrals: int = 0
    to_decision: Delay | None = None  # None: no referrals made in the period
    to_assessment: Delay | None = None  # None: none of them calls for an assessment
    actions: ActionCounts = field(default_factory=ActionCounts)
    # Each measure someone rated in the period (outcomes.report's figures); "first only" is no later
    # rating yet.
    outcomes: list[MeasureFigures] = field(default_factory=list)

    @property
    def families_supported(self) -> int:
        return self.new_families + self.continuing_families

    @property
    def actions_done(self) -> int:
        return self.actions.done_on_time + self.actions.done_late


@dataclass
class AreaFigures(Figures):
    """One chosen local authority (or all of them together, ``local_authority_id`` None), with the
    breakdowns given for the whole period only, and the headline figures quarter by quarter."""

    local_authority_id: int | None = None
    name: str = ""
    support: list[Breakdown] = field(default_factory=list)
    children: int = 0
    exploitation: list[Breakdown] = field(default_factory=list)
    over_time: list[Figures] = field(default_factory=list)


@dataclass(frozen=True)
class ServiceReport:
    period: Period
    now: datetime
    areas: list[AreaFigures]  # each chosen authority by name, then all together when more than one
    quarters: list[Period]


# ------------------------------------------------------------------ the figures, one query each


class _Scope:
    """The families, calls and referrals the report counts: those of ``team_ids``' families whose
    local authority (a referral's own, for referrals) is one of ``local_authority_ids``."""

    def __init__(self, *, team_ids, local_authority_ids, start, end):
        self.team_ids, self.local_authority_ids = team_ids, local_authority_ids
        self.start, self.end = start, end
        self.period = Period(start, end)
        self.quarters = quarters(start, end)
        self.begins, self.ends = _start_of(start), _end_of(end)

    def families(self):
        first_call = Contact.objects.filter(family=OuterRef("pk"), struck_at__isnull=True).order_by(
            "occurred_at").values("occurred_at")[:1]
        return Family.objects.order_by().filter(
            team_id__in=self.team_ids, local_authority_id__in=self.local_authority_ids
        ).annotate(support_began_at=Least("created_at", Coalesce(Subquery(first_call), "created_at")))

    def calls(self):
        return Contact.objects.order_by().filter(
            struck_at__isnull=True,
            family__team_id__in=self.team_ids,
            family__local_authority_id__in=self.local_authority_ids,
            occurred_at__gte=self.begins,
            occurred_at__lt=self.ends,
        )

    def supported_families(self):
        """The families supported in the whole period: new, or continuing (see the module's notes)."""
        call_in_period = Contact.objects.filter(
            family=OuterRef("pk"), struck_at__isnull=True, occurred_at__gte=self.begins, occurred_at__lt=self.ends
        )
        return self.families().filter(
            Q(support_began_at__gte=self.begins, support_began_at__lt=self.ends)
            | Q(support_began_at__lt=self.begins) & _open_on(self.start, "") & Exists(call_in_period)
        )


def _open_on(day: date, prefix: str) -> Q:
    """Still open on ``day``: open now, or closed on that day or later (an open family has no
    closing date)."""
    return Q(**{f"{prefix}closed_on__isnull": True}) | Q(**{f"{prefix}closed_on__gte": day})


def _new_families(scope: _Scope) -> dict:
    """{(authority, quarter): families whose support began in it}; the period's is their sum."""
    rows = (
        scope.families()
        .filter(support_began_at__gte=scope.begins, support_began_at__lt=scope.ends)
        .annotate(quarter=_quarter_of("support_began_at", scope.quarters))
        .values("local_authority_id", "quarter")
        .annotate(families=Count("pk"))
    )
    return {(row["local_authority_id"], row["quarter"]): row["families"] for row in rows}


def _continuing_families(scope: _Scope) -> dict:
    """{(authority, quarter or "period"): continuing families}, one aggregate per quarter in one
    query: a family continuing in two quarters is one family in the period."""
    first_call = Contact.objects.filter(family=OuterRef("family_id"), struck_at__isnull=True).order_by(
        "occurred_at").values("occurred_at")[:1]
    began = Least("family__created_at", Coalesce(Subquery(first_call), "family__created_at"))

    def continuing_in(period: Period) -> Count:
        starts = _start_of(period.start)
        return Count("family_id", distinct=True, filter=(
            Q(occurred_at__gte=starts, occurred_at__lt=_end_of(period.end), support_began_at__lt=starts)
            & _open_on(period.start, "family__")
        ))

    aggregates = {"period": continuing_in(scope.period)}
    aggregates |= {f"quarter_{i}": continuing_in(period) for i, period in enumerate(scope.quarters)}
    rows = scope.calls().annotate(support_began_at=began).values("family__local_authority_id").annotate(**aggregates)
    figures = {}
    for row in rows:
        authority_id = row["family__local_authority_id"]
        figures[(authority_id, "period")] = row["period"]
        for i in range(len(scope.quarters)):
            figures[(authority_id, i)] = row[f"quarter_{i}"]
    return figures


def _call_lengths(scope: _Scope) -> dict:
    """{(authority, quarter): {channel: Counter(minutes: calls)}}, grouped in SQL: at most one row
    per authority, quarter, channel and length in minutes (600 at most), whatever the number of calls."""
    rows = (
        scope.calls()
        .annotate(quarter=_quarter_of("occurred_at", scope.quarters))
        .values("family__local_authority_id", "quarter", "channel", "duration_minutes")
        .annotate(calls=Count("pk"))
    )
    lengths: dict = defaultdict(lambda: defaultdict(Counter))
    for row in rows:
        lengths[(row["family__local_authority_id"], row["quarter"])][row["channel"]][row["duration_minutes"]] += (
            row["calls"])
    return lengths


def _call_figures(by_channel: dict[str, Counter]) -> CallFigures:
    every_call: Counter = Counter()
    for counts in by_channel.values():
        every_call.update(counts)
    labels = dict(Contact.Channel.choices)
    return CallFigures(
        count=sum(every_call.values()),
        minutes=sum(minutes * calls for minutes, calls in every_call.items()),
        median_minutes=median_of_counts(every_call),
        by_channel=[
            Breakdown(label=labels[channel], count=sum(counts.values()),
                      minutes=sum(minutes * calls for minutes, calls in counts.items()))
            for channel in Contact.Channel.values if (counts := by_channel.get(channel))
        ],
    )


def _breakdowns(rows, *, authority, label, position, count) -> dict[int, list[tuple]]:
    """{authority: [(position, label, count)]} from grouped rows; a missing label is "None recorded",
    listed last."""
    by_authority = defaultdict(list)
    for row in rows:
        missing = row[label] is None
        by_authority[row[authority]].append(
            (missing, row[position] or 0, NONE_RECORDED if missing else row[label], row[count]))
    return by_authority


def _support_given(scope: _Scope) -> dict:
    rows = scope.calls().values(
        "family__local_authority_id", "support_given__name", "support_given__position"
    ).annotate(calls=Count("pk"))
    return _breakdowns(rows, authority="family__local_authority_id", label="support_given__name",
                       position="support_given__position", count="calls")


def _children(scope: _Scope):
    """({authority: children of the families supported}, {authority: [(…, type, children)]})."""
    children = Person.objects.order_by().filter(
        kind=Person.Kind.CHILD, family__in=scope.supported_families().values("pk"))
    totals = {
        row["family__local_authority_id"]: row["children"]
        for row in children.values("family__local_authority_id").annotate(children=Count("pk"))
    }
    rows = children.values(
        "family__local_authority_id", "exploitation_types__name", "exploitation_types__position"
    ).annotate(children=Count("pk", distinct=True))
    return totals, _breakdowns(rows, authority="family__local_authority_id", label="exploitation_types__name",
                               position="exploitation_types__position", count="children")


def _merged(breakdowns: dict, authority_ids) -> list[Breakdown]:
    """The breakdowns of several authorities added up, by label."""
    counts: Counter = Counter()
    order: dict = {}
    for authority_id in authority_ids:
        for missing, position, label, count in breakdowns.get(authority_id, []):
            counts[label] += count
            order[label] = min(order.get(label, (missing, position)), (missing, position))
    return [Breakdown(label=label, count=counts[label]) for label in sorted(counts, key=lambda k: (*order[k], k))]


def _delays(scope: _Scope, now: datetime) -> dict:
    """{(authority or TOGETHER, quarter or "period"): (to decision, to assessment)} for the referrals
    made in the period: referrals.figures' counts by authority and quarter (one query), added up
    for the whole period and for all the chosen authorities together. An authority's whole period
    is the delay figures page's own figure: the same counts."""
    referrals = Referral.objects.order_by().filter(
        family__team_id__in=scope.team_ids, local_authority_id__in=scope.local_authority_ids)
    counts, _names = follow_up_counts(
        referrals, start=scope.start, end=scope.end, now=now, parts=scope.quarters)
    added_up: dict = defaultdict(lambda: {"decision": [], "assessment": []})
    for (authority_id, quarter, step), rows in counts.items():
        for key in ((authority_id, quarter), (authority_id, "period"), (TOGETHER, quarter), (TOGETHER, "period")):
            added_up[key][step] += rows
    return {key: (delay_from_counts(steps["decision"]), delay_from_counts(steps["assessment"]))
            for key, steps in added_up.items()}


def _actions(scope: _Scope) -> dict:
    """{(authority or TOGETHER, quarter or "period"): ActionCounts} of the actions agreed at meetings
    held in the period. Actions count in the family's authority here (the area the report is about),
    where the accountability figures count them in the agency's. One query, grouped by authority and
    quarter."""
    done, dropped = MeetingAction.Status.DONE, MeetingAction.Status.DROPPED
    rows = (
        MeetingAction.objects.order_by()
        .filter(
            meeting__family__team_id__in=scope.team_ids,
            meeting__family__local_authority_id__in=scope.local_authority_ids,
            meeting__held_at__gte=scope.begins,
            meeting__held_at__lt=scope.ends,
        )
        .annotate(quarter=_quarter_of("meeting__held_at", scope.quarters))
        .values("meeting__family__local_authority_id", "quarter")
        .annotate(
            agreed=Count("pk"),
            done_on_time=Count("pk", filter=Q(status=done) & (Q(due_on__isnull=True) | Q(done_on__lte=F("due_on")))),
            done_late=Count("pk", filter=Q(status=done, done_on__gt=F("due_on"))),
            open=Count("pk", filter=~Q(status__in=[done, dropped])),
            dropped=Count("pk", filter=Q(status=dropped)),
        )
    )
    counts: dict = defaultdict(ActionCounts)
    for row in rows:
        these = ActionCounts(**{count.name: row[count.name] for count in fields(ActionCounts)})
        authority_id, quarter = row["meeting__family__local_authority_id"], row["quarter"]
        for key in ((authority_id, quarter), (authority_id, "period"), (TOGETHER, quarter), (TOGETHER, "period")):
            counts[key] += these
    return counts


def _outcomes(ratings: RatingChanges, key, members: list[int]) -> list[MeasureFigures]:
    """The measures the parents of ``members`` rated in the quarter ``key`` (or the whole period)."""
    measures = ratings.measures(part=None if key == "period" else key, groups=members)
    return [figures for figures in measures if figures.compared or figures.first_only]


# ------------------------------------------------------------------ the report


def service_report(*, local_authority_ids: list[int], start: date, end: date, now: datetime,
                   team_ids: list[int]) -> ServiceReport:
    """The figures of each of ``local_authority_ids`` (and of all of them together, when more than
    one) for ``start`` to ``end`` (London dates, inclusive), as they stand at ``now``, counting the
    families of ``team_ids`` only. Ten queries, whatever the data."""
    scope = _Scope(team_ids=team_ids, local_authority_ids=local_authority_ids, start=start, end=end)
    names = dict(LocalAuthority.objects.filter(pk__in=local_authority_ids).values_list("pk", "name"))
    authority_ids = sorted(names, key=lambda pk: (names[pk], pk))

    new = _new_families(scope)
    continuing = _continuing_families(scope)
    lengths = _call_lengths(scope)
    support = _support_given(scope)
    children, exploitation = _children(scope)
    delays = _delays(scope, now)
    actions = _actions(scope)
    ratings = rating_changes(
        Family.objects.filter(team_id__in=team_ids, local_authority_id__in=local_authority_ids), scope.quarters,
        per_local_authority=True,
    )

    def headline(area: int | None, key, period: Period, members: list[int]) -> dict:
        channels: dict = defaultdict(Counter)
        quarter_keys = range(len(scope.quarters)) if key == "period" else [key]
        for member in members:
            for quarter in quarter_keys:
                for channel, counts in lengths.get((member, quarter), {}).items():
                    channels[channel].update(counts)
        to_decision, to_assessment = delays.get((area, key), (None, None))
        return {
            "period": period,
            "new_families": sum(new.get((member, quarter), 0) for member in members for quarter in quarter_keys),
            "continuing_families": sum(continuing.get((member, key), 0) for member in members),
            "calls": _call_figures(channels),
            "referrals": to_decision.counted if to_decision else 0,
            "to_decision": to_decision,
            "to_assessment": to_assessment,
            "actions": actions.get((area, key), ActionCounts()),
            "outcomes": _outcomes(ratings, key, members),
        }

    areas = []
    chosen = [(authority_id, [authority_id]) for authority_id in authority_ids]
    if len(authority_ids) > 1:
        chosen.append((TOGETHER, authority_ids))
    for area, members in chosen:
        areas.append(AreaFigures(
            **headline(area, "period", scope.period, members),
            local_authority_id=area,
            name=names.get(area, ALL_CHOSEN),
            support=_merged(support, members),
            children=sum(children.get(member, 0) for member in members),
            exploitation=_merged(exploitation, members),
            over_time=[Figures(**headline(area, i, quarter, members)) for i, quarter in enumerate(scope.quarters)],
        ))
    return ServiceReport(period=scope.period, now=now, areas=areas, quarters=scope.quarters)


# ------------------------------------------------------------------ the CSV

CSV_HEADER = ["Area", "From", "To", "Figure", "Breakdown", "Value"]


def _days(delay: Delay | None, which: str):
    if delay is None:
        return ""
    estimate = getattr(delay, which)
    return estimate.time if estimate.reached else f"more than {estimate.longest_follow_up}"


def _number(value):
    if value is None:
        return ""
    return int(value) if float(value).is_integer() else round(value, 1)


def _headline_rows(figures: Figures) -> list[tuple]:
    rows = [
        ("Families supported", "", figures.families_supported),
        ("Families supported", "New", figures.new_families),
        ("Families supported", "Continuing", figures.continuing_families),
        ("Calls", "", figures.calls.count),
        ("Call time in minutes", "", figures.calls.minutes),
        ("Median call length in minutes", "", _number(figures.calls.median_minutes)),
        *(("Calls", channel.label, channel.count) for channel in figures.calls.by_channel),
        *(("Call time in minutes", channel.label, channel.minutes) for channel in figures.calls.by_channel),
        ("Referrals made", "", figures.referrals),
    ]
    for step, delay in (("decision", figures.to_decision), ("assessment completed", figures.to_assessment)):
        rows += [
            (f"Referrals with {step} recorded", "", delay.reached if delay else 0),
            (f"Referrals still waiting for {step}", "", delay.still_waiting if delay else 0),
            (f"Working days to {step} (median)", "", _days(delay, "median")),
            (f"Working days to {step} (90th percentile)", "", _days(delay, "p90")),
        ]
    actions = figures.actions
    rows += [
        ("Meeting actions agreed", "", actions.agreed),
        ("Meeting actions done", "", figures.actions_done),
        ("Meeting actions done", "On time", actions.done_on_time),
        ("Meeting actions done", "Late", actions.done_late),
        ("Meeting actions still open", "", actions.open),
        ("Meeting actions dropped", "", actions.dropped),
    ]
    for outcome in figures.outcomes:
        measure = outcome.measure.label
        rows += [
            ("Parents with a first and a later rating", measure, outcome.compared),
            ("Parents whose rating improved", measure, outcome.improved),
            ("Parents whose rating stayed the same", measure, outcome.same),
            ("Parents whose rating got worse", measure, outcome.worse),
            ("Parents with no later rating yet", measure, outcome.first_only),
        ]
    return rows


def csv_rows(report: ServiceReport) -> list[list]:
    """Long format under CSV_HEADER: one row per area, period, figure and breakdown; the whole
    period's rows first, then each quarter's. Authority names are as stored: the view passes every
    cell through safe_cell."""
    rows = []

    def add(area: AreaFigures, period: Period, figures):
        for figure, breakdown, value in figures:
            rows.append([area.name, f"{period.start:%d/%m/%Y}", f"{period.end:%d/%m/%Y}", figure, breakdown, value])

    for area in report.areas:
        add(area, area.period, [
            *_headline_rows(area),
            *(("Calls with this support given", item.label, item.count) for item in area.support),
            ("Children of the families supported", "", area.children),
            *(("Children by exploitation type", item.label, item.count) for item in area.exploitation),
        ])
    for area in report.areas:
        for quarter in area.over_time:
            add(area, quarter.period, _headline_rows(quarter))
    return rows
