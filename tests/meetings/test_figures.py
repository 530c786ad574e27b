"""Accountability figures: actions agreed at meetings, per agency and per local authority, computed
on small hand-made sets whose outcomes are known; the page, its CSV, and who may see them."""

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

from agencies.models import Agency
from families.models import Role
from meetings.figures import (
    NOT_RECORDED,
    ActionFigures,
    MeetingPeriodForm,
    accountability_figures,
    agency_key,
    outcome_chart,
)
from meetings.models import Meeting, MeetingAction
from tests.conftest import client_for
from tests.factories import FamilyFactory, LocalAuthorityFactory, MembershipFactory, UserFactory

LONDON = ZoneInfo("Europe/London")
TODAY = datetime.date(2026, 6, 1)
START, END = datetime.date(2026, 1, 1), datetime.date(2026, 3, 31)
OPEN, DONE, DROPPED = MeetingAction.Status.OPEN, MeetingAction.Status.DONE, MeetingAction.Status.DROPPED


def london(*args):
    return datetime.datetime(*args, tzinfo=LONDON)


def day(month, day_of_month):
    return datetime.date(2026, month, day_of_month)


def meeting(family, held_at, *, recorded_by=None):
    return Meeting.objects.create(
        family=family, kind=Meeting.Kind.CORE_GROUP, held_at=held_at, recorded_by=recorded_by or UserFactory(),
    )


def action(at, *, agency=None, agency_name="", due_on=None, status=OPEN, done_on=None):
    return MeetingAction.objects.create(
        meeting=at, description="Share the safety plan with the school", agency=agency, agency_name=agency_name,
        due_on=due_on, status=status, done_on=done_on,
        dropped_reason="No longer needed" if status == DROPPED else "",
    )


def figures_for(team_ids, start=START, end=END, today=TODAY):
    return accountability_figures(team_ids=team_ids, start=start, end=end, today=today)


def row(rows, agency, authority=None):
    [found] = [r for r in rows if r.agency == agency and (authority is None or r.local_authority == authority)]
    return found


@pytest.fixture
def data(cast):
    """Northshire's children's services (in the directory) agreed seven actions at a meeting on
    Monday 2 February 2026: two done on time (one on its very date, one with no date), one done a
    day late, one dropped, and three still open on 1 June (one past its date, one due that day,
    one with no date), 119 days after the meeting. The police, typed in three ways, agreed two at
    a meeting on 2 March, both still open and past their date (91 days). One action of 2 March has
    no agency. A national helpline (in the directory, with no authority) agreed one, done."""
    team = cast.family.team
    north = LocalAuthorityFactory(name="Northshire")
    family = FamilyFactory(team=team, local_authority=north)
    services = Agency.objects.create(name="Northshire Children's Services", kind=Agency.Kind.CSC,
                                     local_authority=north)
    helpline = Agency.objects.create(name="Parents' Helpline", kind=Agency.Kind.VOLUNTARY)
    february = meeting(family, london(2026, 2, 2, 10, 0))
    action(february, agency=services, due_on=day(2, 16), status=DONE, done_on=day(2, 16))
    action(february, agency=services, status=DONE, done_on=day(4, 1))
    action(february, agency=services, due_on=day(2, 16), status=DONE, done_on=day(2, 17))
    action(february, agency=services, due_on=day(2, 16), status=DROPPED)
    action(february, agency=services, due_on=day(5, 31))
    action(february, agency=services, due_on=TODAY)
    action(february, agency=services)
    march = meeting(family, london(2026, 3, 2, 10, 0))
    action(march, agency_name="West Police ", due_on=day(3, 9))
    action(march, agency_name="west  police", due_on=day(3, 16))
    action(march, agency_name="  ", due_on=day(3, 16), status=DONE, done_on=day(3, 20))
    action(march, agency=helpline, due_on=day(3, 16), status=DONE, done_on=day(3, 10))
    return {"team": team, "north": north, "family": family, "services": services}


def test_agency_names_typed_in_are_grouped_without_spaces_or_capitals():
    assert agency_key("  West   Police ") == agency_key("west police") == "west police"


