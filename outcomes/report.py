"""The outcomes report: for the parents of a manager's teams (or of one team, or of the families
living in one local authority), how their own ratings changed between their first rating and their
latest one in a period, measure by measure (outcomes.measures).

The rule (also shown on the page, in plain words):

- A parent counts in a period when they had a check-in asked in it (London dates, both ends
  included), in a family that now belongs to the teams chosen and, when one is chosen, lives in
  the local authority chosen.
- For each measure on its own, such a parent is exactly one of:
  - **compared**: their latest rating in the period was asked on a later day than their first
    rating ever (which may be from before the period). Their change is latest minus first, in
    points of the 1 to 5 scale: above 0 improved, 0 stayed the same, below 0 got worse;
  - **no later rating yet**: their first rating is in the period and nothing later is (left out
    of the comparison, and counted);
  - **no answer**: none of their check-ins in the period has an answer to this question (it was
    not asked, or they chose not to answer; left out, and counted).
- Only ratings asked with the questions as worded now (measures.QUESTIONS_VERSION) count: a
  figure compares like with like.
- The median change is the middle one of the compared parents' changes (halfway between the two
  middle ones for an even number).
- A percentage is always of the parents compared on that measure, and always shown with both
  numbers: "31 of 36 (86%)".

One query whatever the number of parents (rating_changes): the database counts the parents of each
measure, outcome and change (−4 to +4), so the rows read are at most eleven per measure, and per
part of the period and local authority when the service reports ask for them; the median is exact
from those counts.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django import forms
from django.db import connections
from django.db.models import F
from django.utils import dateformat, timezone

from core import charts
from core.forms import PeriodForm, UKDateField
from families.models import Family, LocalAuthority, Team
from outcomes.measures import MEASURE_FIELDS, MEASURES, QUESTIONS_VERSION, SCALE, Measure
from outcomes.models import CheckIn

LARGEST_CHANGE = SCALE[-1] - SCALE[0]
CHANGES = tuple(range(-LARGEST_CHANGE, LARGEST_CHANGE + 1))

COMPARED, FIRST_ONLY, NOT_ANSWERED = "compared", "first only", "not answered"


def percent_of(count: int, total: int) -> int:
    """``count`` as a whole percentage of ``total``, halves rounded up (7 of 8 is 88)."""
    return (200 * count + total) // (2 * total)


def count_of(count: int, total: int) -> str:
    """The only way the report writes a percentage: with the numbers it is of, "31 of 36 (86%)"."""
    if not total:
        return f"{count} of {total}"
    return f"{count} of {total} ({percent_of(count, total)}%)"


def parents_in_words(count: int) -> str:
    return f"{count} parent{'' if count == 1 else 's'}"


def points_in_words(change: float | None) -> str:
    """A change on the scale as said aloud: "up 1 point", "down 0.5 points", "no change"."""
    if change is None:
        return "no parents to compare"
    if change == 0:
        return "no change"
    size = abs(change)
    number = f"{size:g}"
    return f"{'up' if change > 0 else 'down'} {number} point{'' if size == 1 else 's'}"


def median_of(changes: dict[int, int]) -> float | None:
    """The exact median of the changes counted in ``changes`` (change in points: parents)."""
    total = sum(changes.values())
    if not total:
        return None
    wanted = ((total - 1) // 2, total // 2)  # the middle one, or the two middle ones
    found = []
    seen = 0
    for change in sorted(changes):
        seen += changes[change]
        while len(found) < 2 and wanted[len(found)] < seen:
            found.append(change)
    middle = (found[0] + found[1]) / 2
    return int(middle) if middle == int(middle) else middle


@dataclass(frozen=True)
class MeasureFigures:
    """One measure's figures for one period and scope."""

    measure: Measure
    changes: dict[int, int]  # change in points (latest minus first): parents compared, every change in CHANGES
    first_only: int = 0  # first rated in the period, nothing later yet: left out
    not_answered: int = 0  # no answer to this question in the period: left out

    @property
    def compared(self) -> int:
        return sum(self.changes.values())

    @property
    def parents(self) -> int:
        return self.compared + self.first_only + self.not_answered

    @property
    def improved(self) -> int:
        return sum(parents for change, parents in self.changes.items() if change > 0)

    @property
    def same(self) -> int:
        return self.changes.get(0, 0)

    @property
    def worse(self) -> int:
        return sum(parents for change, parents in self.changes.items() if change < 0)

    @property
    def improved_percent(self) -> int | None:
        return percent_of(self.improved, self.compared) if self.compared else None

    @property
    def improved_in_words(self) -> str:
        return count_of(self.improved, self.compared)

    @property
    def same_in_words(self) -> str:
        return count_of(self.same, self.compared)

    @property
    def worse_in_words(self) -> str:
        return count_of(self.worse, self.compared)

    @property
    def median_change(self) -> float | None:
        return median_of(self.changes)

    @property
    def median_in_words(self) -> str:
        return points_in_words(self.median_change)

    @property
    def first_only_in_words(self) -> str:
        if self.first_only == 1:
            return "1 parent has no later rating yet"
        return f"{self.first_only} parents have no later rating yet"

    @property
    def not_answered_in_words(self) -> str:
        verb = "was" if self.not_answered == 1 else "were"
        return (f"{parents_in_words(self.not_answered)} {verb} not asked this question, or did not answer it, "
                "in the period")

    @property
    def distribution(self) -> list[tuple[str, int]]:
        """Parents by change, from most worse to most improved, for the table's detail."""
        return [(f"{change:+d}" if change else "0", self.changes.get(change, 0)) for change in CHANGES]


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    def __str__(self):
        return f"{dateformat.format(self.start, 'j F Y')} to {dateformat.format(self.end, 'j F Y')}"


