"""Delay figures per local authority: how long children's social care takes to respond to
referrals, in working days, for the charity to take to commissioners.

Definitions (also shown on the page):

- A referral counts in a period when its "referral made" milestone falls in it (London dates,
  both ends included).
- Working days from referral to decision (or to assessment completed) use the bank holidays
  of the authority's nation (core.working_days.working_days_between): a decision on the
  day of the referral is 0, on the next working day 1.
- Referrals still waiting count too: one with no decision yet is followed up to ``now``, one
  closed without a decision up to the day it closed (censored, in the statisticians' word), and
  the median and 90th percentile come from the Kaplan–Meier estimate (referrals.survival).
  Where fewer than half (or nine in ten) have a decision so far, counting the waits, the figure
  is "more than N working days", N the longest wait followed.
- Time to assessment counts the referrals whose decision calls for one (child in need or child
  protection, as the 45-working-day rule does) and any with an assessment completed recorded.
- The share of open referrals overdue is about now, not the period: of the authority's open
  referrals, those whose next step was due before now.
- Social workers per referral: allocation rows of the period's referrals, divided by their number.

A fixed number of queries whatever the number of referrals, and nothing in Python per referral:
the database works out each referral's working days and counts them by authority, step, working
days and outcome, and the Kaplan–Meier estimate is worked from those counts.
"""

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import connections
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    ExpressionWrapper,
    F,
    FilteredRelation,
    IntegerField,
    Q,
    Value,
    When,
)
from django.db.models.functions import Greatest, TruncDate
from django.utils import dateformat, timezone

from core import charts
from core.forms import MAX_PERIOD_DAYS, PeriodForm, UKDateField
from core.working_days import LONDON, Calendar, nations_of, weekday_bank_holidays_between
from families.models import LocalAuthority
from referrals.models import Milestone, MilestoneRecord, Referral, SocialWorkerAllocation
from referrals.survival import TimeToEvent, kaplan_meier_counts

PERCENTILE = 90
# The decisions after which an assessment is due (ThresholdRule.AppliesWhen.ASSESSMENT).
DECISIONS_CALLING_FOR_ASSESSMENT = (Referral.Decision.CHILD_IN_NEED, Referral.Decision.CHILD_PROTECTION)


@dataclass(frozen=True)
class Delay:
    """Working days from referral to one step, for one authority's referrals of a period."""

    counted: int  # referrals followed
    reached: int  # with the step recorded
    still_waiting: int  # open, the step not recorded yet
    median: TimeToEvent
    p90: TimeToEvent

    @property
    def closed_without(self) -> int:
        """Closed before the step was recorded: followed up to the day they closed."""
        return self.counted - self.reached - self.still_waiting


def delay_from_counts(counts: Iterable[tuple[int, bool, bool, int]]) -> Delay | None:
    """The delay of referrals counted by (working days followed, step recorded, still waiting, how
    many); None for no referrals."""
    rows = [(days, reached, waiting, number) for days, reached, waiting, number in counts if number]
    if not rows:
        return None
    curve = kaplan_meier_counts((days, number if reached else 0, 0 if reached else number)
                                for days, reached, _, number in rows)
    return Delay(
        counted=sum(number for *_, number in rows),
        reached=curve.events,
        still_waiting=sum(number for _, _, waiting, number in rows if waiting),
        median=curve.median(),
        p90=curve.percentile(PERCENTILE),
    )


@dataclass(frozen=True)
class AuthorityFigures:
    local_authority_id: int
    name: str
    referrals: int = 0  # made in the period
    to_decision: Delay | None = None  # None: no referrals in the period
    to_assessment: Delay | None = None  # None: none of them calls for an assessment
    open_referrals: int = 0  # now, whatever the period
    open_overdue: int = 0
    social_worker_allocations: int = 0

    @property
    def share_open_overdue(self) -> float | None:
        return self.open_overdue / self.open_referrals if self.open_referrals else None

    @property
    def share_open_overdue_percent(self) -> int | None:
        share = self.share_open_overdue
        return None if share is None else round(share * 100)

    @property
    def social_workers_per_referral(self) -> float | None:
        return self.social_worker_allocations / self.referrals if self.referrals else None


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=LONDON)


