"""The outcomes report, computed on small hand-made sets of check-ins whose changes are worked out
here by hand, and its page, printable layout and CSV.

The period in most tests is 1 January to 31 March 2026. Each parent's change on a measure is their
latest rating in the period minus their first rating ever, when the latest is on a later day."""

import csv
import datetime
import io
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from families.models import Role
from outcomes.measures import QUESTIONS_VERSION
from outcomes.models import CheckIn
from outcomes.report import (
    CSV_HEADER,
    MeasureFigures,
    OutcomesReportForm,
    count_of,
    median_of,
    outcomes_chart,
    outcomes_report,
    percent_of,
    points_in_words,
)
from tests.conftest import client_for
from tests.factories import FamilyFactory, LocalAuthorityFactory, MembershipFactory, PersonFactory, TeamFactory
from tests.outcomes.factories import CheckInFactory

LONDON = ZoneInfo("Europe/London")
NOW = datetime.datetime(2026, 6, 1, 9, 0, tzinfo=LONDON)
START, END = datetime.date(2026, 1, 1), datetime.date(2026, 3, 31)
PERIOD = {"start": "2026-01-01", "end": "2026-03-31"}


def day(*args):
    return datetime.date(*args)


def rate(parent, asked_on, confidence, understanding, wellbeing, csc_support=None, **fields):
    return CheckInFactory(
        parent=parent, family=parent.family, asked_on=asked_on, confidence=confidence, understanding=understanding,
        wellbeing=wellbeing, csc_support=csc_support, recorded_by=fields.pop("recorded_by", None)
        or parent.family.key_worker or MembershipFactory().user,
        occasion=fields.pop("occasion", CheckIn.Occasion.REVIEW), **fields,
    )


@pytest.fixture
def north(db):
    return LocalAuthorityFactory(name="Northshire")


@pytest.fixture
def data(cast, north):
    """Six parents of the manager's team, all in Northshire, with a check-in in the period:

    =====  ==========================================  ===========  ===========  ===========  =========
    who    check-ins (confidence, understanding,         confidence   understand.  wellbeing    CSC
           wellbeing, CSC support)
    =====  ==========================================  ===========  ===========  ===========  =========
    ann    10 Nov 2025 (2,3,1,-), 1 Feb 2026 (4,3,2,3)  +2           0            +1           first only
    bea    5 Jan (3,2,3,2), 10 Feb (2,4,3,-),           +1           +3           -1           +2
           20 Mar (4,5,2,4)
    cat    20 Jan (3,3,3,-)                             first only   first only   first only   no answer
    dee    1 Oct 2025 (4,4,4,-), 31 Mar (3,-,4,-)       -1           no answer    0            no answer
    fay    1 Jan (1,1,1,-), 1 Feb (1,2,1,-)             0            +1           0            no answer
    hal    15 Mar (2,2,2,-), 1 Apr (5,5,5,-)            first only   first only   first only   no answer
    =====  ==========================================  ===========  ===========  ===========  =========

    And one parent with no check-in in the period (1 Dec 2025 and 1 April 2026), who is not counted.
    Confidence: changes -1, 0, +1, +2: 2 of 4 improved, 1 the same, 1 worse, median +0.5.
    Understanding: 0, +1, +3: 2 of 3 improved, median +1; dee gave no answer in the period.
    Wellbeing: -1, 0, 0, +1: 1 improved, 2 the same, 1 worse, median 0.
    CSC support: bea +2 only; ann's first CSC rating is in the period with nothing later."""
    family = FamilyFactory(team=cast.family.team, local_authority=north, key_worker=cast.key_worker)
    parent = {name: PersonFactory(family=family, first_name=name.title(), last_name="Quillfeather") for name in
              ("ann", "bea", "cat", "dee", "fay", "hal", "out")}
    rate(parent["ann"], day(2025, 11, 10), 2, 3, 1, occasion=CheckIn.Occasion.FIRST)
    rate(parent["ann"], day(2026, 2, 1), 4, 3, 2, 3)
    rate(parent["bea"], day(2026, 1, 5), 3, 2, 3, 2, occasion=CheckIn.Occasion.FIRST)
    rate(parent["bea"], day(2026, 2, 10), 2, 4, 3)
    rate(parent["bea"], day(2026, 3, 20), 4, 5, 2, 4)
    rate(parent["cat"], day(2026, 1, 20), 3, 3, 3, occasion=CheckIn.Occasion.FIRST)
    rate(parent["dee"], day(2025, 10, 1), 4, 4, 4, occasion=CheckIn.Occasion.FIRST)
    rate(parent["dee"], day(2026, 3, 31), 3, None, 4)
    rate(parent["fay"], day(2026, 1, 1), 1, 1, 1, occasion=CheckIn.Occasion.FIRST)
    rate(parent["fay"], day(2026, 2, 1), 1, 2, 1)
    rate(parent["hal"], day(2026, 3, 15), 2, 2, 2, occasion=CheckIn.Occasion.FIRST)
    rate(parent["hal"], day(2026, 4, 1), 5, 5, 5)
    rate(parent["out"], day(2025, 12, 1), 2, 2, 2, occasion=CheckIn.Occasion.FIRST)
    rate(parent["out"], day(2026, 4, 1), 5, 5, 5)
    return {"team": cast.family.team, "family": family, "parent": parent, "north": north}


