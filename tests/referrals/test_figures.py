"""Delay figures per local authority, computed on small hand-made data sets whose working-day
gaps are known, and the page, its printable layout and its CSV.

The medians and 90th percentiles are Kaplan–Meier estimates (referrals.survival): referrals still
waiting count for as long as they have waited. Where every referral has had the step they are the
first time by which half (or nine in ten) had it, so a median is always one of the actual delays,
never halfway between two."""

import csv
import datetime
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from referrals.figures import (
    CSV_HEADER,
    AuthorityFigures,
    DelayFiguresForm,
    DelayReport,
    Period,
    PeriodForm,
    change_in_words,
    decision_chart,
    delay_figures,
    delay_from_counts,
    delay_report,
)
from referrals.models import Milestone, Referral
from referrals.survival import TimeToEvent
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


def referral(family, authority, made_at, *, decision_at=None, assessment_at=None, closed_at=None, social_workers=0,
             **fields):
    if closed_at:
        fields["status"] = Referral.Status.CLOSED
    made = ReferralFactory(family=family, local_authority=authority, **fields)
    MilestoneRecordFactory(referral=made, milestone=Milestone.REFERRAL_MADE, occurred_at=made_at)
    if decision_at:
        MilestoneRecordFactory(referral=made, milestone=Milestone.DECISION, occurred_at=decision_at)
    if assessment_at:
        MilestoneRecordFactory(referral=made, milestone=Milestone.ASSESSMENT_COMPLETED, occurred_at=assessment_at)
    if closed_at:
        MilestoneRecordFactory(referral=made, milestone=Milestone.CLOSED, occurred_at=closed_at)
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


@pytest.mark.django_db
def test_medians_and_90th_percentiles_in_working_days(cast, data):
    """Decisions after 1, 2, 3 and 10 working days, all four decided: half have a decision by day 2
    (the median, where the halfway-between-the-middle-two median said 2.5) and 9 in 10 by day 10.
    Assessments after 20 and 45 of the two that had one (the other two were never due one): 20 and 45."""
    [north] = delay_figures(local_authority_ids=None, start=START, end=END, now=NOW, team_ids=[data["team"].pk])
    assert north.name == "Northshire"
    assert north.referrals == 4
    decision = north.to_decision
    assert (decision.counted, decision.reached, decision.still_waiting, decision.closed_without) == (4, 4, 0, 0)
    assert (decision.median, decision.p90) == (TimeToEvent(2, 10), TimeToEvent(10, 10))
    assessment = north.to_assessment
    assert (assessment.counted, assessment.reached, assessment.still_waiting) == (2, 2, 0)
    assert (assessment.median.time, assessment.p90.time) == (20, 45)


def made_on_2_march(family, authority, **fields):
    return referral(family, authority, london(2026, 3, 2, 10, 0), **fields)


# Monday 2 March to Monday 1 June 2026 is 13 weeks, 65 weekdays, less Good Friday (3 April), Easter
# Monday (6 April), and the early May (4 May) and spring (25 May) bank holidays: 61 working days.
WAITED_SINCE_2_MARCH = 61


@pytest.mark.django_db
def test_an_authority_where_nothing_is_decided_gets_more_than_its_longest_wait(cast):
    """Every referral still waiting: no figure was shown before; now "more than 61 working days"."""
    authority = LocalAuthorityFactory(name="Waitham", nation="england")
    family = FamilyFactory(team=cast.family.team, local_authority=authority)
    for _ in range(3):
        made_on_2_march(family, authority)
    referral(family, authority, london(2026, 3, 16, 10, 0))  # 10 working days fewer
    [waitham] = delay_figures(local_authority_ids=None, start=START, end=END, now=NOW, team_ids=[cast.family.team_id])
    decision = waitham.to_decision
    assert (decision.counted, decision.reached, decision.still_waiting) == (4, 0, 4)
    assert decision.median == TimeToEvent(time=None, longest_follow_up=WAITED_SINCE_2_MARCH)
    assert decision.median.in_words() == "more than 61 working days"
    assert decision.p90.in_words() == "more than 61 working days"
    assert waitham.to_assessment is None  # none decided, so none is due an assessment yet