@pytest.mark.django_db
def test_done_on_time_late_open_and_dropped_per_agency(data):
    result = figures_for([data["team"].pk])
    services = row(result.by_agency, "Northshire Children's Services")
    assert services.local_authority == "Northshire"
    assert (services.agreed, services.done_on_time, services.done_late, services.dropped) == (7, 2, 1, 1)
    assert (services.open, services.open_past_date, services.open_without_date) == (3, 1, 1)
    # Of the 4 whose outcome is known (3 done, 1 open past its date), 2 were on time.
    assert (services.done_on_time, services.outcome_known, services.share_on_time_percent) == (2, 4, 50)


@pytest.mark.django_db
def test_open_actions_age_from_the_meeting_to_today(data):
    result = figures_for([data["team"].pk])
    services = row(result.by_agency, "Northshire Children's Services")
    assert (services.median_days_open, services.longest_days_open) == (119, 119)
    police = row(result.by_agency, "West Police")
    assert (police.agreed, police.open, police.open_past_date, police.median_days_open) == (2, 2, 2, 91)
    assert (police.outcome_known, police.share_on_time) == (2, 0)
    # Each of the authority's open actions: three at 119 days and two at 91.
    [north] = result.by_local_authority
    assert (north.open, north.median_days_open, north.longest_days_open) == (5, 119, 119)
    assert figures_for([data["team"].pk], today=day(3, 4)).by_local_authority[0].median_days_open == 30


@pytest.mark.django_db
def test_median_days_open_of_an_even_number_is_halfway(data):
    result = figures_for([data["team"].pk], start=day(3, 1))
    [north] = result.by_local_authority
    assert (north.open, north.median_days_open) == (2, 91)
    later = meeting(data["family"], london(2026, 3, 30, 9, 0))
    action(later, agency_name="School")
    action(later, agency_name="School")
    [north] = figures_for([data["team"].pk], start=day(3, 1)).by_local_authority
    assert (north.open, north.median_days_open, north.longest_days_open) == (4, 77, 91)  # 63, 63, 91 and 91 days


@pytest.mark.django_db
def test_unrecorded_agencies_and_national_ones_fall_back_to_the_family(data):
    result = figures_for([data["team"].pk])
    missing = row(result.by_agency, NOT_RECORDED)
    assert (missing.local_authority, missing.agreed, missing.done_late) == ("Northshire", 1, 1)
    helpline = row(result.by_agency, "Parents' Helpline")
    assert (helpline.local_authority, helpline.done_on_time, helpline.share_on_time_percent) == ("Northshire", 1, 100)
    assert result.by_agency[-1].agency == NOT_RECORDED  # a gap in the records, shown last


@pytest.mark.django_db
def test_a_linked_agency_counts_in_its_own_authority_not_the_familys(data):
    south = LocalAuthorityFactory(name="Southshire")
    southern_police = Agency.objects.create(name="West Police", kind=Agency.Kind.POLICE, local_authority=south)
    action(meeting(data["family"], london(2026, 3, 3, 10, 0)), agency=southern_police, due_on=TODAY)
    result = figures_for([data["team"].pk])
    assert [(r.local_authority, r.agreed) for r in result.by_local_authority] == [("Northshire", 11), ("Southshire", 1)]
    assert row(result.by_agency, "West Police", "Southshire").agreed == 1
    assert row(result.by_agency, "West Police", "Northshire").agreed == 2  # typed in, the family's authority
    assert result.total.agreed == 12
    assert result.total.local_authority == "All local authorities"


@pytest.mark.django_db
def test_the_agency_rows_of_an_authority_add_up_to_its_row(data):
    result = figures_for([data["team"].pk])
    [north] = result.by_local_authority
    for name in ("agreed", "done_on_time", "done_late", "open", "open_past_date", "open_without_date", "dropped"):
        assert sum(getattr(r, name) for r in result.by_agency) == getattr(north, name) == getattr(result.total, name)
    assert (north.agreed, north.done_on_time, north.done_late, north.open, north.dropped) == (11, 3, 2, 5, 1)
    assert (north.outcome_known, north.share_on_time_percent) == (8, 38)  # 3 of 8


@pytest.mark.django_db
def test_a_typed_in_agency_is_shown_as_most_often_written(data):
    action(Meeting.objects.get(held_at=london(2026, 3, 2, 10, 0)), agency_name="WEST POLICE")
    action(Meeting.objects.get(held_at=london(2026, 3, 2, 10, 0)), agency_name="WEST POLICE")
    result = figures_for([data["team"].pk])
    assert row(result.by_agency, "WEST POLICE").agreed == 4