# ------------------------------------------------------------------ working days, in the query


def _working_day_number(day: str, nation: str, holidays: dict[Calendar, tuple[date, ...]], vendor: str):
    """SQL for the number of working days up to and including the date in column ``day``, in the
    nation in column ``nation``, counted from 1 January of year 1: the difference of two such numbers
    is core.working_days.working_days_between's count (working days d with start < d <= end), when
    both dates lie in the span ``holidays`` covers. Weekdays are counted on ordinals as
    core.working_days counts them (ordinal 1 is a Monday); the weekday bank holidays, with the
    changes made here, come as one sorted list per calendar. (sql, params)."""
    if vendor == "postgresql":
        ordinal = f"({day} - DATE '0001-01-01' + 1)"
        weekdays = f"({ordinal} / 7 * 5 + LEAST({ordinal} %% 7, 5))"
        holidays_up_to = "width_bucket({day}, %s::date[])"
        holiday_param = list  # an array of dates
    elif vendor == "sqlite":
        ordinal = f"CAST(julianday({day}) - 1721424.5 AS INTEGER)"
        weekdays = f"({ordinal} / 7 * 5 + MIN({ordinal} %% 7, 5))"
        holidays_up_to = "(SELECT COUNT(*) FROM json_each(%s) WHERE json_each.value <= {day})"
        holiday_param = _json_dates  # SQLite has no arrays: a JSON list of ISO dates, compared as text
    else:
        raise NotImplementedError(f"Working days are not counted in {vendor} queries")
    cases, params = [], []
    for calendar, days in holidays.items():
        nations = nations_of(calendar)
        cases.append(f"WHEN {nation} IN ({', '.join(['%s'] * len(nations))}) "
                     f"THEN {holidays_up_to.format(day=day)}")
        params += [*nations, holiday_param(days)]
    return f"({weekdays} - CASE {' '.join(cases)} END)", params


def _json_dates(days: tuple[date, ...]) -> str:
    return json.dumps([day.isoformat() for day in days])


def _followed(referrals, *, start: date, end: date, now: datetime, parts: Sequence["Period"]):
    """One row per referral of ``referrals`` made from ``start`` to ``end``: its authority (and the
    authority's nation), which of ``parts`` it was made in (its index; NULL in none), the
    London day it was made and, for each step, the London day its follow-up ends, whether the step
    was recorded and whether the referral is still waiting for it, and whether it calls for an
    assessment.

    The follow-up of a step ends on the day it was recorded, if it was by ``now``; otherwise on the
    day the referral was closed, if that was before ``now`` (closed without the step); otherwise
    today, and then the referral is still waiting if it is open and has no closure recorded. A step
    recorded after ``now`` has not happened yet as of ``now``; one recorded before the referral was
    made counts as on the same day."""
    record_of = {"made": Milestone.REFERRAL_MADE, "decision": Milestone.DECISION,
                 "assessment": Milestone.ASSESSMENT_COMPLETED, "closed": Milestone.CLOSED}
    records = {f"{step}_record": FilteredRelation("milestones", condition=Q(milestones__milestone=milestone))
               for step, milestone in record_of.items()}
    closed_before_now = Q(closed_record__occurred_at__lt=now)
    still_open = Q(status=Referral.Status.OPEN, closed_record__isnull=True)

    def follow_up(step: str) -> dict:
        recorded_at = f"{step}_record__occurred_at"
        reached = Q(**{f"{recorded_at}__lte": now})
        ends = Case(
            When(reached, then=TruncDate(recorded_at, tzinfo=LONDON)),
            When(closed_before_now, then=TruncDate("closed_record__occurred_at", tzinfo=LONDON)),
            default=Value(timezone.localtime(now, LONDON).date()),
            output_field=DateField(),
        )
        return {
            f"{step}_ends": Greatest(ends, F("made_day")),
            f"{step}_reached": ExpressionWrapper(reached, output_field=BooleanField()),
            f"{step}_waiting": ExpressionWrapper(~reached & still_open, output_field=BooleanField()),
        }

    return referrals.annotate(**records).filter(
        made_record__occurred_at__gte=_start_of(start),
        made_record__occurred_at__lt=_start_of(end + timedelta(days=1)),
    ).annotate(
        made_day=TruncDate("made_record__occurred_at", tzinfo=LONDON),
    ).values(
        "made_day",
        part=Case(*(When(made_record__occurred_at__gte=_start_of(part.start),
                         made_record__occurred_at__lt=_start_of(part.end + timedelta(days=1)), then=Value(index))
                    for index, part in enumerate(parts)), default=None, output_field=IntegerField()),
        authority=F("local_authority_id"),
        nation=F("local_authority__nation"),
        **follow_up("decision"),
        **follow_up("assessment"),
        calls_for_assessment=ExpressionWrapper(
            Q(assessment_record__isnull=False) | Q(decision__in=DECISIONS_CALLING_FOR_ASSESSMENT),
            output_field=BooleanField(),
        ),
    )