def report_for(team_ids, **kwargs):
    return outcomes_report(team_ids=team_ids, period=kwargs.pop("period", (START, END)), now=NOW, **kwargs)


def by_field(report):
    return {figures.measure.field: figures for figures in report.measures}


def summary(figures):
    return (figures.compared, figures.improved, figures.same, figures.worse, figures.median_change,
            figures.first_only, figures.not_answered)


@pytest.mark.django_db
def test_improved_same_worse_and_median_change_per_measure(cast, data):
    report = report_for([data["team"].pk])
    figures = by_field(report)
    assert report.parents == 6
    #                                     n  up same down median first-only no-answer
    assert summary(figures["confidence"]) == (4, 2, 1, 1, 0.5, 2, 0)
    assert summary(figures["understanding"]) == (3, 2, 1, 0, 1, 2, 1)
    assert summary(figures["wellbeing"]) == (4, 1, 2, 1, 0, 2, 0)
    assert summary(figures["csc_support"]) == (1, 1, 0, 0, 2, 1, 4)
    assert figures["confidence"].changes == {-4: 0, -3: 0, -2: 0, -1: 1, 0: 1, 1: 1, 2: 1, 3: 0, 4: 0}
    assert figures["understanding"].changes[3] == 1


@pytest.mark.django_db
def test_parents_without_a_later_rating_are_left_out_and_counted(cast, data):
    confidence = by_field(report_for([data["team"].pk]))["confidence"]
    assert confidence.first_only == 2  # cat, and hal whose later rating is after the period
    assert confidence.first_only_in_words == "2 parents have no later rating yet"
    assert confidence.parents == confidence.compared + confidence.first_only + confidence.not_answered == 6
    understanding = by_field(report_for([data["team"].pk]))["understanding"]
    assert understanding.not_answered_in_words == (
        "1 parent was not asked this question, or did not answer it, in the period"
    )


@pytest.mark.django_db
def test_a_second_rating_on_the_same_day_as_the_first_is_not_a_later_one(cast, north):
    family = FamilyFactory(team=cast.family.team, local_authority=north)
    parent = PersonFactory(family=family)
    rate(parent, day(2026, 2, 2), 2, 2, 2, recorded_by=cast.key_worker)
    rate(parent, day(2026, 2, 2), 5, 5, 5, recorded_by=cast.key_worker)
    confidence = by_field(report_for([cast.family.team.pk]))["confidence"]
    assert (confidence.compared, confidence.first_only) == (0, 1)


@pytest.mark.django_db
def test_a_later_rating_before_the_period_is_not_the_latest_in_it(cast, north):
    """First 3 in 2025, 5 in November 2025, 4 in February 2026: the change is 4 - 3, not 4 - 5."""
    parent = PersonFactory(family=FamilyFactory(team=cast.family.team, local_authority=north))
    rate(parent, day(2025, 3, 1), 3, 3, 3, recorded_by=cast.key_worker)
    rate(parent, day(2025, 11, 1), 5, 5, 5, recorded_by=cast.key_worker)
    rate(parent, day(2026, 2, 1), 4, 4, 4, recorded_by=cast.key_worker)
    confidence = by_field(report_for([cast.family.team.pk]))["confidence"]
    assert confidence.changes[1] == 1 and confidence.compared == 1


