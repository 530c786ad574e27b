"""Delay figures per local authority: how long children's social care takes to respond to
referrals, in working days, for the charity to take to commissioners.

Definitions (also shown on the page):

- A referral counts in a period when its "referral made" milestone falls in it (London dates,
  both ends included).
- Working days from referral to decision (or to assessment completed) use the bank holidays
  of the authority's nation (core.working_days.working_days_between): a decision on the
  day of the referral is 0, on the next working day 1. Only referrals with that milestone
  recorded count towards it.
- The median is statistics.median: for an even number of referrals, the mean of the two middle
  values (so 1, 2, 3 and 10 days give 2.5).
- The 90th percentile uses the nearest-rank method: the value at position ceil(0.9 × n) in the
  sorted list, always one of the actual delays (1, 2, 3 and 10 days give 10).
- The share of open referrals overdue is about now, not the period: of the authority's open
  referrals, those whose next step was due before now.
- Social workers per referral: allocation rows of the period's referrals, divided by their number.

A fixed number of queries whatever the number of referrals: counts are aggregated in SQL and
milestone dates come in one values() query; working days are counted in Python.
"""

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django import forms
from django.db.models import Count, Q
from django.utils import timezone

from core.forms import PlainTextMixin, UKDateField
from core.working_days import LONDON, working_days_between
from referrals.models import Milestone, MilestoneRecord, Referral

PERCENTILE = 90
MAX_PERIOD_DAYS = 5 * 366


