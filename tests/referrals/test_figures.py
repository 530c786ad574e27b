"""Delay figures per local authority, computed on small hand-made data sets whose working-day
gaps are known, and the page template that shows them."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.template.loader import render_to_string

from referrals.figures import (
    AuthorityFigures,
    PeriodForm,
    decision_chart,
    delay_figures,
    median,
    nearest_rank,
)
from referrals.models import Milestone, Referral
from tests.factories import (
    FamilyFactory,
    LocalAuthorityFactory,
    MilestoneRecordFactory,
    ReferralFactory,
    SocialWorkerAllocationFactory,
)

LONDON = ZoneInfo("Europe/London")
NOW = datetime.datetime(2026, 6, 1, 9, 0, tzinfo=LONDON)
START, END = datetime.date(2026, 1, 1), datetime.date(2026, 3, 31)


def london(*args):
    return datetime.datetime(*args, tzinfo=LONDON)


def referral(family, authority, made_at, *, decision_at=None, assessment_at=None, social_workers=0, **fields):
    made = ReferralFactory(family=family, local_authority=authority, **fields)
    MilestoneRecordFactory(referral=made, milestone=Milestone.REFERRAL_MADE, occurred_at=made_at)
    if decision_at:
        MilestoneRecordFactory(referral=made, milestone=Milestone.DECISION, occurred_at=decision_at)
    if assessment_at:
        MilestoneRecordFactory(referral=made, milestone=Milestone.ASSESSMENT_COMPLETED, occurred_at=assessment_at)
    for _ in range(social_workers):
        SocialWorkerAllocationFactory(referral=made)
    return made


@pytest.fixture
def data(cast):
    """Northshire (England): four referrals made on Monday 12 January 2026 with decisions 1, 2, 3 and
    10 working days later, two of them with assessments completed after 20 and 45 working days;
    3, 2, 1 and 0 social workers. They are closed; four other open ones (made before the period)
    are for the share overdue now: two overdue, one due later, one with nothing due."""
    team = cast.family.team
    north = LocalAuthorityFactory(name="Northshire", nation="england")
    family = FamilyFactory(team=team, local_authority=north)
    made = london(2026, 1, 12, 10, 0)
    closed = {"status": Referral.Status.CLOSED}
    referral(family, north, made, decision_at=london(2026, 1, 13, 16, 0), assessment_at=london(2026, 2, 9, 12, 0),
             social_workers=3, **closed)
    referral(family, north, made, decision_at=london(2026, 1, 14, 9, 0), assessment_at=london(2026, 3, 16, 12, 0),
             social_workers=2, **closed)
    referral(family, north, made, decision_at=london(2026, 1, 15, 9, 0), social_workers=1, **closed)
    referral(family, north, made, decision_at=london(2026, 1, 26, 9, 0), **closed)
    earlier = london(2025, 11, 3, 10, 0)
    referral(family, north, earlier, decision_at=london(2025, 12, 31, 9, 0), social_workers=4,
             next_due_at=NOW - datetime.timedelta(days=1))
    referral(family, north, earlier, next_due_at=NOW - datetime.timedelta(days=30))
    referral(family, north, earlier, next_due_at=NOW + datetime.timedelta(days=2))
    referral(family, north, earlier)
    return {"north": north, "family": family, "team": team}


def figures_for(name, figures):
    return next(figure for figure in figures if figure.name == name)


def test_median_of_an_even_count_is_halfway_between_the_middle_two():
    assert median([1, 2, 3, 10]) == 2.5
    assert median([3, 1, 2]) == 2
    assert median([]) is None


@pytest.mark.parametrize(
    ("values", "expected"),
    [([1, 2, 3, 10], 10), ([5], 5), (list(range(1, 11)), 9), (list(range(1, 21)), 18), ([], None)],
)
def test_nearest_rank_percentile(values, expected):
    assert nearest_rank(values, 90) == expected


@pytest.mark.django_db
def test_medians_and_90th_percentiles_in_working_days(cast, data):
    [north] = delay_figures(local_authority_ids=None, start=START, end=END, now=NOW, team_ids=[data["team"].pk])
    assert north.name == "Northshire"
    assert north.referrals == 4
    assert (north.decided, north.median_days_to_decision, north.p90_days_to_decision) == (4, 2.5, 10)
    assert (north.assessed, north.median_days_to_assessment, north.p90_days_to_assessment) == (2, 32.5, 45)


@pytest.mark.django_db
def test_share_of_open_referrals_overdue_is_about_now_whatever_the_period(cast, data):
    [north] = delay_figures(local_authority_ids=None, start=START, end=END, now=NOW, team_ids=[data["team"].pk])
    assert (north.open_overdue, north.open_referrals) == (2, 4)
    assert north.share_open_overdue == 0.5
    assert north.share_open_overdue_percent == 50


@pytest.mark.django_db
def test_social_workers_per_referral_counts_the_periods_referrals_only(cast, data):
    [north] = delay_figures(local_authority_ids=None, start=START, end=END, now=NOW, team_ids=[data["team"].pk])
    assert north.social_worker_allocations == 6
    assert north.social_workers_per_referral == 1.5


@pytest.mark.django_db
def test_both_ends_of_the_period_are_included(cast):
    authority = LocalAuthorityFactory(name="Edgeton")
    family = FamilyFactory(team=cast.family.team, local_authority=authority)
    referral(family, authority, london(2026, 1, 1, 0, 0))  # first instant of the first day
    referral(family, authority, london(2026, 3, 31, 23, 59))  # last minute of the last day
    referral(family, authority, london(2025, 12, 31, 23, 59))
    referral(family, authority, london(2026, 4, 1, 0, 0))
    [figure] = delay_figures(local_authority_ids=None, start=START, end=END, now=NOW, team_ids=[cast.family.team_id])
    assert figure.referrals == 2


@pytest.mark.django_db
def test_working_days_skip_the_bank_holidays_of_the_authoritys_nation(cast):
    """Made on Wednesday 31 December 2025, decided on Monday 5 January: New Year's Day is a bank
    holiday everywhere, 2 January only in Scotland."""
    team = cast.family.team
    for name, nation in (("Englandshire", "england"), ("Scotshire", "scotland")):
        authority = LocalAuthorityFactory(name=name, nation=nation)
        family = FamilyFactory(team=team, local_authority=authority)
        referral(family, authority, london(2025, 12, 31, 10, 0), decision_at=london(2026, 1, 5, 10, 0))
    figures = delay_figures(local_authority_ids=None, start=datetime.date(2025, 12, 1), end=END, now=NOW,
                            team_ids=[team.pk])
    assert [(figure.name, figure.median_days_to_decision) for figure in figures] == [
        ("Englandshire", 2), ("Scotshire", 1)
    ]


@pytest.mark.django_db
def test_scoped_to_the_teams_and_authorities_asked_for(cast, data):
    other_team_family = FamilyFactory(local_authority=data["north"])
    referral(other_team_family, data["north"], london(2026, 2, 2, 10, 0), decision_at=london(2026, 2, 3, 10, 0))
    elsewhere = LocalAuthorityFactory(name="Southshire")
    referral(data["family"], elsewhere, london(2026, 2, 2, 10, 0))
    team = [data["team"].pk]
    mine = delay_figures(local_authority_ids=None, start=START, end=END, now=NOW, team_ids=team)
    assert [(figure.name, figure.referrals) for figure in mine] == [("Northshire", 4), ("Southshire", 1)]
    everyone = delay_figures(local_authority_ids=None, start=START, end=END, now=NOW)
    assert figures_for("Northshire", everyone).referrals == 5
    only_south = delay_figures(local_authority_ids=[elsewhere.pk], start=START, end=END, now=NOW, team_ids=team)
    assert [figure.name for figure in only_south] == ["Southshire"]
    south = only_south[0]
    assert (south.median_days_to_decision, south.p90_days_to_decision, south.social_workers_per_referral) == (
        None, None, 0
    )


@pytest.mark.django_db
def test_an_authority_with_only_open_referrals_from_before_the_period_shows_its_share_overdue(cast, data):
    figures = delay_figures(local_authority_ids=None, start=datetime.date(2026, 5, 1), end=datetime.date(2026, 5, 31),
                            now=NOW, team_ids=[data["team"].pk])
    [north] = figures
    assert (north.referrals, north.decided, north.median_days_to_decision) == (0, 0, None)
    assert north.social_workers_per_referral is None
    assert north.share_open_overdue == 0.5


@pytest.mark.django_db
def test_a_constant_number_of_queries(cast, data, django_assert_num_queries):
    with django_assert_num_queries(3):
        delay_figures(local_authority_ids=None, start=START, end=END, now=NOW, team_ids=[data["team"].pk])
    for n in range(20):
        authority = LocalAuthorityFactory(name=f"More {n}")
        family = FamilyFactory(team=data["team"], local_authority=authority)
        referral(family, authority, london(2026, 2, 2, 10, 0), decision_at=london(2026, 2, 4, 10, 0),
                 assessment_at=london(2026, 3, 2, 10, 0), social_workers=2)
    with django_assert_num_queries(3):
        figures = delay_figures(local_authority_ids=None, start=START, end=END, now=NOW, team_ids=[data["team"].pk])
    assert len(figures) == 21


@pytest.mark.django_db
def test_no_referrals_no_figures(cast):
    assert delay_figures(local_authority_ids=None, start=START, end=END, now=NOW, team_ids=[cast.family.team_id]) == []
    assert decision_chart([]) is None


def test_chart_bars_are_proportional_to_the_median():
    figures = [
        AuthorityFigures(local_authority_id=1, name="Fast", referrals=2, decided=2, median_days_to_decision=2.5),
        AuthorityFigures(local_authority_id=2, name="Slow", referrals=1, decided=1, median_days_to_decision=10),
        AuthorityFigures(local_authority_id=3, name="Undecided", referrals=1),
    ]
    chart = decision_chart(figures)
    assert [(bar.label, bar.value, bar.width) for bar in chart.bars] == [
        ("Fast", 2.5, chart.plot_width / 4), ("Slow", 10, chart.plot_width)
    ]
    assert chart.bars[1].y > chart.bars[0].y


def test_period_form_checks_the_order_of_dates():
    form = PeriodForm({"start": "31/03/2026", "end": "01/01/2026"})
    assert not form.is_valid()
    assert form.errors["end"] == ["The end of the period cannot be before its start."]
    assert PeriodForm({"start": "01/01/2026", "end": "31/03/2026"}).period() == (START, END)


@pytest.mark.django_db
def test_template_shows_the_numbers_and_the_chart(cast, data):
    figures = delay_figures(local_authority_ids=None, start=START, end=END, now=NOW, team_ids=[data["team"].pk])
    html = render_to_string(
        "referrals/figures.html",
        {"form": PeriodForm(), "figures": figures, "chart": decision_chart(figures), "start": START, "end": END},
    )
    assert "Referrals made from 1 Jan 2026 to 31 Mar 2026" in html
    assert "<caption>Delay figures by local authority" in html
    assert '<th scope="row">Northshire</th>' in html
    assert '<th scope="col">Working days from referral to decision (median)</th>' in html
    assert "2.5 <span" in html and "<td>10</td>" in html  # median and 90th percentile to decision
    assert "32.5 <span" in html and "<td>45</td>" in html  # to assessment
    assert "50% <span class=\"small text-body-secondary\">(2 of 4)</span>" in html
    assert "<td>1.5</td>" in html  # social workers per referral
    assert "whatever the period chosen" in html
    svg = html.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert 'role="img"' in svg and 'aria-label="Bar chart: working days from referral to decision (median)' in svg
    assert "<title>Working days from referral to decision (median), by local authority</title>" in svg
    assert ">Northshire</text>" in svg and ">2.5</text>" in svg
    assert '<rect x="270" y="10" width="380.0" height="24"' in svg


def test_template_without_referrals_says_so():
    html = render_to_string(
        "referrals/figures.html", {"form": PeriodForm(), "figures": [], "chart": None, "start": START, "end": END}
    )
    assert "No referrals to show for this period." in html
    assert "<svg" not in html


@pytest.mark.django_db
def test_figures_page_is_for_managers(cast, manager_client, key_worker_client, outsider_client):
    from django.urls import reverse

    url = reverse("referrals:figures")
    assert manager_client.get(url).status_code == 200
    assert key_worker_client.get(url).status_code == 404
    assert outsider_client.get(url).status_code == 404
    MilestoneRecordFactory(referral=ReferralFactory(family=cast.family), milestone=Milestone.REFERRAL_MADE,
                           occurred_at=datetime.datetime(2026, 6, 1, 10, tzinfo=datetime.UTC))
    response = manager_client.get(url, {"start": "2026-01-01", "end": "2026-11-30"})
    page = response.content.decode()
    assert "How long children's social care takes to respond" in page
    assert str(cast.family.local_authority) in page