@pytest.mark.django_db
def test_both_ends_of_the_period_are_included_and_the_days_beyond_are_not(cast, north):
    family = FamilyFactory(team=cast.family.team, local_authority=north)
    first_day, last_day, day_before, day_after = (PersonFactory(family=family) for _ in range(4))
    rate(first_day, day(2025, 6, 1), 2, 2, 2, recorded_by=cast.key_worker)
    rate(first_day, START, 3, 3, 3, recorded_by=cast.key_worker)
    rate(last_day, day(2025, 6, 1), 2, 2, 2, recorded_by=cast.key_worker)
    rate(last_day, END, 4, 4, 4, recorded_by=cast.key_worker)
    rate(day_before, day(2025, 6, 1), 2, 2, 2, recorded_by=cast.key_worker)
    rate(day_before, START - datetime.timedelta(days=1), 5, 5, 5, recorded_by=cast.key_worker)
    rate(day_after, day(2025, 6, 1), 2, 2, 2, recorded_by=cast.key_worker)
    rate(day_after, END + datetime.timedelta(days=1), 1, 1, 1, recorded_by=cast.key_worker)
    report = report_for([cast.family.team.pk])
    confidence = by_field(report)["confidence"]
    assert report.parents == 2
    assert (confidence.compared, confidence.changes[1], confidence.changes[2]) == (2, 1, 1)


@pytest.mark.django_db
def test_ratings_asked_with_other_wording_do_not_count(cast, north):
    parent = PersonFactory(family=FamilyFactory(team=cast.family.team, local_authority=north))
    rate(parent, day(2025, 6, 1), 1, 1, 1, recorded_by=cast.key_worker, questions_version=QUESTIONS_VERSION + 1)
    rate(parent, day(2025, 7, 1), 2, 2, 2, recorded_by=cast.key_worker)
    rate(parent, day(2026, 2, 1), 3, 3, 3, recorded_by=cast.key_worker)
    confidence = by_field(report_for([cast.family.team.pk]))["confidence"]
    assert confidence.changes[1] == 1 and confidence.compared == 1  # 3 - 2, not 3 - 1


@pytest.mark.django_db
def test_team_and_local_authority_filters_and_other_teams_never_counted(cast, data):
    team = data["team"]
    other_team = MembershipFactory(user=cast.manager, role=Role.MANAGER).team
    south = LocalAuthorityFactory(name="Southshire")
    southern = PersonFactory(family=FamilyFactory(team=team, local_authority=south))
    rate(southern, day(2025, 6, 1), 1, 1, 1, recorded_by=cast.key_worker)
    rate(southern, day(2026, 2, 1), 5, 5, 5, recorded_by=cast.key_worker)  # +4
    in_other_team = PersonFactory(family=FamilyFactory(team=other_team, local_authority=data["north"]))
    rate(in_other_team, day(2025, 6, 1), 5, 5, 5, recorded_by=cast.key_worker)
    rate(in_other_team, day(2026, 2, 1), 1, 1, 1, recorded_by=cast.key_worker)  # -4
    not_theirs = PersonFactory(family=FamilyFactory(local_authority=data["north"]))
    rate(not_theirs, day(2025, 6, 1), 5, 5, 5, recorded_by=cast.outsider)
    rate(not_theirs, day(2026, 2, 1), 2, 2, 2, recorded_by=cast.outsider)  # -3: another team's

    def confidence(**kwargs):
        return by_field(report_for([team.pk, other_team.pk], **kwargs))["confidence"].changes

    everyone = confidence()
    assert (everyone[4], everyone[-4], everyone[-3], sum(everyone.values())) == (1, 1, 0, 6)
    one_team = confidence(team=(team.pk, team.name))
    assert (one_team[4], one_team[-4], sum(one_team.values())) == (1, 0, 5)
    in_north = confidence(local_authority=(data["north"].pk, "Northshire"))
    assert (in_north[4], in_north[-4], sum(in_north.values())) == (0, 1, 5)
    both = confidence(team=(team.pk, team.name), local_authority=(south.pk, "Southshire"))
    assert (both[4], sum(both.values())) == (1, 1)


@pytest.mark.django_db
def test_no_check_ins_no_figures(cast):
    report = report_for([cast.family.team.pk])
    assert report.parents == 0
    assert all(figures.compared == 0 and figures.median_change is None for figures in report.measures)
    assert outcomes_chart(report) is None