@pytest.mark.django_db
def test_two_quick_decisions_and_three_waiting_is_not_a_median_of_one_and_a_half_days(cast):
    """Decisions after 1 and 2 working days, three referrals waiting 61: the median of the decided was
    1.5; counting those waiting, the chance of still waiting is 4/5 after day 1 and 3/5 after day 2, so
    half have not had a decision by the longest wait."""
    authority = LocalAuthorityFactory(name="Quickfirst", nation="england")
    family = FamilyFactory(team=cast.family.team, local_authority=authority)
    made_on_2_march(family, authority, decision_at=london(2026, 3, 3, 10, 0))
    made_on_2_march(family, authority, decision_at=london(2026, 3, 4, 10, 0))
    for _ in range(3):
        made_on_2_march(family, authority)
    [figure] = delay_figures(local_authority_ids=None, start=START, end=END, now=NOW, team_ids=[cast.family.team_id])
    assert (figure.to_decision.reached, figure.to_decision.still_waiting) == (2, 3)
    assert figure.to_decision.median.in_words() == "more than 61 working days"


@pytest.mark.django_db
def test_a_mixed_authoritys_median_matches_the_hand_computation(cast):
    """Five referrals made on Monday 2 March 2026: decisions after 3, 5 and 10 working days, one closed
    without a decision after 4, one still waiting (61). By hand:
    day 3, 5 followed, 1 decided: 4/5 = 0.8 still waiting;
    day 4, the closed one stops being followed (4 left, no change);
    day 5, 3 followed, 1 decided: 0.8 × 2/3 = 0.533;
    day 10, 2 followed, 1 decided: 0.533 × 1/2 = 0.267, the first at or below a half: the median is 10
    (the median of the three decided alone would be 5); it never reaches 0.1: more than 61."""
    authority = LocalAuthorityFactory(name="Midshire", nation="england")
    family = FamilyFactory(team=cast.family.team, local_authority=authority)
    made_on_2_march(family, authority, decision_at=london(2026, 3, 5, 10, 0))
    made_on_2_march(family, authority, closed_at=london(2026, 3, 6, 10, 0))
    made_on_2_march(family, authority, decision_at=london(2026, 3, 9, 10, 0))
    made_on_2_march(family, authority, decision_at=london(2026, 3, 16, 10, 0))
    made_on_2_march(family, authority)
    [midshire] = delay_figures(local_authority_ids=None, start=START, end=END, now=NOW,
                               team_ids=[cast.family.team_id])
    decision = midshire.to_decision
    assert (decision.counted, decision.reached, decision.still_waiting, decision.closed_without) == (5, 3, 1, 1)
    assert decision.median == TimeToEvent(time=10, longest_follow_up=WAITED_SINCE_2_MARCH)
    assert decision.p90.in_words() == "more than 61 working days"


@pytest.mark.django_db
def test_time_to_assessment_follows_the_referrals_whose_decision_calls_for_one(cast):
    """Child in need and child protection decisions call for an assessment (the 45-working-day rule):
    one completed after 30, one still waiting (61). No further action and undecided ones are not followed."""
    authority = LocalAuthorityFactory(name="Assessham", nation="england")
    family = FamilyFactory(team=cast.family.team, local_authority=authority)
    decided = london(2026, 3, 3, 10, 0)
    made_on_2_march(family, authority, decision_at=decided, decision=Referral.Decision.CHILD_IN_NEED,
                    assessment_at=london(2026, 4, 15, 10, 0))  # 30 working days, Easter's two left out
    made_on_2_march(family, authority, decision_at=decided, decision=Referral.Decision.CHILD_PROTECTION)
    made_on_2_march(family, authority, decision_at=decided, decision=Referral.Decision.NO_FURTHER_ACTION)
    made_on_2_march(family, authority)
    [figure] = delay_figures(local_authority_ids=None, start=START, end=END, now=NOW, team_ids=[cast.family.team_id])
    assessment = figure.to_assessment
    assert (assessment.counted, assessment.reached, assessment.still_waiting) == (2, 1, 1)
    assert assessment.median == TimeToEvent(time=30, longest_follow_up=WAITED_SINCE_2_MARCH)