@dataclass(frozen=True)
class OutcomesReport:
    """What the page, its printable layout and its CSV show."""

    period: Period
    now: datetime
    measures: list[MeasureFigures]
    team: tuple[int, str] | None = None  # the team chosen, else all the manager's teams
    local_authority: tuple[int, str] | None = None  # the local authority chosen, else all

    @property
    def parents(self) -> int:
        """Parents with a check-in in the period (the same for every measure)."""
        return self.measures[0].parents if self.measures else 0

    @property
    def scope_in_words(self) -> str:
        teams = self.team[1] if self.team else "all your teams"
        where = f", living in {self.local_authority[1]}" if self.local_authority else ""
        return f"{teams}{where}"

    @property
    def query(self) -> str:
        """The choices as a query string, for the links to the CSV and the printable layout."""
        query = f"start={self.period.start:%Y-%m-%d}&end={self.period.end:%Y-%m-%d}"
        if self.team:
            query += f"&team={self.team[0]}"
        if self.local_authority:
            query += f"&local_authority={self.local_authority[0]}"
        return query


def _part_of(column: str, parts: list[Period], adapt) -> tuple[str, list]:
    """SQL for the index of the part of ``parts`` the date in ``column`` falls in (NULL in none of
    them), with its parameters."""
    whens = " ".join(f"WHEN {column} >= %s AND {column} <= %s THEN {index}" for index in range(len(parts)))
    return f"CASE {whens} END", [adapt(day) for part in parts for day in (part.start, part.end)]


@dataclass(frozen=True)
class RatingChanges:
    """The counts behind MeasureFigures, for each part of a period and each group of parents:
    ``changes`` {(group, part, measure field): {change in points, or None for no later rating yet:
    parents}}, ``parents`` {(group, part): parents with a check-in in it}. A part None is all the
    parts together; a group is a local authority's id, or None when the parents were not grouped."""

    parts: list[Period]
    changes: dict
    parents: dict

    def measures(self, *, part: int | None = None, groups=(None,)) -> list[MeasureFigures]:
        """Each measure's figures for ``part`` (None: the whole period), the parents of ``groups``
        added up (a parent is in one group only)."""
        parents = sum(self.parents.get((group, part), 0) for group in groups)
        figures = []
        for measure in MEASURES:
            changes = dict.fromkeys(CHANGES, 0)
            first_only = 0
            for group in groups:
                for change, count in self.changes.get((group, part, measure.field), {}).items():
                    if change is None:
                        first_only += count
                    else:
                        changes[change] += count
            compared = sum(changes.values())
            figures.append(MeasureFigures(measure=measure, changes=changes, first_only=first_only,
                                          not_answered=parents - compared - first_only))
        return figures