@pytest.mark.django_db
def test_one_query_whatever_the_number_of_parents(cast, data, django_assert_num_queries):
    with django_assert_num_queries(1):
        report_for([data["team"].pk])
    for _ in range(20):
        parent = PersonFactory(family=data["family"])
        rate(parent, day(2025, 12, 1), 1, 2, 3, 4, recorded_by=cast.key_worker)
        rate(parent, day(2026, 2, 1), 3, 2, 1, 5, recorded_by=cast.key_worker)
    with django_assert_num_queries(1):
        report = report_for([data["team"].pk])
    assert by_field(report)["confidence"].compared == 24


# ------------------------------------------------------------------ the numbers in words


@pytest.mark.parametrize(("changes", "median"), [
    ({}, None),
    ({2: 1}, 2),
    ({-1: 1, 0: 1, 1: 1, 2: 1}, 0.5),
    ({0: 1, 1: 1, 3: 1}, 1),
    ({-1: 1, 0: 2, 1: 1}, 0),
    ({-4: 0, -2: 3, 4: 1}, -2),
    ({1: 2, 3: 2}, 2),
])
def test_median_from_the_counts_of_each_change(changes, median):
    assert median_of(changes) == median


def test_a_percentage_always_comes_with_its_numbers():
    assert count_of(31, 36) == "31 of 36 (86%)"
    assert count_of(7, 8) == "7 of 8 (88%)"  # 87.5 rounds up
    assert count_of(1, 3) == "1 of 3 (33%)"
    assert count_of(0, 0) == "0 of 0"
    assert percent_of(1, 8) == 13


@pytest.mark.parametrize(("change", "words"), [
    (None, "no parents to compare"), (0, "no change"), (1, "up 1 point"), (0.5, "up 0.5 points"),
    (-2, "down 2 points"), (-1.5, "down 1.5 points"),
])
def test_change_in_words(change, words):
    assert points_in_words(change) == words


def test_chart_segments_are_shares_of_the_parents_compared():
    from outcomes.measures import MEASURES
    from outcomes.report import OutcomesReport, Period

    figures = [
        MeasureFigures(measure=MEASURES[0], changes={-1: 1, 0: 1, 1: 2}),
        MeasureFigures(measure=MEASURES[1], changes={1: 3}),
        MeasureFigures(measure=MEASURES[2], changes={}, first_only=2),
    ]
    chart = outcomes_chart(OutcomesReport(period=Period(START, END), now=NOW, measures=figures))
    assert [bar.label for bar in chart.bars] == [MEASURES[0].label, MEASURES[1].label]  # none compared: no bar
    first, second = chart.bars
    assert [(s.kind, s.parents, s.width) for s in first.segments] == [
        ("improved", 2, 190.0), ("same", 1, 95.0), ("worse", 1, 95.0),
    ]
    assert [s.x for s in first.segments] == [300.0, 490.0, 585.0]
    assert [(s.kind, s.width) for s in second.segments] == [("improved", 380.0)]
    assert first.n == 4


def test_period_must_run_forwards_and_be_five_years_at_most():
    form = OutcomesReportForm({"start": "2026-03-31", "end": "2026-01-01"}, teams=[], authorities=[])
    assert form.errors["end"] == ["The end of the period cannot be before its start."]
    form = OutcomesReportForm({"start": "2020-01-01", "end": "2026-01-01"}, teams=[], authorities=[])
    assert form.errors["start"] == ["Choose a period of five years or less."]


def test_a_team_not_theirs_is_refused_next_to_the_field():
    form = OutcomesReportForm({**PERIOD, "team": "999"}, teams=[(1, "North team")], authorities=[])
    assert form.errors["team"] == ["Choose the team from the list."]
    assert form.chosen_team() is None
    form = OutcomesReportForm({**PERIOD, "team": "1"}, teams=[(1, "North team")], authorities=[(7, "Northshire")])
    assert (form.chosen_team(), form.chosen_local_authority()) == ((1, "North team"), None)


# ------------------------------------------------------------------ the page, the print layout, the CSV


def page_text(response):
    html = response.content.decode()
    return html, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.django_db
