"""The service report for funders: figures worked out by hand from a small data set, the areas
and teams kept apart, the page, its printable layout and CSV, who may open them, and a query count
that does not grow with the data."""

import csv
import datetime
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from families.models import Contact, Family, Role
from meetings.figures import ActionTally
from meetings.models import MeetingAction
from outcomes.models import CheckIn
from outcomes.report import outcomes_report
from referrals.figures import Period, delay_figures
from referrals.models import Milestone, Referral
from reports.service import ALL_CHOSEN, NONE_RECORDED, csv_rows, median_of_counts, quarters, service_report
from tests.conftest import client_for
from tests.factories import (
    ChildFactory,
    ContactFactory,
    FamilyFactory,
    LocalAuthorityFactory,
    MembershipFactory,
    MilestoneRecordFactory,
    PersonFactory,
    ReferralFactory,
    exploitation_type,
    support_category,
)
from tests.meetings.factories import MeetingActionFactory, MeetingFactory
from tests.outcomes.factories import CheckInFactory

LONDON = ZoneInfo("Europe/London")
START, END = datetime.date(2026, 1, 1), datetime.date(2026, 6, 30)
NOW = datetime.datetime(2026, 7, 1, 9, 0, tzinfo=LONDON)
LATER = CheckIn.Occasion.REVIEW


def london(*args):
    return datetime.datetime(*args, tzinfo=LONDON)


def call(family, when, minutes=20, channel=Contact.Channel.PHONE, support=(), **fields):
    contact = ContactFactory(family=family, occurred_at=when, duration_minutes=minutes, channel=channel, **fields)
    contact.support_given.set([support_category(code) for code in support])
    return contact


def child(family, *types):
    person = ChildFactory(family=family)
    person.exploitation_types.set([exploitation_type(code) for code in types])
    return person


def referral_made(family, authority, made_at, *, decision_at=None):
    referral = ReferralFactory(family=family, local_authority=authority)
    MilestoneRecordFactory(referral=referral, milestone=Milestone.REFERRAL_MADE, occurred_at=made_at)
    if decision_at:
        MilestoneRecordFactory(referral=referral, milestone=Milestone.DECISION, occurred_at=decision_at)
        Referral.objects.filter(pk=referral.pk).update(decision=Referral.Decision.EARLY_HELP)
    return referral