@pytest.mark.django_db
def test_a_step_recorded_after_now_is_still_waiting_as_of_now(cast):
    authority = LocalAuthorityFactory(name="Lateham", nation="england")
    family = FamilyFactory(team=cast.family.team, local_authority=authority)
    made_on_2_march(family, authority, decision_at=NOW + datetime.timedelta(days=1))
    [figure] = delay_figures(local_authority_ids=None, start=START, end=END, now=NOW, team_ids=[cast.family.team_id])
    assert (figure.to_decision.reached, figure.to_decision.median.longest_follow_up) == (0, WAITED_SINCE_2_MARCH)


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
    assert [(figure.name, figure.to_decision.median.time) for figure in figures] == [
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
    # Its one referral is still waiting, since 2 February: 85 working days to 1 June, less 4 bank holidays.
    assert south.to_decision.median.in_words() == "more than 81 working days"
    assert south.social_workers_per_referral == 0


@pytest.mark.django_db
def test_an_authority_with_only_open_referrals_from_before_the_period_shows_its_share_overdue(cast, data):
    figures = delay_figures(local_authority_ids=None, start=datetime.date(2026, 5, 1), end=datetime.date(2026, 5, 31),
                            now=NOW, team_ids=[data["team"].pk])
    [north] = figures
    assert (north.referrals, north.to_decision, north.to_assessment) == (0, None, None)
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
        referral(family, authority, london(2026, 2, 2, 10, 0), closed_at=london(2026, 2, 5, 10, 0))
        referral(family, authority, london(2026, 2, 2, 10, 0))
    with django_assert_num_queries(3):
        figures = delay_figures(local_authority_ids=None, start=START, end=END, now=NOW, team_ids=[data["team"].pk])
    assert len(figures) == 21
    with django_assert_num_queries(6):  # both periods
        delay_report(team_ids=[data["team"].pk], period=(START, END), now=NOW,
                     compared_with=(datetime.date(2025, 1, 1), datetime.date(2025, 12, 31)))


@pytest.mark.django_db
def test_no_referrals_no_figures(cast):
    assert delay_figures(local_authority_ids=None, start=START, end=END, now=NOW, team_ids=[cast.family.team_id]) == []
    assert decision_chart([]) is None


def test_chart_bars_are_proportional_to_the_median_or_the_longest_wait_where_not_reached():
    figures = [
        AuthorityFigures(local_authority_id=1, name="Fast", referrals=2,
                         to_decision=delay_from_counts([(2, True, False, 2)])),
        AuthorityFigures(local_authority_id=2, name="Slow", referrals=1,
                         to_decision=delay_from_counts([(4, True, False, 1)])),
        AuthorityFigures(local_authority_id=3, name="Undecided", referrals=1,
                         to_decision=delay_from_counts([(8, False, True, 1)])),
        AuthorityFigures(local_authority_id=4, name="Only open ones from before", open_referrals=2),
    ]
    chart = decision_chart(figures)
    assert [(bar.label, bar.value, bar.reached, bar.width) for bar in chart.bars] == [
        ("Fast", "2", True, chart.plot_width / 4),
        ("Slow", "4", True, chart.plot_width / 2),
        ("Undecided", "more than 8", False, chart.plot_width),
    ]
    assert chart.bars[1].y > chart.bars[0].y


def test_period_form_checks_the_order_of_dates():
    form = PeriodForm({"start": "31/03/2026", "end": "01/01/2026"})
    assert not form.is_valid()
    assert form.errors["end"] == ["The end of the period cannot be before its start."]
    assert PeriodForm({"start": "01/01/2026", "end": "31/03/2026"}).period() == (START, END)


@pytest.mark.parametrize(
    ("compare", "field", "message"),
    [
        ({"compare_start": "01/01/2025"}, "compare_end",
         "Enter the end of the period to compare with, or leave both empty."),
        ({"compare_end": "31/03/2025"}, "compare_start",
         "Enter the start of the period to compare with, or leave both empty."),
        ({"compare_start": "31/03/2025", "compare_end": "01/01/2025"}, "compare_end",
         "The end of the period to compare with cannot be before its start."),
        ({"compare_start": "01/01/2015", "compare_end": "31/03/2025"}, "compare_start",
         "Choose a period to compare with of five years or less."),
    ],
)
def test_the_period_to_compare_with_is_both_dates_or_neither(compare, field, message):
    form = DelayFiguresForm({"start": "01/01/2026", "end": "31/03/2026", **compare})
    assert not form.is_valid()
    assert form.errors[field] == [message]
    assert form.compared_with() is None
    assert form.period() != (START, END)  # an impossible choice falls back to the last twelve months


def test_the_period_to_compare_with():
    both = {"start": "01/01/2026", "end": "31/03/2026"}
    assert DelayFiguresForm(both).compared_with() is None
    form = DelayFiguresForm({**both, "compare_start": "01/01/2025", "compare_end": "31/03/2025"})
    assert (form.period(), form.compared_with()) == (
        (START, END), (datetime.date(2025, 1, 1), datetime.date(2025, 3, 31))
    )


@pytest.mark.parametrize(
    ("this", "other", "words"),
    [
        (TimeToEvent(5, 40), TimeToEvent(8, 40), "faster by 3 working days"),
        (TimeToEvent(9, 40), TimeToEvent(8, 40), "slower by 1 working day"),
        (TimeToEvent(8, 40), TimeToEvent(8, 12), "no change"),
        (TimeToEvent(None, 40), TimeToEvent(8, 40), "not comparable"),
        (TimeToEvent(8, 40), TimeToEvent(None, 12), "not comparable"),
        (TimeToEvent(8, 40), None, "not comparable"),
        (None, None, "not comparable"),
    ],
)
def test_change_between_two_medians_in_words(this, other, words):
    assert change_in_words(this, other) == words


def page_for(report, printable=False):
    return render_to_string("referrals/figures.html", {
        "form": DelayFiguresForm(), "report": report, "chart": decision_chart(report.figures), "printable": printable,
    })


@pytest.mark.django_db
def test_template_shows_the_numbers_and_the_chart(cast, data):
    report = delay_report(team_ids=[data["team"].pk], period=(START, END), now=NOW)
    html = page_for(report)
    assert "Referrals made from 1 January 2026 to 31 March 2026" in html
    assert "<caption>Delay figures by local authority" in html
    assert '<th scope="row">Northshire</th>' in html
    assert '<th scope="col">Time to decision (median)</th>' in html
    assert '<th scope="col">Still waiting for a decision</th>' in html
    assert "<td>2 working days</td>" in html and "<td>10 working days</td>" in html  # to decision
    assert "<td>20 working days</td>" in html and "<td>45 working days</td>" in html  # to assessment
    assert "50% <span class=\"small text-body-secondary\">(2 of 4)</span>" in html
    assert "<td>1.5</td>" in html  # social workers per referral
    assert "whatever the period chosen" in html
    assert "Children whose referral is still waiting count for as long as they have waited so far" in html
    svg = html.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert 'role="img"' in svg and 'aria-label="Bar chart: working days from referral to decision (median)' in svg
    assert "<title>Working days from referral to decision (median), by local authority</title>" in svg
    assert ">Northshire</text>" in svg and ">2</text>" in svg
    assert '<rect x="270" y="10" width="380.0" height="24" fill="#0b3d6b"' in svg
    assert f'href="{reverse("referrals:figures_export")}?start=2026-01-01&amp;end=2026-03-31"' in html
    assert "print=1" in html


@pytest.mark.django_db
def test_template_shows_still_waiting_and_more_than(cast):
    authority = LocalAuthorityFactory(name="Waitham", nation="england")
    family = FamilyFactory(team=cast.family.team, local_authority=authority)
    made_on_2_march(family, authority)
    made_on_2_march(family, authority, closed_at=london(2026, 3, 6, 10, 0))
    html = page_for(delay_report(team_ids=[cast.family.team_id], period=(START, END), now=NOW))
    row = html.split('<th scope="row">Waitham</th>', 1)[1].split("</tr>", 1)[0]
    assert "<td>0</td>" in row  # decided
    assert '<td>1 <span class="small text-body-secondary">(1 closed without one)</span></td>' in row
    assert row.count("<td>more than 61 working days</td>") == 2
    assert "None calling for an assessment" in row
    svg = html.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert ">more than 61</text>" in svg and 'fill="#4a78a8"' in svg


def test_template_without_referrals_says_so():
    html = page_for(DelayReport(period=Period(START, END), figures=[], now=NOW))
    assert "No referrals to show for this period." in html
    assert "<svg" not in html


@pytest.fixture
def two_periods(cast, data):
    """Northshire had decisions after 1, 2, 3 and 10 working days in January to March 2026 (median 2);
    in the same months of 2025, after 5 and 6 (median 5). Southshire has referrals in 2026 only."""
    made = london(2025, 1, 13, 10, 0)
    for decided in (london(2025, 1, 20, 10, 0), london(2025, 1, 21, 10, 0)):
        referral(data["family"], data["north"], made, decision_at=decided, status=Referral.Status.CLOSED)
    south = LocalAuthorityFactory(name="Southshire", nation="england")
    referral(FamilyFactory(team=data["team"], local_authority=south), south, london(2026, 3, 2, 10, 0))
    return {"start": "2026-01-01", "end": "2026-03-31", "compare_start": "2025-01-01", "compare_end": "2025-03-31"}


@pytest.mark.django_db
def test_two_periods_compared_side_by_side_in_words(cast, data, two_periods, manager_client):
    with time_machine.travel(NOW, tick=False):
        page = manager_client.get(reverse("referrals:figures"), two_periods).content.decode()
    assert "Compared with referrals made from 1 January 2025 to 31 March 2025" in page
    north = page.split("<caption>Median times", 1)[1].split('<th scope="row">Northshire</th>', 1)[1]
    north = north.split("</tr>", 1)[0]
    assert "<td>2 working days</td>" in north and "<td>5 working days</td>" in north
    assert "<td>Faster by 3 working days</td>" in north
    south = page.split("<caption>Median times", 1)[1].split('<th scope="row">Southshire</th>', 1)[1]
    south = south.split("</tr>", 1)[0]
    assert "<td>No referrals</td>" in south and "<td>Not comparable</td>" in south
    assert "compare_start=2025-01-01&amp;compare_end=2025-03-31" in page  # the CSV and print links keep both


def read_csv(response):
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.mark.django_db
def test_csv_of_the_table_with_the_other_period(cast, data, two_periods, manager_client):
    with time_machine.travel(NOW, tick=False):
        response = manager_client.get(reverse("referrals:figures_export"), two_periods)
    assert response["Content-Disposition"] == 'attachment; filename="delay-figures-2026-01-01-to-2026-03-31.csv"'
    assert "no-store" in response["Cache-Control"]
    header, *rows = read_csv(response)
    assert header == CSV_HEADER
    by_key = {(row[0], row[3]): dict(zip(header, row, strict=True)) for row in rows}
    assert set(by_key) == {("01/01/2026", "Northshire"), ("01/01/2026", "Southshire"), ("01/01/2025", "Northshire")}
    north = by_key[("01/01/2026", "Northshire")]
    assert north["to"] == "31/03/2026" and north["Figures as of"] == "01/06/2026 09:00"
    assert (north["Referrals made"], north["Decided"], north["Still waiting for a decision"]) == ("4", "4", "0")
    assert north["Working days to decision (median)"] == "2"
    assert north["Working days to decision (90th percentile)"] == "10"
    assert (north["Calling for an assessment"], north["Assessment completed"]) == ("2", "2")
    assert north["Working days to assessment completed (median)"] == "20"
    assert (north["Open referrals now"], north["Open referrals overdue now"]) == ("4", "2")
    assert north["Social workers per referral"] == "1.5"
    assert north["Median to decision against the other period"] == "faster by 3 working days"
    south = by_key[("01/01/2026", "Southshire")]
    assert south["Still waiting for a decision"] == "1"
    assert south["Working days to decision (median)"] == "more than 61"
    assert south["Median to decision against the other period"] == "not comparable"
    earlier = by_key[("01/01/2025", "Northshire")]
    assert earlier["to"] == "31/03/2025" and earlier["Working days to decision (median)"] == "5"
    assert earlier["Median to decision against the other period"] == ""


@pytest.mark.django_db
def test_csv_cells_cannot_run_as_formulas(cast, manager_client):
    authority = LocalAuthorityFactory(name="=HYPERLINK(\"http://example.com\")", nation="england")
    made_on_2_march(FamilyFactory(team=cast.family.team, local_authority=authority), authority)
    with time_machine.travel(NOW, tick=False):
        _, row = read_csv(manager_client.get(reverse("referrals:figures_export"), {"start": "2026-01-01",
                                                                                   "end": "2026-03-31"}))
    assert row[3] == "'=HYPERLINK(\"http://example.com\")"


@pytest.mark.django_db
def test_csv_of_an_impossible_period_goes_back_to_the_page_to_say_why(manager_client):
    query = {"start": "2026-03-31", "end": "2026-01-01"}
    response = manager_client.get(reverse("referrals:figures_export"), query)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('referrals:figures')}?start=2026-03-31&end=2026-01-01"