def test_page_shows_the_figures_the_chart_and_the_method(cast, data, manager_client):
    with time_machine.travel(NOW, tick=False):
        response = manager_client.get(reverse("outcomes:report"), PERIOD)
    assert response.status_code == 200
    html, text = page_text(response)
    assert "Check-ins from 1 January 2026 to 31 March 2026: all your teams" in text
    assert "6 parents had a check-in in the period." in text
    assert "2 of 4 (50%)" in text and "1 of 4 (25%)" in text  # confidence
    assert "2 of 3 (67%)" in text and "0 of 3 (0%)" in text  # understanding
    assert "Up 0.5 points" in text and "Up 1 point" in text and "No change" in text
    assert "Left out: 2 parents have no later rating yet" in text
    assert "1 parent was not asked this question, or did not answer it, in the period" in text
    assert "We compare each parent's first rating with their latest one in the period" in text
    assert "<svg" in html and "of 4 compared" in html
    assert "print=1" in html and reverse("outcomes:report_export") in html
    assert "Quillfeather" not in html and data["family"].reference not in html


@pytest.mark.django_db
def test_no_percentage_without_its_numbers_on_the_page(cast, data, manager_client):
    with time_machine.travel(NOW, tick=False):
        _, text = page_text(manager_client.get(reverse("outcomes:report"), PERIOD))
    percentages = re.findall(r"\d+%", text)
    assert len(percentages) >= 12
    with_numbers = re.findall(r"\d+ of \d+ \(\d+%\)", text)
    assert len(with_numbers) == len(percentages)


@pytest.mark.django_db
def test_filters_on_the_page_choose_from_their_teams_and_the_authorities_their_families_live_in(
        cast, data, manager_client):
    elsewhere = LocalAuthorityFactory(name="Nowhere-in-particular")
    FamilyFactory(local_authority=elsewhere)  # another team's family
    response = manager_client.get(reverse("outcomes:report"), {**PERIOD, "local_authority": data["north"].pk})
    form = response.context["form"]
    authorities = dict(form.fields["local_authority"].choices)
    assert data["north"].pk in authorities and elsewhere.pk not in authorities
    assert list(dict(form.fields["team"].choices)) == ["", data["team"].pk]
    _, text = page_text(response)
    assert "all your teams, living in Northshire" in text
    assert f"local_authority={data['north'].pk}" in response.content.decode()


@pytest.mark.django_db
def test_a_date_that_is_not_a_date_is_said_next_to_the_field_and_kept(cast, manager_client):
    response = manager_client.get(reverse("outcomes:report"), {"start": "not a date", "end": "2026-03-31"})
    assert response.status_code == 200
    message = "The start of the period must be a real date, written as day, month and year."
    assert response.context["form"].errors["start"] == [message]
    assert message in response.content.decode()


def read_csv(response):
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.mark.django_db
def test_csv_of_the_figures(cast, data, manager_client):
    with time_machine.travel(NOW, tick=False):
        response = manager_client.get(reverse("outcomes:report_export"), PERIOD)
    assert response["Content-Disposition"] == 'attachment; filename="outcomes-2026-01-01-to-2026-03-31.csv"'
    assert response["Cache-Control"] == "no-store"
    header, *rows = read_csv(response)
    assert header == CSV_HEADER
    assert len(rows) == 4
    confidence = dict(zip(header, rows[0], strict=True))
    assert confidence["Measure"] == "Confidence to keep their child safe"
    assert (confidence["Ratings from"], confidence["to"], confidence["Figures as of"]) == (
        "01/01/2026", "31/03/2026", "01/06/2026 09:00")
    assert (confidence["Team"], confidence["Local authority"]) == ("All", "All")
    assert confidence["Parents with a check-in in the period"] == "6"
    assert confidence["Parents compared (a first and a later rating)"] == "4"
    assert (confidence["Improved"], confidence["Improved (% of the parents compared)"]) == ("2", "50")
    assert (confidence["Stayed the same"], confidence["Got worse"]) == ("1", "1")
    assert confidence["Median change in points (latest minus first)"] == "0.5"
    assert confidence["Left out: first rating in the period, no later one yet"] == "2"
    assert confidence["Parents whose rating changed by +2"] == "1"
    csc = dict(zip(header, rows[3], strict=True))
    assert csc["Median change in points (latest minus first)"] == "2"
    assert csc["Left out: not asked or not answered in the period"] == "4"
    # Every percentage column sits beside the count it is of, and the number compared is in the row.
    for index, name in enumerate(header):
        if "%" in name:
            assert header[index - 1] in name.split(" (")[0]
    assert "Quillfeather" not in response.content.decode()
    assert data["family"].reference not in response.content.decode()