@pytest.mark.django_db
def test_both_ends_of_the_period_are_included_in_london_time(cast):
    authority = LocalAuthorityFactory(name="Edgeton")
    family = FamilyFactory(team=cast.family.team, local_authority=authority)
    for held_at in (
        london(2026, 1, 1, 0, 0),  # the first instant of the first day
        london(2026, 3, 31, 23, 30),  # British Summer Time: 22:30 UTC on the last day
        london(2025, 12, 31, 23, 59),
        london(2026, 4, 1, 0, 30),  # 23:30 UTC on 31 March, but 1 April in London
    ):
        action(meeting(family, held_at), agency_name="School")
    assert figures_for([cast.family.team_id]).total.agreed == 2


@pytest.mark.django_db
def test_another_teams_families_are_not_counted(data):
    other_team_family = FamilyFactory(local_authority=data["north"])
    action(meeting(other_team_family, london(2026, 2, 2, 10, 0)), agency=data["services"], due_on=day(2, 3))
    result = figures_for([data["team"].pk])
    assert row(result.by_agency, "Northshire Children's Services").agreed == 7
    assert result.total.agreed == 11
    everyone = figures_for([data["team"].pk, other_team_family.team_id])
    assert row(everyone.by_agency, "Northshire Children's Services").agreed == 8


@pytest.mark.django_db
def test_no_actions_no_figures(cast):
    result = figures_for([cast.family.team_id])
    assert (result.by_agency, result.by_local_authority, result.total.agreed) == ([], [], 0)
    assert result.total.share_on_time is None and result.total.median_days_open is None
    assert outcome_chart([]) is None


@pytest.mark.django_db
def test_one_query_however_many_actions(cast, django_assert_num_queries):
    family = FamilyFactory(team=cast.family.team)
    at = meeting(family, london(2026, 2, 2, 10, 0))
    for n in range(5):
        action(at, agency_name=f"Agency {n}", due_on=day(3, 1), status=DONE, done_on=day(3, n + 1))
    with django_assert_num_queries(1):
        assert figures_for([cast.family.team_id]).total.agreed == 5
    for n in range(5, 50):
        agency = Agency.objects.create(name=f"Agency {n}", kind=Agency.Kind.OTHER,
                                       local_authority=LocalAuthorityFactory(name=f"Shire {n}"))
        action(meeting(family, london(2026, 2, 2, 10, 0)), agency=agency, due_on=day(3, 1))
    with django_assert_num_queries(1):
        result = figures_for([cast.family.team_id])
    assert (result.total.agreed, len(result.by_agency)) == (50, 50)


def test_chart_bars_are_as_long_as_the_actions_agreed_and_split_by_outcome():
    figures = [
        ActionFigures(agency="Police", local_authority="Northshire", agreed=4, done_on_time=1, done_late=1,
                      open=2, open_past_date=1),
        ActionFigures(agency="School", local_authority="Northshire", agreed=2, dropped=2),
    ]
    chart = outcome_chart(figures)
    police, school = chart.bars
    assert (police.title, police.total) == ("Police, Northshire", 4)
    assert [(s.label, s.count, s.x, s.width) for s in police.segments] == [
        ("Done on time", 1, 270, 95), ("Done late", 1, 365, 95), ("Open, past its date", 1, 460, 95),
        ("Open, not yet due or no date", 1, 555, 95),
    ]
    assert [(s.label, s.width) for s in school.segments] == [("Dropped", 190)]
    assert school.y > police.y
    assert police.value_x == 270 + 380 + 6


def test_chart_labels_that_are_too_long_are_shortened_but_kept_whole_in_the_title():
    name = "The Very Long Named Multi-Agency Safeguarding Hub"
    [bar] = outcome_chart([ActionFigures(agency=name, local_authority="Northshire", agreed=1, open=1)]).bars
    assert len(bar.label) == 36 and bar.label.endswith("…")
    assert bar.title == f"{name}, Northshire"