@pytest.fixture
def data(cast):
    """Northshire, in the manager's team:

    - "new": support began 10 February 2026 (record and first call); calls on 10 February (phone,
      30 minutes, listening and information) and 5 April (video, 45 minutes, listening); a child
      with CSE and CCE; a referral made Monday 2 March, decided Wednesday 4 March (2 working days);
      a meeting on 10 March agreeing three actions: done on time, open past its date, dropped.
    - "continuing": record made October 2025, calls in November 2025 and on 1 March 2026 (phone,
      20 minutes, no support recorded); a child with CCE; a referral made 11 May, still waiting.
    - "closed before": closed 15 December 2025; a call in the period would not make it continuing.
    - "quiet": open since 2025 with no call in the period (its child, CSE, is not counted).
    - "struck": open since 2025; its only call in the period was struck out.

    Southshire, in the same team: one new family, one call, one meeting action.
    Northshire in another team: one new family with a call (never counted for this manager).
    """
    team = cast.family.team
    north = LocalAuthorityFactory(name="Northshire")
    south = LocalAuthorityFactory(name="Southshire")
    earlier = london(2025, 10, 1, 12, 0)

    new = FamilyFactory(team=team, local_authority=north, created_at=london(2026, 2, 10, 11, 0))
    call(new, london(2026, 2, 10, 11, 30), 30, support=["listening", "information"])
    call(new, london(2026, 4, 5, 10, 0), 45, Contact.Channel.VIDEO, support=["listening"])
    child(new, "cse", "cce")
    referral_made(new, north, london(2026, 3, 2, 10, 0), decision_at=london(2026, 3, 4, 15, 0))
    meeting = MeetingFactory(family=new, held_at=london(2026, 3, 10, 14, 0))
    MeetingActionFactory(meeting=meeting, due_on=datetime.date(2026, 3, 20), status=MeetingAction.Status.DONE,
                         done_on=datetime.date(2026, 3, 18))
    MeetingActionFactory(meeting=meeting, due_on=datetime.date(2026, 3, 31))
    MeetingActionFactory(meeting=meeting, status=MeetingAction.Status.DROPPED, dropped_reason="No longer needed")
    parent_new = PersonFactory(family=new)
    CheckInFactory(parent=parent_new, asked_on=datetime.date(2026, 2, 10), confidence=2, understanding=None,
                   wellbeing=3)
    CheckInFactory(parent=parent_new, asked_on=datetime.date(2026, 5, 1), confidence=4, understanding=None,
                   wellbeing=3, occasion=LATER)

    continuing = FamilyFactory(team=team, local_authority=north, created_at=earlier)
    call(continuing, london(2025, 11, 3, 10, 0))
    call(continuing, london(2026, 3, 1, 10, 0), 20)
    child(continuing, "cce")
    referral_made(continuing, north, london(2026, 5, 11, 10, 0))
    parent_continuing = PersonFactory(family=continuing)
    CheckInFactory(parent=parent_continuing, asked_on=datetime.date(2025, 11, 3), confidence=4, understanding=None,
                   wellbeing=None)
    CheckInFactory(parent=parent_continuing, asked_on=datetime.date(2026, 3, 1), confidence=3, understanding=None,
                   wellbeing=None, occasion=LATER)
    CheckInFactory(parent=PersonFactory(family=continuing), asked_on=datetime.date(2026, 3, 1), confidence=3,
                   understanding=None, wellbeing=None)

    FamilyFactory(team=team, local_authority=north, created_at=earlier, status=Family.Status.CLOSED,
                  closed_on=datetime.date(2025, 12, 15), closure_reason=Family.ClosureReason.SUPPORT_COMPLETE)
    quiet = FamilyFactory(team=team, local_authority=north, created_at=earlier)
    child(quiet, "cse")
    struck = FamilyFactory(team=team, local_authority=north, created_at=earlier)
    call(struck, london(2026, 2, 1, 10, 0), 60, struck_at=london(2026, 2, 2, 10, 0), struck_by=cast.manager,
         struck_reason="Logged twice")

    south_family = FamilyFactory(team=team, local_authority=south, created_at=london(2026, 1, 20, 9, 0))
    call(south_family, london(2026, 1, 20, 9, 0), 15, support=["advocacy"])
    child(south_family, "cse")
    MeetingActionFactory(meeting=MeetingFactory(family=south_family, held_at=london(2026, 2, 1, 10, 0)))

    other_team = MembershipFactory(role=Role.MANAGER)
    elsewhere = FamilyFactory(team=other_team.team, local_authority=north, created_at=london(2026, 3, 1, 9, 0))
    call(elsewhere, london(2026, 3, 1, 9, 30), 50)
    child(elsewhere, "cce")
    return {"north": north, "south": south, "team": team, "other_manager": other_team.user}


def report_for(data, *authorities, team=None):
    return service_report(local_authority_ids=[a.pk for a in authorities], start=START, end=END, now=NOW,
                          team_ids=[(team or data["team"]).pk])


def area(report, name):
    return next(figures for figures in report.areas if figures.name == name)


# ------------------------------------------------------------------ the figures


def test_quarters_are_calendar_quarters_cut_to_the_period():
    assert quarters(datetime.date(2025, 11, 15), datetime.date(2026, 4, 2)) == [
        Period(datetime.date(2025, 11, 15), datetime.date(2025, 12, 31)),
        Period(datetime.date(2026, 1, 1), datetime.date(2026, 3, 31)),
        Period(datetime.date(2026, 4, 1), datetime.date(2026, 4, 2)),
    ]


def test_the_median_of_counted_values_is_the_middle_one_or_halfway():
    assert median_of_counts({20: 1, 30: 1, 45: 1}) == 30
    assert median_of_counts({2: 1, 4: 1, 6: 1, 30: 1}) == 5
    assert median_of_counts({10: 3, 60: 1}) == 10
    assert median_of_counts({}) is None


@pytest.mark.django_db
def test_families_new_and_continuing(data):
    north = area(report_for(data, data["north"]), "Northshire")
    assert (north.new_families, north.continuing_families, north.families_supported) == (1, 1, 2)