@pytest.mark.django_db
def test_printable_layout_has_title_periods_method_and_table_without_the_form(cast, data, two_periods,
                                                                               manager_client):
    with time_machine.travel(NOW, tick=False):
        page = manager_client.get(reverse("referrals:figures"), {**two_periods, "print": "1"}).content.decode()
    assert "How long children's social care takes to respond" in page
    assert "Referrals made from 1 January 2026 to 31 March 2026" in page
    assert "Compared with referrals made from 1 January 2025 to 31 March 2025" in page
    assert "Figures as of 1 June 2026, 09:00" in page
    assert "count for as long as they have waited so far" in page
    assert '<th scope="row">Northshire</th>' in page
    assert "data-print" in page and 'class="no-print"' in page
    assert 'aria-label="Choose the periods"' not in page  # no form
    assert "<svg" not in page and "Download these figures" not in page
    assert f'href="{reverse("referrals:figures")}?start=2026-01-01&amp;end=2026-03-31&amp;compare_start' in page


@pytest.mark.django_db
def test_page_query_count_is_the_same_for_few_and_many_referrals(cast, data, two_periods, manager_client):
    def queries():
        with CaptureQueriesContext(connection) as captured, time_machine.travel(NOW, tick=False):
            assert manager_client.get(reverse("referrals:figures"), two_periods).status_code == 200
        return len(captured)

    few = queries()
    for n in range(15):
        authority = LocalAuthorityFactory(name=f"More {n}")
        family = FamilyFactory(team=data["team"], local_authority=authority)
        for made in (london(2026, 2, 2, 10, 0), london(2025, 2, 3, 10, 0)):
            referral(family, authority, made, decision_at=made + datetime.timedelta(days=3),
                     decision=Referral.Decision.CHILD_IN_NEED, social_workers=1)
            referral(family, authority, made, closed_at=made + datetime.timedelta(days=1))
            referral(family, authority, made)
    assert queries() == few