def nearest_rank(values: list[int], percent: int) -> int | None:
    """The nearest-rank percentile: the smallest value with at least ``percent`` per cent of the
    values at or below it. None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(percent / 100 * len(ordered))) - 1]


def median(values: list[int]) -> float | None:
    return statistics.median(values) if values else None


@dataclass(frozen=True)
class AuthorityFigures:
    local_authority_id: int
    name: str
    referrals: int = 0  # made in the period
    decided: int = 0  # of those, with a decision recorded
    median_days_to_decision: float | None = None
    p90_days_to_decision: int | None = None
    assessed: int = 0  # of those, with an assessment completed
    median_days_to_assessment: float | None = None
    p90_days_to_assessment: int | None = None
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


@dataclass
class _Dates:
    nation: str = ""
    made: datetime | None = None
    decision: datetime | None = None
    assessment: datetime | None = None


def delay_figures(*, local_authority_ids: list[int] | None, start: date, end: date, now: datetime,
                  team_ids: list[int] | None = None) -> list[AuthorityFigures]:
    """Figures per local authority for referrals made from ``start`` to ``end`` (London dates,
    inclusive), sorted by authority name. ``team_ids`` limits them to the referrals of those teams'
    families (a manager's scope); ``local_authority_ids`` to those authorities. None means all.
    Three queries."""
    referrals = Referral.objects.order_by()
    if team_ids is not None:
        referrals = referrals.filter(family__team_id__in=team_ids)
    if local_authority_ids is not None:
        referrals = referrals.filter(local_authority_id__in=local_authority_ids)
    made_in_period = MilestoneRecord.objects.filter(
        milestone=Milestone.REFERRAL_MADE,
        occurred_at__gte=_start_of(start),
        occurred_at__lt=_start_of(end + timedelta(days=1)),
    ).values("referral_id")
    in_period = referrals.filter(pk__in=made_in_period)

    counts = {
        row["local_authority_id"]: row
        for row in in_period.values("local_authority_id", "local_authority__name").annotate(
            referrals=Count("pk", distinct=True), allocations=Count("social_workers")
        )
    }
    open_now = {
        row["local_authority_id"]: row
        for row in referrals.filter(status=Referral.Status.OPEN)
        .values("local_authority_id", "local_authority__name")
        .annotate(open=Count("pk"), overdue=Count("pk", filter=Q(next_due_at__lt=now)))
    }
    dates: dict[int, dict[int, _Dates]] = defaultdict(lambda: defaultdict(_Dates))
    milestones = MilestoneRecord.objects.filter(
        referral__in=in_period,
        milestone__in=[Milestone.REFERRAL_MADE, Milestone.DECISION, Milestone.ASSESSMENT_COMPLETED],
    ).values_list("referral_id", "referral__local_authority_id", "referral__local_authority__nation", "milestone",
                  "occurred_at")
    attribute = {Milestone.REFERRAL_MADE: "made", Milestone.DECISION: "decision",
                 Milestone.ASSESSMENT_COMPLETED: "assessment"}
    for referral_id, authority_id, nation, milestone, occurred_at in milestones:
        referral_dates = dates[authority_id][referral_id]
        referral_dates.nation = nation
        setattr(referral_dates, attribute[milestone], occurred_at)

    figures = []
    for authority_id in counts.keys() | open_now.keys():
        in_range, current = counts.get(authority_id, {}), open_now.get(authority_id, {})
        to_decision, to_assessment = [], []
        for referral in dates[authority_id].values():
            if referral.decision:
                to_decision.append(working_days_between(referral.made, referral.decision, referral.nation))
            if referral.assessment:
                to_assessment.append(working_days_between(referral.made, referral.assessment, referral.nation))
        figures.append(
            AuthorityFigures(
                local_authority_id=authority_id,
                name=(in_range or current)["local_authority__name"],
                referrals=in_range.get("referrals", 0),
                decided=len(to_decision),
                median_days_to_decision=median(to_decision),
                p90_days_to_decision=nearest_rank(to_decision, PERCENTILE),
                assessed=len(to_assessment),
                median_days_to_assessment=median(to_assessment),
                p90_days_to_assessment=nearest_rank(to_assessment, PERCENTILE),
                open_referrals=current.get("open", 0),
                open_overdue=current.get("overdue", 0),
                social_worker_allocations=in_range.get("allocations", 0),
            )
        )
    return sorted(figures, key=lambda figure: (figure.name, figure.local_authority_id))


# ------------------------------------------------------------------ the chart


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    y: int
    width: float  # in the chart's units; 0 draws no bar

    @property
    def text_y(self):
        return self.y + BarChart.bar_height - 6

    @property
    def label_x(self):
        return BarChart.label_width - 8

    @property
    def value_x(self):
        return round(BarChart.label_width + self.width + 6, 1)


@dataclass(frozen=True)
class BarChart:
    """A horizontal bar chart drawn on the server as inline SVG (no script)."""

    bar_height = 24
    gap = 10
    label_width = 270
    plot_width = 380
    value_width = 60

    bars: list[Bar] = field(default_factory=list)

    @property
    def width(self):
        return self.label_width + self.plot_width + self.value_width

    @property
    def height(self):
        return len(self.bars) * (self.bar_height + self.gap) + self.gap

    @property
    def plot_x(self):
        return self.label_width


def decision_chart(figures: list[AuthorityFigures]) -> BarChart | None:
    """Median working days from referral to decision, one bar per authority that has a figure."""
    with_figure = [figure for figure in figures if figure.median_days_to_decision is not None]
    if not with_figure:
        return None
    longest = max(figure.median_days_to_decision for figure in with_figure) or 1
    step = BarChart.bar_height + BarChart.gap
    return BarChart(
        bars=[
            Bar(
                label=figure.name,
                value=figure.median_days_to_decision,
                y=BarChart.gap + index * step,
                width=round(figure.median_days_to_decision / longest * BarChart.plot_width, 1),
            )
            for index, figure in enumerate(with_figure)
        ]
    )


# ------------------------------------------------------------------ the period


def default_period(today: date) -> tuple[date, date]:
    """The last twelve months: from the first day of this month a year ago, to today."""
    return date(today.year - 1, today.month, 1), today


class PeriodForm(PlainTextMixin, forms.Form):
    start = UKDateField(label="Referrals made from")
    end = UKDateField(label="to")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["start"], self.initial["end"] = default_period(timezone.localdate())

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end < start:
                self.add_error("end", "The end of the period cannot be before its start.")
            elif (end - start).days > MAX_PERIOD_DAYS:
                self.add_error("start", "Choose a period of five years or less.")
        return cleaned

    def period(self) -> tuple[date, date]:
        """The chosen period, or the default one when none (or an impossible one) was chosen."""
        if self.is_bound and self.is_valid():
            return self.cleaned_data["start"], self.cleaned_data["end"]
        return default_period(timezone.localdate())