def follow_up_counts(referrals, *, start: date, end: date, now: datetime, parts: Sequence["Period"] = ()):
    """The follow-ups of the referrals of ``referrals`` made from ``start`` to ``end``, counted:
    {(authority, part, step): [(working days followed, step recorded, still waiting, how many)]},
    step "decision", or "assessment" for the referrals calling for one (_followed says how a
    follow-up ends), part the index of the one of ``parts`` (periods within ``start`` to ``end``,
    such as quarters) the referral was made in, None for none; and {authority: name}. A follow-up
    may come in more than one row: they add up.

    One query, whatever the number of referrals: their rows (_followed) are counted twice over, by
    authority, part, working days and outcome, each referral's working days worked out in it."""
    followed = _followed(referrals, start=start, end=end, now=now, parts=parts)
    connection = connections[followed.db]
    last_day = max(end, timezone.localtime(now, LONDON).date())
    holidays = {calendar: weekday_bank_holidays_between(calendar, start, last_day) for calendar in Calendar}
    inner, inner_params = followed.query.get_compiler(using=followed.db).as_sql()
    params = list(inner_params)
    made, made_params = _working_day_number("made_day", "nation", holidays, connection.vendor)
    selects = []
    for step, condition in (("decision", ""), ("assessment", "WHERE calls_for_assessment")):
        ends, ends_params = _working_day_number(f"{step}_ends", "nation", holidays, connection.vendor)
        columns = f"'{step}', authority, part, {ends} - {made}, {step}_reached, {step}_waiting, COUNT(*)"
        selects.append(f"SELECT {columns} FROM followed {condition} GROUP BY 2, 3, 4, 5, 6")  # noqa: S608 - code only
        params += [*ends_params, *made_params]
    # The authorities' names are joined to the counts, not counted by: fewer, narrower groups.
    quote, authorities = connection.ops.quote_name, LocalAuthority._meta
    name, table, key = (quote(authorities.get_field("name").column), quote(authorities.db_table),
                        quote(authorities.pk.column))
    counted = " UNION ALL ".join(selects)
    sql = (f"WITH followed AS ({inner}) SELECT counted.*, named.{name} FROM ({counted}) AS counted "  # noqa: S608 - code
           f"JOIN {table} AS named ON named.{key} = counted.authority")
    counts, names = defaultdict(list), {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for step, authority, part, days, reached, waiting, number, name in cursor.fetchall():
            counts[(authority, part, step)].append((days, bool(reached), bool(waiting), number))
            names[authority] = name
    return counts, names


def delay_figures(*, local_authority_ids: list[int] | None, start: date, end: date, now: datetime,
                  team_ids: list[int] | None = None) -> list[AuthorityFigures]:
    """Figures per local authority for referrals made from ``start`` to ``end`` (London dates,
    inclusive), as they stand at ``now``, sorted by authority name. ``team_ids`` limits them to the
    referrals of those teams' families (a manager's scope); ``local_authority_ids`` to those
    authorities. None means all. Three queries."""
    referrals = Referral.objects.order_by()
    if team_ids is not None:
        referrals = referrals.filter(family__team_id__in=team_ids)
    if local_authority_ids is not None:
        referrals = referrals.filter(local_authority_id__in=local_authority_ids)
    follow_ups, names = follow_up_counts(referrals, start=start, end=end, now=now)
    made_in_period = MilestoneRecord.objects.filter(
        milestone=Milestone.REFERRAL_MADE,
        occurred_at__gte=_start_of(start),
        occurred_at__lt=_start_of(end + timedelta(days=1)),
    ).values("referral_id")
    allocations = dict(
        SocialWorkerAllocation.objects.order_by()
        .filter(referral__in=referrals.filter(pk__in=made_in_period))
        .values("referral__local_authority_id")
        .annotate(allocations=Count("pk"))
        .values_list("referral__local_authority_id", "allocations")
    )
    # Counted without reading the ids: the open referrals' index (open_referral_authority) has all it reads.
    open_now = {
        row["local_authority_id"]: row
        for row in referrals.filter(status=Referral.Status.OPEN)
        .values("local_authority_id", "local_authority__name")
        .annotate(open=Count("*"), overdue=Count("next_due_at", filter=Q(next_due_at__lt=now)))
    }
    figures = []
    for authority_id in names.keys() | open_now.keys():
        decision = delay_from_counts(follow_ups.get((authority_id, None, "decision"), []))
        current = open_now.get(authority_id, {})
        figures.append(
            AuthorityFigures(
                local_authority_id=authority_id,
                name=names[authority_id] if authority_id in names else current["local_authority__name"],
                referrals=decision.counted if decision else 0,
                to_decision=decision,
                to_assessment=delay_from_counts(follow_ups.get((authority_id, None, "assessment"), [])),
                open_referrals=current.get("open", 0),
                open_overdue=current.get("overdue", 0),
                social_worker_allocations=allocations.get(authority_id, 0),
            )
        )
    return sorted(figures, key=lambda figure: (figure.name, figure.local_authority_id))


# ------------------------------------------------------------------ two periods compared


def change_in_words(this: TimeToEvent | None, other: TimeToEvent | None) -> str:
    """How a median in this period compares with the same median in the other: "faster by 3
    working days", "slower by 1 working day", "no change", or "not comparable" when either is
    missing or not reached (a "more than N" is not a number to subtract)."""
    if this is None or other is None or not this.reached or not other.reached:
        return "not comparable"
    difference = this.time - other.time
    if difference == 0:
        return "no change"
    days = abs(difference)
    return f"{'faster' if difference < 0 else 'slower'} by {days} working day{'' if days == 1 else 's'}"


@dataclass(frozen=True)
class Comparison:
    """One authority's medians in the two periods, side by side."""

    local_authority_id: int
    name: str
    this: AuthorityFigures | None
    other: AuthorityFigures | None

    @staticmethod
    def _median(figures: AuthorityFigures | None, step: str) -> TimeToEvent | None:
        delay = getattr(figures, step) if figures is not None else None
        return delay.median if delay is not None else None

    @property
    def decision_this(self):
        return self._median(self.this, "to_decision")

    @property
    def decision_other(self):
        return self._median(self.other, "to_decision")

    @property
    def decision_change(self) -> str:
        return change_in_words(self.decision_this, self.decision_other)

    @property
    def assessment_this(self):
        return self._median(self.this, "to_assessment")

    @property
    def assessment_other(self):
        return self._median(self.other, "to_assessment")

    @property
    def assessment_change(self) -> str:
        return change_in_words(self.assessment_this, self.assessment_other)


def compare(this: list[AuthorityFigures], other: list[AuthorityFigures]) -> list[Comparison]:
    """Every authority with referrals in either period, sorted by name."""
    this_by_id = {figure.local_authority_id: figure for figure in this if figure.referrals}
    other_by_id = {figure.local_authority_id: figure for figure in other if figure.referrals}
    rows = []
    for authority_id in this_by_id.keys() | other_by_id.keys():
        this_figures, other_figures = this_by_id.get(authority_id), other_by_id.get(authority_id)
        rows.append(Comparison(local_authority_id=authority_id, name=(this_figures or other_figures).name,
                               this=this_figures, other=other_figures))
    return sorted(rows, key=lambda row: (row.name, row.local_authority_id))


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    def __str__(self):
        return f"{dateformat.format(self.start, 'j F Y')} to {dateformat.format(self.end, 'j F Y')}"


@dataclass(frozen=True)
class DelayReport:
    """What the page, its printable layout and its CSV show: one period's figures and, when asked
    for, another period's and the two compared."""

    period: Period
    figures: list[AuthorityFigures]
    now: datetime
    compared_period: Period | None = None
    compared_figures: list[AuthorityFigures] = field(default_factory=list)
    comparisons: list[Comparison] = field(default_factory=list)

    @property
    def query(self) -> str:
        """The periods as a query string, for the links to the CSV and the printable layout."""
        query = f"start={self.period.start:%Y-%m-%d}&end={self.period.end:%Y-%m-%d}"
        if self.compared_period:
            query += (f"&compare_start={self.compared_period.start:%Y-%m-%d}"
                      f"&compare_end={self.compared_period.end:%Y-%m-%d}")
        return query


def delay_report(*, team_ids: list[int] | None, period: tuple[date, date], now: datetime,
                 compared_with: tuple[date, date] | None = None) -> DelayReport:
    """Three queries, six with a period to compare with."""
    figures = delay_figures(local_authority_ids=None, team_ids=team_ids, start=period[0], end=period[1], now=now)
    if compared_with is None:
        return DelayReport(period=Period(*period), figures=figures, now=now)
    compared = delay_figures(local_authority_ids=None, team_ids=team_ids, start=compared_with[0],
                             end=compared_with[1], now=now)
    return DelayReport(period=Period(*period), figures=figures, now=now, compared_period=Period(*compared_with),
                       compared_figures=compared, comparisons=compare(figures, compared))


# ------------------------------------------------------------------ the CSV

CSV_HEADER = [
    "Referrals made from", "to", "Figures as of", "Local authority", "Referrals made",
    "Decided", "Still waiting for a decision", "Closed without a decision",
    "Working days to decision (median)", "Working days to decision (90th percentile)",
    "Calling for an assessment", "Assessment completed", "Still waiting for an assessment",
    "Closed without an assessment",
    "Working days to assessment completed (median)", "Working days to assessment completed (90th percentile)",
    "Open referrals now", "Open referrals overdue now", "Social workers per referral",
    "Median to decision against the other period", "Median to assessment against the other period",
]


def _days(estimate: TimeToEvent | None):
    """A number of working days, or "more than N" where the estimate is not reached."""
    if estimate is None:
        return ""
    return estimate.time if estimate.reached else f"more than {estimate.longest_follow_up}"


def _delay_cells(delay: Delay | None) -> list:
    if delay is None:
        return [0, 0, 0, "", ""]
    return [delay.reached, delay.still_waiting, delay.closed_without, _days(delay.median), _days(delay.p90)]


def csv_rows(report: DelayReport) -> list[list]:
    """The table as rows under CSV_HEADER: the period's authorities, then, when comparing, the other
    period's with referrals in it, each row naming its period. The change columns are on the first period's rows.
    Authority names are as people typed them: the view passes every cell through safe_cell."""
    changes = {row.local_authority_id: row for row in report.comparisons}
    as_of = timezone.localtime(report.now, LONDON)
    tables = [(report.period, report.figures, True)]
    if report.compared_period:
        tables.append((report.compared_period, report.compared_figures, False))
    rows = []
    for period, figures, with_changes in tables:
        for figure in figures:
            if not with_changes and not figure.referrals:
                continue  # only open referrals from before: their share overdue is on the first rows
            change = changes.get(figure.local_authority_id) if with_changes else None
            rows.append([
                f"{period.start:%d/%m/%Y}", f"{period.end:%d/%m/%Y}", f"{as_of:%d/%m/%Y %H:%M}", figure.name,
                figure.referrals, *_delay_cells(figure.to_decision),
                figure.to_assessment.counted if figure.to_assessment else 0, *_delay_cells(figure.to_assessment),
                figure.open_referrals, figure.open_overdue,
                "" if figure.social_workers_per_referral is None else round(figure.social_workers_per_referral, 1),
                change.decision_change if change else "", change.assessment_change if change else "",
            ])
    return rows


# ------------------------------------------------------------------ the chart


DECISION_CHART = charts.Layout()  # the default dimensions, with room for "more than N" after a bar


@dataclass(frozen=True, kw_only=True)
class DelayBar(charts.Bar):
    value: str  # "12", or "more than 40" for a median not reached
    reached: bool


def decision_chart(figures: list[AuthorityFigures]) -> charts.BarChart | None:
    """Median working days from referral to decision, one bar per authority with referrals in the
    period. A median not reached is drawn to the longest wait so far, its value "more than N"."""
    with_figure = [figure for figure in figures if figure.to_decision is not None]
    if not with_figure:
        return None

    def days(figure):
        median = figure.to_decision.median
        return median.time if median.reached else median.longest_follow_up

    longest = max(days(figure) for figure in with_figure) or 1
    layout = DECISION_CHART
    return charts.BarChart(
        layout=layout,
        bars=[
            DelayBar(
                label=figure.name,
                value=str(figure.to_decision.median.time) if figure.to_decision.median.reached
                else f"more than {figure.to_decision.median.longest_follow_up}",
                reached=figure.to_decision.median.reached,
                y=layout.bar_y(index),
                width=layout.length(days(figure), longest),
                layout=layout,
            )
            for index, figure in enumerate(with_figure)
        ],
    )


# ------------------------------------------------------------------ the period


class DelayFiguresForm(PeriodForm):
    """The period, and another one (optional) to compare it with."""

    start = UKDateField(label="Referrals made from")

    compare_start = UKDateField(label="Compare with referrals made from", required=False,
                                name="the start of the period to compare with")
    compare_end = UKDateField(label="to", required=False, name="the end of the period to compare with")

    def clean(self):
        cleaned = super().clean()
        compare_start, compare_end = cleaned.get("compare_start"), cleaned.get("compare_end")
        if "compare_start" in self.errors or "compare_end" in self.errors:
            return cleaned
        if compare_start and not compare_end:
            self.add_error("compare_end", "Enter the end of the period to compare with, or leave both empty.")
        elif compare_end and not compare_start:
            self.add_error("compare_start", "Enter the start of the period to compare with, or leave both empty.")
        elif compare_start and compare_end:
            if compare_end < compare_start:
                self.add_error("compare_end", "The end of the period to compare with cannot be before its start.")
            elif (compare_end - compare_start).days > MAX_PERIOD_DAYS:
                self.add_error("compare_start", "Choose a period to compare with of five years or less.")
        return cleaned

    def compared_with(self) -> tuple[date, date] | None:
        """The period to compare with, when one was chosen and the form is valid."""
        if self.is_bound and self.is_valid() and self.cleaned_data.get("compare_start"):
            return self.cleaned_data["compare_start"], self.cleaned_data["compare_end"]
        return None