def test_period_form_is_about_meetings_and_checks_the_dates():
    form = MeetingPeriodForm({"start": "2026-03-31", "end": "2026-01-01"})
    assert not form.is_valid()
    assert form.errors["end"] == ["The end of the period cannot be before its start."]
    assert MeetingPeriodForm({"start": "2026-01-01", "end": "2026-03-31"}).period() == (START, END)
    assert "Meetings held from" in str(MeetingPeriodForm()["start"].label_tag())


# ------------------------------------------------------------------ the page and its CSV


@pytest.fixture
def today():
    with time_machine.travel(london(2026, 6, 1, 9, 0), tick=False):
        yield


PERIOD = {"start": "2026-01-01", "end": "2026-03-31"}


@pytest.mark.django_db
def test_figures_are_for_managers_and_administrators_only(cast, data, manager_client, key_worker_client,
                                                         outsider_client, anonymous_client):
    administrator = MembershipFactory(team=data["team"], role=Role.ADMINISTRATOR).user
    plo = MembershipFactory(team=data["team"], role=Role.PLO).user
    for name in ("meetings:figures", "meetings:figures_export"):
        url = reverse(name)
        assert manager_client.get(url).status_code == 200
        assert client_for(administrator).get(url).status_code == 200
        assert key_worker_client.get(url).status_code == 404
        assert client_for(plo).get(url).status_code == 404
        assert outsider_client.get(url).status_code == 404
        assert anonymous_client.get(url).status_code == 302
        assert manager_client.post(url).status_code == 405


@pytest.mark.django_db
def test_a_manager_sees_only_the_figures_of_the_teams_they_manage(cast, data, today):
    other = MembershipFactory(role=Role.MANAGER)
    other_family = FamilyFactory(team=other.team, local_authority=LocalAuthorityFactory(name="Faraway"))
    action(meeting(other_family, london(2026, 2, 2, 10, 0)), agency_name="Faraway Police")
    page = client_for(cast.manager).get(reverse("meetings:figures"), PERIOD).content.decode()
    assert "Northshire Children&#x27;s Services" in page
    assert "Faraway" not in page
    theirs = client_for(other.user).get(reverse("meetings:figures"), PERIOD).content.decode()
    assert "Faraway Police" in theirs and "Northshire" not in theirs


@pytest.mark.django_db
def test_page_shows_the_table_the_chart_and_the_definitions(cast, data, manager_client, today):
    page = manager_client.get(reverse("meetings:figures"), PERIOD).content.decode()
    assert "Actions agreed at meetings held from 1 Jan 2026 to 31 Mar 2026" in page
    assert "11 actions agreed: 3 done on time, 2 done late, 5 still open (3 past their date) and 1 dropped." in page
    assert "<caption>Accountability figures by agency" in page
    assert "50% <span class=\"small text-body-secondary\">(2 of 4)</span>" in page  # never a share without its n
    assert "3 <span class=\"small text-body-secondary\">(1 with no date)</span>" in page
    assert "0% <span class=\"small text-body-secondary\">(0 of 2)</span>" in page  # the police
    svg = page.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert 'role="img"' in svg and "The table below gives the same numbers." in svg
    assert (
        "<title>Northshire Children&#x27;s Services, Northshire: 7 agreed: 2 done on time; 1 done late; "
        "1 open past their date; 2 open and not yet due or with no date; 1 dropped</title>"
    ) in svg
    assert ">Northshire Children&#x27;s Services</text>" in svg  # one authority: no need to name it
    assert f'href="{reverse("referrals:figures")}"' in page  # beside the delay figures
    assert f'href="{reverse("meetings:figures_export")}?start=2026-01-01&amp;end=2026-03-31"' in page
    # No family's people on the figures (the signed-in manager's own name is in the menu bar).
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    assert "Okafor" not in main and "Joanne" not in main


@pytest.mark.django_db
def test_page_query_count_is_the_same_for_5_and_50_actions(cast, manager_client, today):
    family = FamilyFactory(team=cast.family.team)
    at = meeting(family, london(2026, 2, 2, 10, 0))

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert manager_client.get(reverse("meetings:figures"), PERIOD).status_code == 200
        return len(captured)

    for n in range(5):
        action(at, agency_name=f"Agency {n}", due_on=day(3, 1))
    with_5 = queries()
    for n in range(5, 50):
        agency = Agency.objects.create(name=f"Agency {n}", kind=Agency.Kind.OTHER,
                                       local_authority=LocalAuthorityFactory(name=f"Shire {n}"))
        action(meeting(family, london(2026, 2, 2, 10, 0)), agency=agency, due_on=day(3, 1), status=DONE,
               done_on=day(2, 20))
    assert queries() == with_5