@pytest.mark.django_db
def test_csv_cells_cannot_run_as_formulas(cast, data, manager_client):
    team = data["team"]
    team.name = "=HYPERLINK(\"http://example.org\")"
    team.save()
    with time_machine.travel(NOW, tick=False):
        _, row, *_ = read_csv(manager_client.get(reverse("outcomes:report_export"), {**PERIOD, "team": team.pk}))
    assert row[CSV_HEADER.index("Team")] == "'=HYPERLINK(\"http://example.org\")"


@pytest.mark.django_db
def test_csv_of_an_impossible_period_goes_back_to_the_page_to_say_why(manager_client):
    response = manager_client.get(reverse("outcomes:report_export"), {"start": "2026-03-31", "end": "2026-01-01"})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('outcomes:report')}?start=2026-03-31&end=2026-01-01"


@pytest.mark.django_db
def test_printable_layout_has_title_period_method_chart_and_tables_without_the_form(cast, data, manager_client):
    with time_machine.travel(NOW, tick=False):
        response = manager_client.get(reverse("outcomes:report"), {**PERIOD, "print": "1"})
    html, text = page_text(response)
    assert "How parents' own ratings changed" in text
    assert "Check-ins from 1 January 2026 to 31 March 2026" in text
    assert "Figures as of 1 June 2026, 09:00" in text
    assert "We compare each parent's first rating" in text
    assert "2 of 4 (50%)" in text and "<svg" in html
    assert "data-print" in html and 'class="no-print"' in html
    assert 'aria-label="Choose the period, team and local authority"' not in html
    assert "Download these figures" not in html
    assert f'href="{reverse("outcomes:report")}?start=2026-01-01&amp;end=2026-03-31"' in html


@pytest.mark.django_db
def test_page_query_count_is_the_same_for_2_and_30_parents(cast, north, manager_client, django_assert_num_queries):
    family = FamilyFactory(team=cast.family.team, local_authority=north)

    def add_parents(count):
        for n in range(count):
            parent = PersonFactory(family=family)
            rate(parent, day(2025, 12, 1), 1 + n % 5, 2, 3, recorded_by=cast.key_worker)
            rate(parent, day(2026, 2, 1), 3, 1 + n % 5, 1, 2, recorded_by=cast.key_worker)

    def get(name):
        with time_machine.travel(NOW, tick=False):
            assert manager_client.get(reverse(name), PERIOD).status_code == 200

    add_parents(2)
    get("outcomes:report")  # the session's first request since signing in does a little more
    with CaptureQueriesContext(connection) as page_with_few:
        get("outcomes:report")
    with CaptureQueriesContext(connection) as csv_with_few:
        get("outcomes:report_export")
    add_parents(28)
    with django_assert_num_queries(len(page_with_few)):
        get("outcomes:report")
    with django_assert_num_queries(len(csv_with_few)):
        get("outcomes:report_export")


@pytest.mark.django_db
def test_page_and_csv_are_for_managers_and_administrators(cast, data, manager_client, key_worker_client,
                                                           outsider_client, anonymous_client):
    administrator = MembershipFactory(team=TeamFactory(), role=Role.ADMINISTRATOR).user
    for name in ("outcomes:report", "outcomes:report_export"):
        url = reverse(name)
        assert manager_client.get(url).status_code == 200
        assert manager_client.get(url, {"print": "1"}).status_code == 200
        assert client_for(administrator).get(url).status_code == 200
        assert key_worker_client.get(url).status_code == 404
        assert outsider_client.get(url).status_code == 404
        assert outsider_client.get(url, {"print": "1"}).status_code == 404
        assert anonymous_client.get(url).status_code == 302


@pytest.mark.django_db
def test_numbers_only_so_no_family_history_entry(cast, data, manager_client):
    from core.models import AuditEntry

    before = AuditEntry.objects.count()
    manager_client.get(reverse("outcomes:report"), PERIOD)
    manager_client.get(reverse("outcomes:report_export"), PERIOD)
    assert AuditEntry.objects.count() == before