def rating_changes(families, parts: list[Period], *, per_local_authority: bool = False) -> RatingChanges:
    """The rule (see the module's notes) for the parents of ``families``, in each of ``parts``
    (consecutive periods, each beginning the day after the one before it ends) and in all of them
    together, grouped by the local authority the family lives in when ``per_local_authority``. One
    query, whatever the number of parents, parts and groups.

    The parents rated in the period are found first; each of their ratings up to its end, measure by
    measure, is then set beside their first rating and their next one (window functions, ordered by
    the day asked and then by the order recorded). A rating counts for a part when no later one
    falls in the same part: it is then the latest, compared with the first when asked on a later day.
    """
    for before, after in zip(parts, parts[1:], strict=False):
        if after.start != before.end + timedelta(days=1):
            raise ValueError("The parts of a period must follow each other, day after day.")
    start, end = parts[0].start, parts[-1].end
    rated = CheckIn.objects.filter(
        family__in=families, questions_version=QUESTIONS_VERSION, asked_on__gte=start, asked_on__lte=end,
    ).order_by()
    rated = (rated.values("parent_id", area=F("family__local_authority_id")) if per_local_authority
             else rated.values("parent_id")).distinct()
    connection = connections[rated.db]
    rated_sql, rated_params = rated.query.get_compiler(using=rated.db).as_sql()
    quote, adapt = connection.ops.quote_name, connection.ops.adapt_datefield_value
    column = {name: quote(CheckIn._meta.get_field(name).column)
              for name in ("id", "parent", "asked_on", "questions_version", *MEASURE_FIELDS)}
    numbers = {measure.field: number for number, measure in enumerate(MEASURES, start=1)}
    answers = " UNION ALL ".join(
        f"SELECT id, parent_id, asked_on, {numbers[field]} AS measure, {field} AS score FROM history "  # noqa: S608 - names from code
        f"WHERE {field} IS NOT NULL" for field in MEASURE_FIELDS
    )
    part, part_params = _part_of("asked_on", parts, adapt)
    next_part, next_part_params = _part_of("next_on", parts, adapt)
    # The authority is each parent's (a parent is in one family), joined once their ratings are set
    # side by side.
    if per_local_authority:
        area, by_area = f"rated.{quote('area')} AS area", " GROUP BY area"

        def with_area(rows):
            return f"{rows} JOIN rated ON rated.{quote('parent_id')} = {rows}.parent_id"
    else:
        area, by_area = "NULL AS area", ""

        def with_area(rows):
            return rows
    sql = f"""
        WITH rated AS ({rated_sql}),
        history AS (
            SELECT {column["id"]} AS id, {column["parent"]} AS parent_id, {column["asked_on"]} AS asked_on,
                   {", ".join(f"{column[field]} AS {field}" for field in MEASURE_FIELDS)}
              FROM {quote(CheckIn._meta.db_table)}
             WHERE {column["questions_version"]} = %s AND {column["asked_on"]} <= %s
               AND {column["parent"]} IN (SELECT {quote("parent_id")} FROM rated)
        ),
        answers AS ({answers}),
        followed AS (
            SELECT parent_id, measure, asked_on, LEAD(asked_on) OVER by_parent AS next_on,
                   CASE WHEN asked_on > FIRST_VALUE(asked_on) OVER by_parent
                        THEN score - FIRST_VALUE(score) OVER by_parent END AS change
              FROM answers
            WINDOW by_parent AS (PARTITION BY parent_id, measure ORDER BY asked_on, id)
        ),
        placed AS (
            SELECT {area}, measure, change, {part} AS part, {next_part} AS next_part FROM {with_area("followed")}
        ),
        dated AS (SELECT {area}, history.parent_id, {part} AS part FROM {with_area("history")})
        SELECT area, measure, part, change,
               COUNT(CASE WHEN next_part IS NULL OR next_part <> part THEN 1 END) AS latest_in_part,
               COUNT(CASE WHEN next_part IS NULL THEN 1 END) AS latest_in_period
          FROM placed
         WHERE part IS NOT NULL
         GROUP BY area, measure, part, change
        UNION ALL
        -- Measure 0: the parents with a check-in, in each part and in the whole period.
        SELECT area, 0, part, NULL, COUNT(DISTINCT parent_id), 0 FROM dated WHERE part IS NOT NULL GROUP BY area, part
        UNION ALL
        SELECT {area}, 0, NULL, NULL, 0, COUNT(*) FROM rated{by_area}
    """  # noqa: S608 - names from the models and the code; every value is a parameter
    params = [*rated_params, QUESTIONS_VERSION, adapt(end), *part_params, *next_part_params, *part_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    fields = {number: field for field, number in numbers.items()}
    changes: dict = defaultdict(lambda: defaultdict(int))
    parents: dict = defaultdict(int)
    for area_id, measure, part_index, change, latest_in_part, latest_in_period in rows:
        for key, count in (((area_id, part_index), latest_in_part), ((area_id, None), latest_in_period)):
            if not count:
                continue
            if measure == 0:
                parents[key] += count
            else:
                changes[(*key, fields[measure])][change] += count
    return RatingChanges(parts=parts, changes=dict(changes), parents=dict(parents))


def outcomes_report(*, team_ids: list[int], period: tuple[date, date], now: datetime,
                    team: tuple[int, str] | None = None,
                    local_authority: tuple[int, str] | None = None) -> OutcomesReport:
    """The figures for the parents of the families of ``team_ids`` (narrowed to ``team`` and to the
    families living in ``local_authority`` when given: (id, name)) with a check-in in ``period``
    (London dates, inclusive). One query."""
    teams = [team[0]] if team else team_ids
    families = Family.objects.filter(team_id__in=teams)
    if local_authority:
        families = families.filter(local_authority_id=local_authority[0])
    whole = Period(*period)
    return OutcomesReport(
        period=whole, now=now, team=team, local_authority=local_authority,
        measures=rating_changes(families, [whole]).measures(),
    )


# ------------------------------------------------------------------ the CSV

CSV_HEADER = [
    "Ratings from", "to", "Figures as of", "Team", "Local authority", "Measure", "Question",
    "Parents with a check-in in the period", "Parents compared (a first and a later rating)",
    "Improved", "Improved (% of the parents compared)",
    "Stayed the same", "Stayed the same (% of the parents compared)",
    "Got worse", "Got worse (% of the parents compared)",
    "Median change in points (latest minus first)",
    "Left out: first rating in the period, no later one yet",
    "Left out: not asked or not answered in the period",
    *(f"Parents whose rating changed by {change:+d}" if change else "Parents whose rating did not change"
      for change in CHANGES),
]


def csv_rows(report: OutcomesReport) -> list[list]:
    """One row per measure under CSV_HEADER. Each percentage has its numbers in the same row. Team
    and authority names are as people typed them: the view passes every cell through safe_cell."""
    as_of = timezone.localtime(report.now)
    rows = []
    for figures in report.measures:
        compared = figures.compared

        def percent(count, compared=compared):
            return percent_of(count, compared) if compared else ""

        median = figures.median_change
        rows.append([
            f"{report.period.start:%d/%m/%Y}", f"{report.period.end:%d/%m/%Y}", f"{as_of:%d/%m/%Y %H:%M}",
            report.team[1] if report.team else "All", report.local_authority[1] if report.local_authority else "All",
            figures.measure.label, figures.measure.question, figures.parents, compared,
            figures.improved, percent(figures.improved), figures.same, percent(figures.same),
            figures.worse, percent(figures.worse), "" if median is None else median,
            figures.first_only, figures.not_answered,
            *(figures.changes.get(change, 0) for change in CHANGES),
        ])
    return rows


# ------------------------------------------------------------------ the chart


@dataclass(frozen=True, kw_only=True)
class ShareSegment(charts.Segment):
    kind: str  # "improved", "same" or "worse"
    parents: int
    fill: str

    @property
    def labelled(self) -> bool:
        """Wide enough for its number inside it."""
        return self.width >= 28


@dataclass(frozen=True, kw_only=True)
class MeasureBar(charts.StackedBar):
    n: int


# Dark enough against white for the bars, and for white numbers inside them.
FILLS = {"improved": "#1b5e20", "same": "#5c636a", "worse": "#9a3412"}
# The legend is text above the bars; every bar's "of n compared" lines up after the plot.
OUTCOMES_CHART = charts.Layout(bar_height=28, gap=12, top=36, label_width=300, value_width=120, baseline=8,
                               value_gap=8, values_after_plot=True)


@dataclass(frozen=True)
class OutcomesChart(charts.BarChart):
    """Improved, the same and worse, as shares of each measure's parents compared: one bar per
    measure."""

    layout: charts.Layout = OUTCOMES_CHART

    @property
    def legend(self):
        """(label, fill, x of the swatch, x of the words)."""
        return [
            (label, FILLS[kind], self.label_width + offset, self.label_width + offset + 20)
            for kind, label, offset in (("improved", "Improved", 0), ("same", "Stayed the same", 110),
                                        ("worse", "Got worse", 270))
        ]


def outcomes_chart(report: OutcomesReport) -> OutcomesChart | None:
    """A bar for each measure with parents compared; None when no measure has any."""
    with_parents = [figures for figures in report.measures if figures.compared]
    if not with_parents:
        return None
    layout = OUTCOMES_CHART
    bars = []
    for index, figures in enumerate(with_parents):
        outcomes = (("improved", figures.improved), ("same", figures.same), ("worse", figures.worse))
        placed = layout.stacked((((kind, parents), parents) for kind, parents in outcomes), figures.compared)
        segments = [
            ShareSegment(kind=kind, parents=parents, x=x, width=width, fill=FILLS[kind])
            for (kind, parents), x, width in placed
        ]
        bars.append(MeasureBar(label=figures.measure.label, n=figures.compared, y=layout.bar_y(index),
                               segments=segments, layout=layout))
    return OutcomesChart(bars=bars)


# ------------------------------------------------------------------ the choices


def team_choices(team_ids: list[int]) -> list[tuple[int, str]]:
    """The teams a manager may choose from: their own (one query)."""
    return list(Team.objects.filter(pk__in=team_ids).order_by("name", "pk").values_list("pk", "name"))


def authority_choices(team_ids: list[int]) -> list[tuple[int, str]]:
    """The local authorities where families of those teams live (one query, on the authorities)."""
    lived_in = Family.objects.filter(team_id__in=team_ids, local_authority__isnull=False).values("local_authority_id")
    return list(LocalAuthority.objects.filter(pk__in=lived_in).order_by("name", "pk").values_list("pk", "name"))


class OutcomesReportForm(PeriodForm):
    start = UKDateField(label="Check-ins from", name="the start of the period")
    end = UKDateField(label="to", name="the end of the period")
    team = forms.TypedChoiceField(label="Team", required=False, coerce=int, empty_value=None)
    local_authority = forms.TypedChoiceField(label="Local authority the family lives in", required=False,
                                             coerce=int, empty_value=None)

    def __init__(self, *args, teams: list[tuple[int, str]], authorities: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", "All your teams"), *teams]
        self.fields["local_authority"].choices = [("", "All local authorities"), *authorities]
        self._names = {"team": dict(teams), "local_authority": dict(authorities)}

    def _valid(self) -> bool:
        return self.is_bound and self.is_valid()

    def _chosen(self, name) -> tuple[int, str] | None:
        """(id, name) of the team or authority chosen; None for all, or when the form is not valid."""
        if not self._valid() or self.cleaned_data.get(name) is None:
            return None
        chosen = self.cleaned_data[name]
        return chosen, self._names[name][chosen]

    def chosen_team(self) -> tuple[int, str] | None:
        return self._chosen("team")

    def chosen_local_authority(self) -> tuple[int, str] | None:
        return self._chosen("local_authority")