@pytest.mark.django_db
def test_a_family_whose_first_call_came_before_its_record_began_then(data):
    """Support began at the first call when the record was made later (a call logged afterwards)."""
    late_record = FamilyFactory(team=data["team"], local_authority=data["north"], created_at=london(2026, 1, 10))
    call(late_record, london(2025, 12, 20, 10, 0))
    call(late_record, london(2026, 1, 12, 10, 0))
    north = area(report_for(data, data["north"]), "Northshire")
    assert (north.new_families, north.continuing_families) == (1, 2)


@pytest.mark.django_db
def test_calls_their_time_and_channels_leave_struck_calls_out(data):
    calls = area(report_for(data, data["north"]), "Northshire").calls
    assert (calls.count, calls.minutes, calls.median_minutes) == (3, 95, 30)
    assert calls.time_in_words == "1 hour 35 minutes"
    assert [(c.label, c.count, c.minutes) for c in calls.by_channel] == [("Phone", 2, 50), ("Video call", 1, 45)]


@pytest.mark.django_db
def test_support_given_counts_calls_per_category(data):
    north = area(report_for(data, data["north"]), "Northshire")
    assert [(s.label, s.count) for s in north.support] == [
        ("Listening and emotional support", 2), ("Information about exploitation", 1), (NONE_RECORDED, 1),
    ]


@pytest.mark.django_db
def test_exploitation_types_of_the_children_of_families_supported_only(data):
    north = area(report_for(data, data["north"]), "Northshire")
    assert north.children == 2
    assert {(e.label, e.count) for e in north.exploitation} == {
        ("Child sexual exploitation", 1), ("Child criminal exploitation", 2),
    }


@pytest.mark.django_db
def test_referrals_with_one_still_waiting_match_the_delay_figures(data):
    north = area(report_for(data, data["north"]), "Northshire")
    decision = north.to_decision
    assert north.referrals == 2
    assert (decision.counted, decision.reached, decision.still_waiting) == (2, 1, 1)
    assert decision.median.time == 2
    [expected] = delay_figures(local_authority_ids=[data["north"].pk], team_ids=[data["team"].pk], start=START,
                               end=END, now=NOW)
    assert north.to_decision == expected.to_decision


@pytest.mark.django_db
def test_meeting_actions_agreed_and_done(data):
    actions = area(report_for(data, data["north"]), "Northshire").actions
    assert (actions.agreed, actions.done_on_time, actions.done_late, actions.open, actions.dropped) == (3, 1, 0, 1, 1)


@pytest.mark.django_db
def test_outcomes_latest_rating_against_the_first(data):
    north = area(report_for(data, data["north"]), "Northshire")
    outcomes = {o.measure.label: o for o in north.outcomes}
    confidence = outcomes["Confidence to keep their child safe"]
    assert (confidence.improved, confidence.same, confidence.worse, confidence.first_only) == (1, 0, 1, 1)
    assert (confidence.compared, confidence.improved_percent) == (2, 50)
    wellbeing = outcomes["Wellbeing"]
    assert (wellbeing.improved, wellbeing.same, wellbeing.worse, wellbeing.first_only) == (0, 1, 0, 0)
    assert "Understanding of exploitation" not in outcomes


@pytest.mark.django_db
def test_outcomes_follow_the_outcomes_reports_rule(data):
    """The same parents, the same comparison as the outcomes report for one local authority; a second
    rating on the day of the first is not yet a change over time."""
    same_day = PersonFactory(family=FamilyFactory(team=data["team"], local_authority=data["north"]))
    CheckInFactory(parent=same_day, asked_on=datetime.date(2026, 4, 1), confidence=1)
    CheckInFactory(parent=same_day, asked_on=datetime.date(2026, 4, 1), confidence=5, occasion=LATER)
    north = area(report_for(data, data["north"]), "Northshire")
    expected = outcomes_report(team_ids=[data["team"].pk], period=(START, END), now=NOW,
                               local_authority=(data["north"].pk, "Northshire"))
    for figures in expected.measures:
        [ours] = [o for o in north.outcomes if o.measure == figures.measure] or [None]
        if ours is None:
            assert figures.compared == figures.first_only == 0
            continue
        assert (ours.compared, ours.improved, ours.same, ours.worse, ours.first_only) == (
            figures.compared, figures.improved, figures.same, figures.worse, figures.first_only)
    confidence = next(o for o in north.outcomes if o.measure.field == "confidence")
    assert confidence.first_only == 2