def read_csv(response):
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.mark.django_db
def test_csv_has_a_row_per_agency_per_authority_and_in_all_with_counts_only(cast, data, manager_client, today):
    south = LocalAuthorityFactory(name="Southshire")
    southern_police = Agency.objects.create(name="West Police", kind=Agency.Kind.POLICE, local_authority=south)
    action(meeting(data["family"], london(2026, 3, 3, 10, 0)), agency=southern_police, due_on=TODAY)
    response = manager_client.get(reverse("meetings:figures_export"), PERIOD)
    filename = "accountability-figures-2026-01-01-to-2026-03-31.csv"
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert response["Cache-Control"] == "no-store"
    header, *rows = read_csv(response)
    assert header[:6] == ["Meetings held from", "to", "Open figures as of", "Agency", "Local authority",
                          "Actions agreed"]
    assert {tuple(r[:3]) for r in rows} == {("01/01/2026", "31/03/2026", "01/06/2026")}
    by_name = {(r[3], r[4]): dict(zip(header[5:], r[5:], strict=True)) for r in rows}
    assert list(by_name) == [
        ("Northshire Children's Services", "Northshire"),
        ("Parents' Helpline", "Northshire"),
        ("West Police", "Northshire"),
        (NOT_RECORDED, "Northshire"),
        ("West Police", "Southshire"),
        ("All agencies", "Northshire"),
        ("All agencies", "Southshire"),
        ("All agencies", "All local authorities"),
    ]
    assert by_name[("Northshire Children's Services", "Northshire")] == {
        "Actions agreed": "7", "Done on time": "2", "Done late": "1", "Still open": "3", "Open past their date": "1",
        "Open with no date": "1", "Median days open": "119", "Longest days open": "119", "Dropped": "1",
        "Done on time (% of done or past their date)": "50", "Done or past their date (n)": "4",
    }
    police = by_name[("West Police", "Southshire")]
    assert (police["Still open"], police["Median days open"], police["Done on time (% of done or past their date)"],
            police["Done or past their date (n)"]) == ("1", "90", "", "0")
    assert by_name[("All agencies", "All local authorities")]["Actions agreed"] == "12"
    content = response.content.decode()
    for personal in ("Okafor", "Joanne", "Tyler", data["family"].reference, cast.family.reference,
                     "Share the safety plan"):
        assert personal not in content


@pytest.mark.django_db
def test_csv_neutralises_typed_in_names_that_look_like_formulas(cast, manager_client, today):
    family = FamilyFactory(team=cast.family.team)
    action(meeting(family, london(2026, 2, 2, 10, 0)), agency_name='=HYPERLINK("http://example.com")')
    _, first, *_ = read_csv(manager_client.get(reverse("meetings:figures_export"), PERIOD))
    assert first[3] == "'=HYPERLINK(\"http://example.com\")"


@pytest.mark.django_db
def test_csv_of_an_impossible_period_goes_back_to_the_page(cast, manager_client):
    response = manager_client.get(reverse("meetings:figures_export"), {"start": "2026-03-31", "end": "2026-01-01"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("meetings:figures") + "?")


def test_template_without_actions_says_so():
    from meetings.figures import AccountabilityFigures

    html = render_to_string("meetings/figures.html", {
        "form": MeetingPeriodForm(), "figures": AccountabilityFigures([], [], ActionFigures("", "")), "chart": None,
        "tables": [], "start": START, "end": END, "today": TODAY,
    })
    assert "No actions were agreed at meetings held in this period." in html
    assert "<svg" not in html and "CSV" not in html


@pytest.mark.django_db
def test_a_team_the_manager_only_works_in_is_not_counted(cast, data, today):
    worked_in = MembershipFactory(user=cast.manager, role=Role.CASEWORKER).team
    action(meeting(FamilyFactory(team=worked_in), london(2026, 2, 2, 10, 0)), agency_name="Elsewhere School")
    page = client_for(cast.manager).get(reverse("meetings:figures"), PERIOD).content.decode()
    assert "Northshire Children&#x27;s Services" in page
    assert "Elsewhere School" not in page