@pytest.mark.django_db
def test_figures_page_and_csv_are_for_managers(cast, manager_client, key_worker_client, outsider_client,
                                               anonymous_client):
    for name in ("referrals:figures", "referrals:figures_export"):
        url = reverse(name)
        assert manager_client.get(url).status_code == 200
        assert manager_client.get(url, {"print": "1"}).status_code == 200
        assert key_worker_client.get(url).status_code == 404
        assert outsider_client.get(url).status_code == 404
        assert outsider_client.get(url, {"print": "1"}).status_code == 404
        assert anonymous_client.get(url).status_code == 302
    url = reverse("referrals:figures")
    MilestoneRecordFactory(referral=ReferralFactory(family=cast.family), milestone=Milestone.REFERRAL_MADE,
                           occurred_at=datetime.datetime(2026, 6, 1, 10, tzinfo=datetime.UTC))
    response = manager_client.get(url, {"start": "2026-01-01", "end": "2026-11-30"})
    page = response.content.decode()
    assert "How long children's social care takes to respond" in page
    assert str(cast.family.local_authority) in page


@pytest.mark.django_db
def test_a_period_to_compare_with_that_is_not_a_date_is_said_next_to_the_field(cast, manager_client):
    query = {"start": "2026-01-01", "end": "2026-03-31", "compare_start": "not a date", "compare_end": "2025-03-31"}
    response = manager_client.get(reverse("referrals:figures"), query)
    assert response.status_code == 200
    form = response.context["form"]
    assert "compare_start" in form.errors and form.compared_with() is None
    page = response.content.decode()
    assert form.errors["compare_start"] == [
        "The start of the period to compare with must be a real date, written as day, month and year."
    ]
    assert form.errors["compare_start"][0] in page
    assert "Compared with referrals made from" not in page