@pytest.mark.django_db
def test_the_same_figures_quarter_by_quarter(data):
    north = area(report_for(data, data["north"]), "Northshire")
    first, second = north.over_time
    assert (first.period, second.period) == (Period(START, datetime.date(2026, 3, 31)),
                                             Period(datetime.date(2026, 4, 1), END))
    # The new family of February continues in the second quarter.
    assert (first.new_families, first.continuing_families, second.new_families, second.continuing_families) == (
        1, 1, 0, 1)
    assert (first.calls.count, first.calls.minutes, second.calls.count, second.calls.minutes) == (2, 50, 1, 45)
    assert (first.referrals, second.referrals) == (1, 1)
    assert (first.to_decision.reached, second.to_decision.still_waiting) == (1, 1)
    assert (first.actions.agreed, second.actions.agreed) == (3, 0)
    [first_confidence] = [o for o in first.outcomes if o.measure.field == "confidence"]
    # In the first quarter only the continuing parent's change and the parent rated once.
    assert (first_confidence.improved, first_confidence.worse, first_confidence.first_only) == (0, 1, 2)


@pytest.mark.django_db
def test_areas_are_kept_apart_and_added_up_together(data):
    report = report_for(data, data["north"], data["south"])
    assert [a.name for a in report.areas] == ["Northshire", "Southshire", ALL_CHOSEN]
    south = area(report, "Southshire")
    assert (south.new_families, south.calls.count, south.calls.minutes, south.children, south.referrals) == (
        1, 1, 15, 1, 0)
    assert [(s.label, s.count) for s in south.support] == [("Advocacy with agencies", 1)]
    assert south.actions.agreed == 1
    together = area(report, ALL_CHOSEN)
    assert (together.families_supported, together.calls.count, together.calls.minutes) == (3, 4, 110)
    assert (together.referrals, together.actions.agreed, together.children) == (2, 4, 3)
    assert {(e.label, e.count) for e in together.exploitation} == {
        ("Child sexual exploitation", 2), ("Child criminal exploitation", 2),
    }
    # Southshire alone knows nothing of Northshire.
    [alone] = report_for(data, data["south"]).areas
    assert (alone.families_supported, alone.calls.count) == (1, 1)


@pytest.mark.django_db
def test_only_the_families_of_the_teams_given_count(data):
    [north] = service_report(local_authority_ids=[data["north"].pk], start=START, end=END, now=NOW,
                             team_ids=[data["other_manager"].memberships.get().team_id]).areas
    assert (north.new_families, north.continuing_families, north.calls.count, north.calls.minutes) == (1, 0, 1, 50)
    assert (north.children, north.referrals, north.actions.agreed, north.outcomes) == (1, 0, 0, [])


# ------------------------------------------------------------------ the pages


def page_query(data, *authorities, **extra):
    query = {"start": "2026-01-01", "end": "2026-06-30", "local_authorities": [a.pk for a in authorities]}
    return query | extra


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.django_db
def test_the_page_offers_the_authorities_of_the_teams_families_and_shows_headlines(data, manager_client, frozen):
    form_page = manager_client.get(reverse("reports:service"))
    assert form_page.status_code == 200
    choices = form_page.context["form"].fields["local_authorities"].choices
    offered = [name for _nation, authorities in choices for _pk, name in authorities]
    assert "Northshire" in offered and "Southshire" in offered
    assert form_page.context["report"] is None

    response = manager_client.get(reverse("reports:service"), page_query(data, data["north"]))
    content = response.content.decode()
    assert "2 families supported</strong>: 1 new, 1 continuing" in content
    assert "3 calls</strong>, 1 hour 35 minutes in all" in content
    assert "1 of 2 parents rated it higher than at first (50%, n = 2)" in content
    assert "Northshire, quarter by quarter" in content
    # Counts only: no family's reference on the page.
    assert not any(f.reference in content for f in Family.objects.all())


