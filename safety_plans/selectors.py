"""Reads that the safety plan pages need, each a fixed number of queries whatever the number of
rows in the plan's lists or of its versions."""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Prefetch
from django.utils import timezone

from families.models import Person
from safety_plans import comparison
from safety_plans.models import PlanVersion, SafetyPlan, SafetyRating

VERSIONS_PAGE_SIZE = 50


def plan_for_child(child: Person) -> SafetyPlan | None:
    """The child's plan with its lists and ratings (one query each), or None if there is none yet."""
    return (
        SafetyPlan.objects.filter(child=child)
        .select_related("child", "family")
        .prefetch_related(
            "worries", "people_of_concern", "steps", "commitments",
            Prefetch("ratings", queryset=SafetyRating.objects.order_by("rated_on", "pk")),
        )
        .first()
    )


def latest_version(plan: SafetyPlan) -> PlanVersion | None:
    return plan.versions.select_related("saved_by").order_by("-number").first()


def versions_by_number(plan: SafetyPlan, numbers) -> dict[int, PlanVersion]:
    """The versions ``numbers`` of the plan (one query), by number; those that do not exist are absent."""
    return {v.number: v for v in plan.versions.filter(number__in=list(numbers)).select_related("saved_by")}


def versions_since(plan: SafetyPlan, number: int) -> list[PlanVersion]:
    """The versions saved after ``number``: what someone else did while a person was editing."""
    return list(plan.versions.filter(number__gt=number).select_related("saved_by").order_by("number"))


@dataclass
class VersionsPage:
    versions: list
    number: int
    has_next: bool
    total: int


def versions_page(plan: SafetyPlan, *, number: int = 1, size: int = VERSIONS_PAGE_SIZE) -> VersionsPage:
    """One page of the plan's versions, newest first. Numbers run from 1 without gaps, so the
    plan's own version is how many there are."""
    number = max(number, 1)
    start = (number - 1) * size
    versions = list(
        plan.versions.select_related("saved_by").defer("content").order_by("-number")[start : start + size + 1]
    )
    return VersionsPage(versions=versions[:size], number=number, has_next=len(versions) > size, total=plan.version)


# --------------------------------------------------------------- the family page's section


@dataclass(frozen=True)
class ChildPlan:
    child: Person
    plan: SafetyPlan | None

    @property
    def review_on(self) -> date | None:
        return self.plan.review_on if self.plan else None

    @property
    def version_count(self) -> int:
        return self.plan.version if self.plan else 0

    @property
    def review_overdue(self) -> bool:
        return bool(self.review_on and self.review_on < timezone.localdate())


def plans_for_family(family) -> list[ChildPlan]:
    """Each child of the family with their plan, or None (one query)."""
    children = (
        Person.objects.filter(family=family, kind=Person.Kind.CHILD)
        .select_related("safety_plan")
        .order_by("date_of_birth", "first_name", "pk")
    )
    return [ChildPlan(child=child, plan=getattr(child, "safety_plan", None)) for child in children]


# --------------------------------------------------------------- the safety scale, drawn

CHART_WIDTH = 640
CHART_HEIGHT = 240
CHART_LEFT = 40
CHART_RIGHT = 16
CHART_TOP = 12
CHART_BOTTOM = 40
# Each party's line has its own dash pattern and marker, so they differ without colour.
LINE_STYLES = [
    ("#0b3d6b", "", "circle"),
    ("#a4161a", "6 4", "square"),
    ("#2b6a30", "2 3", "triangle"),
    ("#6a3d9a", "10 3 2 3", "diamond"),
    ("#7a4b00", "1 5", "circle"),
]


def _marker(shape: str, x: float, y: float) -> str:
    """An SVG path for a point's marker, centred on (x, y)."""
    if shape == "square":
        return f"M{x - 4:.1f},{y - 4:.1f} h8 v8 h-8 z"
    if shape == "triangle":
        return f"M{x:.1f},{y - 5:.1f} l5,9 h-10 z"
    if shape == "diamond":
        return f"M{x:.1f},{y - 5:.1f} l5,5 l-5,5 l-5,-5 z"
    return f"M{x - 4:.1f},{y:.1f} a4,4 0 1,0 8,0 a4,4 0 1,0 -8,0"


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    rating: SafetyRating
    marker_path: str


@dataclass
class ChartLine:
    party: str
    colour: str
    dash: str
    marker: str
    points: list = field(default_factory=list)

    @property
    def path(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)

    @property
    def legend_marker(self) -> str:
        return _marker(self.marker, 20, 8)


@dataclass
class RatingsChart:
    lines: list
    x_ticks: list  # (x, day)
    y_ticks: list  # (y, score)
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    left: int = CHART_LEFT
    bottom: int = CHART_HEIGHT - CHART_BOTTOM
    right: int = CHART_WIDTH - CHART_RIGHT


def ratings_chart(ratings) -> RatingsChart | None:
    """Coordinates for an SVG line chart of 0–10 ratings over time, one line per party (by the
    name they were rated under, ignoring case). None without ratings."""
    ratings = list(ratings)
    if not ratings:
        return None
    first = min(r.rated_on for r in ratings)
    last = max(r.rated_on for r in ratings)
    span = max((last - first).days, 1)
    plot_width = CHART_WIDTH - CHART_LEFT - CHART_RIGHT
    plot_height = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM

    def x_of(day: date) -> float:
        if first == last:
            return CHART_LEFT + plot_width / 2
        return CHART_LEFT + plot_width * (day - first).days / span

    def y_of(score: int) -> float:
        return CHART_TOP + plot_height * (10 - score) / 10

    lines: dict[str, ChartLine] = {}
    for rating in sorted(ratings, key=lambda r: (r.rated_on, r.pk)):
        key = " ".join(rating.rated_by.split()).casefold()
        if key not in lines:
            colour, dash, marker = LINE_STYLES[len(lines) % len(LINE_STYLES)]
            lines[key] = ChartLine(party=rating.rated_by, colour=colour, dash=dash, marker=marker)
        line = lines[key]
        x, y = x_of(rating.rated_on), y_of(rating.score)
        line.points.append(ChartPoint(x, y, rating, _marker(line.marker, x, y)))
    days = sorted({r.rated_on for r in ratings})
    # At most six date labels, so they never overlap.
    step = max(1, -(-len(days) // 6))
    shown = days[::step]
    if shown[-1] != days[-1]:
        shown[-1] = days[-1]
    x_ticks = [(f"{x_of(day):.1f}", day) for day in shown]
    y_ticks = [(f"{y_of(score):.1f}", score) for score in (0, 2, 4, 6, 8, 10)]
    return RatingsChart(lines=list(lines.values()), x_ticks=x_ticks, y_ticks=y_ticks)


def latest_ratings(ratings) -> list[SafetyRating]:
    """Each party's most recent rating, for the family's copy."""
    latest: dict[str, SafetyRating] = {}
    for rating in sorted(ratings, key=lambda r: (r.rated_on, r.pk)):
        latest[" ".join(rating.rated_by.split()).casefold()] = rating
    return list(latest.values())


def compare_versions(old: PlanVersion, new: PlanVersion):
    return comparison.compare(old.content, new.content)