@pytest.mark.django_db
def test_a_missing_area_or_impossible_period_is_explained_next_to_the_field(data, manager_client):
    response = manager_client.get(reverse("reports:service"), {"start": "2026-01-01", "end": "2025-06-30"})
    assert response.context["report"] is None
    content = response.content.decode()
    assert "Choose at least one local authority." in content
    assert "The end of the period cannot be before its start." in content


@pytest.mark.django_db
def test_the_printable_layout_has_a_section_per_area_with_the_charity_and_period(data, manager_client, frozen):
    response = manager_client.get(reverse("reports:service"),
                                  page_query(data, data["north"], data["south"], print="1"))
    content = response.content.decode()
    assert content.count('<section class="service-area"') == 3
    assert content.count(f"{settings.CHARITY_NAME} · Service report · 1 January 2026 to 30 June 2026") == 3
    assert "How these figures are worked out" in content
    assert "Show the report" not in content  # the form is not printed


@pytest.mark.django_db
def test_the_csv_in_long_form(data, manager_client, frozen):
    response = manager_client.get(reverse("reports:service_export"), page_query(data, data["north"], data["south"]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="service-report-2026-01-01-to-2026-06-30.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["Area", "From", "To", "Figure", "Breakdown", "Value"]
    assert ["Northshire", "01/01/2026", "30/06/2026", "Families supported", "New", "1"] in rows
    assert ["Northshire", "01/01/2026", "30/06/2026", "Calls with this support given",
            "Listening and emotional support", "2"] in rows
    assert ["Northshire", "01/01/2026", "30/06/2026", "Referrals still waiting for decision", "", "1"] in rows
    assert ["Northshire", "01/04/2026", "30/06/2026", "Families supported", "Continuing", "1"] in rows
    assert [ALL_CHOSEN, "01/01/2026", "30/06/2026", "Calls", "", "4"] in rows


@pytest.mark.django_db
def test_csv_cells_a_spreadsheet_would_run_are_made_text(data):
    data["north"].name = "=HYPERLINK(1)"
    data["north"].save()
    report = report_for(data, data["north"])
    assert csv_rows(report)[0][0] == "=HYPERLINK(1)"  # the view makes it safe
    client = client_for(data["team"].memberships.get(role=Role.MANAGER).user)
    response = client.get(reverse("reports:service_export"), page_query(data, data["north"]))
    assert "'=HYPERLINK(1)" in response.content.decode()


@pytest.mark.django_db
def test_an_invalid_choice_for_the_csv_goes_back_to_the_form(data, manager_client):
    response = manager_client.get(reverse("reports:service_export"), {"start": "2026-01-01", "end": "2026-06-30"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("reports:service"))


@pytest.mark.django_db
def test_an_authority_where_only_other_teams_families_live_is_not_offered(cast, manager_client):
    westshire = LocalAuthorityFactory(name="Westshire")
    FamilyFactory(team=MembershipFactory(role=Role.MANAGER).team, local_authority=westshire)
    response = manager_client.get(reverse("reports:service"), {"start": "2026-01-01", "end": "2026-06-30",
                                                               "local_authorities": [westshire.pk]})
    assert response.context["report"] is None
    assert "Choose the local authorities from the list." in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["reports:service", "reports:service_export"])
def test_people_who_manage_no_team_are_refused(cast, name, outsider_client, key_worker_client, anonymous_client):
    assert outsider_client.get(reverse(name)).status_code == 404
    assert key_worker_client.get(reverse(name)).status_code == 404
    response = anonymous_client.get(reverse(name))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_administrators_may_open_it(cast, data):
    administrator = MembershipFactory(team=cast.family.team, role=Role.ADMINISTRATOR).user
    response = client_for(administrator).get(reverse("reports:service"), page_query(data, data["north"]))
    assert response.status_code == 200
    assert response.context["report"].areas[0].families_supported == 2


# ------------------------------------------------------------------ queries


def families_with_everything(team, authority, count):
    for n in range(count):
        family = FamilyFactory(team=team, local_authority=authority, created_at=london(2025, 10, 1 + n % 28))
        call(family, london(2026, 1 + n % 6, 1 + n % 28, 10, 0), 10 + n, support=["listening"])
        child(family, "cse")
        referral_made(family, authority, london(2026, 2, 2, 10, 0),
                      decision_at=london(2026, 2, 4, 10, 0) if n % 2 else None)
        MeetingActionFactory(meeting=MeetingFactory(family=family, held_at=london(2026, 3, 2, 10, 0)))
        parent = PersonFactory(family=family)
        CheckInFactory(parent=parent, asked_on=datetime.date(2025, 12, 1))
        CheckInFactory(parent=parent, asked_on=datetime.date(2026, 4, 1), confidence=4, occasion=LATER)


@pytest.mark.django_db
def test_query_count_does_not_grow_with_the_data(cast, manager_client, django_assert_num_queries):
    north, south = LocalAuthorityFactory(name="Northshire"), LocalAuthorityFactory(name="Southshire")
    team = cast.family.team
    query = page_query(None, north, south)

    def page_queries():
        with CaptureQueriesContext(connection) as captured:
            response = manager_client.get(reverse("reports:service"), query)
        assert response.status_code == 200
        return len(captured.captured_queries), response

    families_with_everything(team, north, 1)
    families_with_everything(team, south, 1)
    small, response = page_queries()
    assert response.context["report"].areas[2].families_supported == 2
    families_with_everything(team, north, 10)
    families_with_everything(team, south, 8)
    large, response = page_queries()
    assert response.context["report"].areas[2].families_supported == 20
    assert small == large

    with django_assert_num_queries(10):
        service_report(local_authority_ids=[north.pk, south.pk], start=START, end=END, now=NOW, team_ids=[team.pk])


# ------------------------------------------------------------------ the same figures as the pages they come from


@pytest.mark.django_db
def test_meeting_actions_are_counted_as_the_accountability_figures_count_them(cast):
    """Every kind of action at each meeting (one kind twice): done before, on and after its date, done
    with no date, open past its date, open before it, open with no date, dropped; meetings at both
    ends of each quarter and one after the period. Each quarter's counts, and the period's, are
    meetings.figures' tally of the same actions."""
    north = LocalAuthorityFactory(name="Northshire")
    family = FamilyFactory(team=cast.family.team, local_authority=north)
    today = NOW.date()
    done, still_open = MeetingAction.Status.DONE, MeetingAction.Status.OPEN
    march_20 = datetime.date(2026, 3, 20)
    kinds = [
        {"status": done, "due_on": march_20, "done_on": datetime.date(2026, 3, 18)},
        {"status": done, "due_on": march_20, "done_on": march_20},
        {"status": done, "due_on": march_20, "done_on": datetime.date(2026, 3, 21)},
        {"status": done, "due_on": None, "done_on": datetime.date(2026, 5, 1)},
        {"status": still_open, "due_on": datetime.date(2026, 6, 1)},
        {"status": still_open, "due_on": datetime.date(2026, 8, 1)},
        {"status": still_open, "due_on": None},
        {"status": MeetingAction.Status.DROPPED, "dropped_reason": "No longer needed"},
    ]
    held = [london(2026, 1, 1, 0, 0), london(2026, 3, 31, 23, 30), london(2026, 4, 1, 0, 0),
            london(2026, 6, 30, 23, 59), london(2026, 7, 1, 0, 0)]
    tallies = {key: ActionTally() for key in (0, 1, "period")}
    for n, held_at in enumerate(held):
        meeting = MeetingFactory(family=family, held_at=held_at)
        for kind in kinds[n % 3:] + kinds[:n % 3 + 1]:
            action = MeetingActionFactory(meeting=meeting, **kind)
            quarter = 0 if held_at < london(2026, 4, 1) else 1 if held_at < london(2026, 7, 1) else None
            for key in (quarter, "period") if quarter is not None else ():
                tallies[key].add(status=action.status, due_on=action.due_on, done_on=action.done_on,
                                 held_on=held_at.date(), today=today)
    north_figures = area(service_report(local_authority_ids=[north.pk], start=START, end=END, now=NOW,
                                        team_ids=[cast.family.team.pk]), "Northshire")

    def counted(actions):
        return (actions.agreed, actions.done_on_time, actions.done_late, actions.open, actions.dropped)

    def tallied(tally):
        figures = tally.figures(agency="", local_authority="Northshire")
        return (figures.agreed, figures.done_on_time, figures.done_late, figures.open, figures.dropped)

    assert counted(north_figures.actions) == tallied(tallies["period"]) == (36, 15, 5, 12, 4)
    assert [counted(quarter.actions) for quarter in north_figures.over_time] == [tallied(tallies[0]),
                                                                                tallied(tallies[1])]


@pytest.mark.django_db
def test_each_quarters_delays_are_the_delay_figures_of_that_quarter_and_all_areas_are_added_up(data):
    """Referrals in both quarters and both areas: decided in one and in three working days, waiting,
    and one with an assessment completed. A quarter's figures are the delay figures page's for that
    quarter alone; all the chosen areas together count every referral."""
    north, south, team = data["north"], data["south"], data["team"]
    family = FamilyFactory(team=team, local_authority=north)
    referral_made(family, north, london(2026, 1, 5, 10, 0), decision_at=london(2026, 1, 6, 9, 0))
    referral_made(family, north, london(2026, 4, 7, 10, 0), decision_at=london(2026, 4, 10, 9, 0))
    referral_made(family, north, london(2026, 6, 29, 10, 0))
    assessed = referral_made(family, south, london(2026, 2, 2, 10, 0), decision_at=london(2026, 2, 2, 15, 0))
    Referral.objects.filter(pk=assessed.pk).update(decision=Referral.Decision.CHILD_IN_NEED)
    MilestoneRecordFactory(referral=assessed, milestone=Milestone.ASSESSMENT_COMPLETED,
                           occurred_at=london(2026, 3, 2, 12, 0))
    report = report_for(data, north, south)
    for name, authority in (("Northshire", north), ("Southshire", south)):
        figures = area(report, name)
        for quarter in figures.over_time:
            [expected] = [f for f in delay_figures(local_authority_ids=[authority.pk], team_ids=[team.pk],
                                                   start=quarter.period.start, end=quarter.period.end, now=NOW)
                          if f.local_authority_id == authority.pk] or [None]
            assert quarter.referrals == (expected.referrals if expected else 0)
            assert quarter.to_decision == (expected.to_decision if expected else None)
            assert quarter.to_assessment == (expected.to_assessment if expected else None)
    together = area(report, ALL_CHOSEN)
    decision = together.to_decision
    # The data's two Northshire referrals (decided in 2 working days, waiting) and these four.
    assert (together.referrals, decision.counted, decision.reached, decision.still_waiting) == (6, 6, 4, 2)
    assert (together.to_assessment.counted, together.to_assessment.reached) == (1, 1)
    first, second = together.over_time
    assert (first.referrals, first.to_decision.reached, second.referrals, second.to_decision.still_waiting) == (
        3, 3, 3, 2)


@pytest.mark.django_db
def test_a_share_improved_is_rounded_as_the_outcomes_report_rounds_it(cast, manager_client, frozen):
    """1 of 8 improved is 13%, as "1 of 8 (13%)" on the outcomes report: halves round up."""
    north = LocalAuthorityFactory(name="Northshire")
    family = FamilyFactory(team=cast.family.team, local_authority=north)
    for n in range(8):
        parent = PersonFactory(family=family)
        CheckInFactory(parent=parent, asked_on=datetime.date(2026, 1, 10), confidence=2)
        CheckInFactory(parent=parent, asked_on=datetime.date(2026, 5, 10), confidence=3 if n == 0 else 2,
                       occasion=LATER)
    content = manager_client.get(reverse("reports:service"), page_query(None, north)).content.decode()
    assert "1 of 8 parents rated it higher than at first (13%, n = 8)" in content


@pytest.mark.django_db
def test_the_authority_boxes_are_written_as_the_widget_writes_them(data, manager_client):
    """The page writes each tick box itself (a national list of authorities drawn by the widget's
    templates was slow); the markup is the widget's own, ticked where chosen."""
    response = manager_client.get(reverse("reports:service"), page_query(data, data["north"]))
    content = response.content.decode()
    boxes = [box for _nation, group in response.context["form"].authority_groups() for box in group]
    assert len(boxes) >= 2
    for box in boxes:
        assert str(box.tag()) in content
    assert sum(' checked>' in str(box.tag()) for box in boxes) == 1
