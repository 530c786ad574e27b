"""A child's missing episodes: recording going missing, coming back and the return home interview;
its 72-hour clock through the shared deadline engine; who may see them; the family page."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.errors import UserFixableError
from deadlines.models import Deadline, OverdueFlag
from deadlines.services import raise_overdue_flags
from safety_plans import missing
from safety_plans.deadline_kinds import RETURN_HOME_INTERVIEW
from safety_plans.models import MissingEpisode
from tests.conftest import client_for
from tests.factories import ChildFactory, FamilyFactory, PersonFactory
from tests.typed import shown_as_typed

LONDON = ZoneInfo("Europe/London")
UTC = datetime.UTC


def london(*args):
    return datetime.datetime(*args, tzinfo=LONDON)


# Tuesday 1 December 2026, 22:00 (GMT).
NOW = london(2026, 12, 1, 22, 0)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def page_url(family, child):
    return reverse("safety_plans:missing", args=[family.pk, child.pk])


def episode_url(name, episode):
    return reverse(f"safety_plans:{name}", args=[episode.family_id, episode.child_id, episode.pk])


def record(cast, **fields):
    return missing.missing_episode_record(user=cast.key_worker, family=cast.family, child=cast.child, **fields)


def rhi_deadlines(episode):
    return Deadline.objects.filter(kind=RETURN_HOME_INTERVIEW, subject_id=episode.pk)


# --------------------------------------------------------------------------- recording


@pytest.mark.django_db
def test_recording_that_a_child_went_missing_and_came_back(clock, cast, key_worker_client):
    response = key_worker_client.post(
        reverse("safety_plans:missing_record", args=[cast.family.pk, cast.child.pk]),
        {"went_missing_at": "2026-12-01T21:05", "reported_to_police_at": "2026-12-01T21:40",
         "police_reference": "WM-2026-1234"},
    )
    assert response.status_code == 302
    episode = MissingEpisode.objects.get(child=cast.child)
    # Entered in UK time, stored in UTC (GMT in December: the same wall time).
    assert episode.went_missing_at == datetime.datetime(2026, 12, 1, 21, 5, tzinfo=UTC)
    assert episode.family == cast.family and episode.recorded_by == cast.key_worker
    assert episode.is_missing_now
    assert not rhi_deadlines(episode).exists(), "no interview is due before the child is back"

    clock.move_to(london(2026, 12, 2, 9, 30))
    # Signed in again: the session lapses after 30 idle minutes.
    response = client_for(cast.key_worker).post(
        episode_url("missing_return", episode),
        {"returned_at": "2026-12-02T08:15", "where_found": "Came home by themselves", "version": episode.version},
        follow=True,
    )
    assert response.redirect_chain, response.context["form"].errors
    episode.refresh_from_db()
    assert episode.returned_at == datetime.datetime(2026, 12, 2, 8, 15, tzinfo=UTC)
    assert episode.where_found == "Came home by themselves"
    deadline = rhi_deadlines(episode).get()
    assert deadline.is_open and deadline.allowance == "72 hours"
    assert deadline.due_at == datetime.datetime(2026, 12, 5, 8, 15, tzinfo=UTC)
    assert "The return home interview is due by Saturday 5 December 2026, 08:15." in response.content.decode()


@pytest.mark.django_db
def test_an_episode_recorded_afterwards_with_its_return(cast, clock):
    episode = record(cast, went_missing_at=london(2026, 11, 27, 19, 0), returned_at=london(2026, 11, 28, 11, 0),
                     where_found="A friend's flat")
    assert not episode.is_missing_now
    assert rhi_deadlines(episode).get().due_at == london(2026, 12, 1, 11, 0)


# --------------------------------------------------------------------------- the 72-hour clock


@pytest.mark.django_db
def test_return_home_interview_is_due_72_elapsed_hours_later_across_the_spring_clock_change(cast):
    # British Summer Time starts at 01:00 GMT on Sunday 28 March 2027.
    assert london(2027, 3, 27, 12).utcoffset() == datetime.timedelta(0)
    assert london(2027, 3, 28, 12).utcoffset() == datetime.timedelta(hours=1)
    with time_machine.travel(london(2027, 3, 26, 20, 0), tick=False):
        episode = record(cast, went_missing_at=london(2027, 3, 26, 7, 30), police_reference="WM-27-55")
        missing.missing_episode_record_return(
            user=cast.key_worker, episode=episode, expected_version=episode.version,
            returned_at=london(2027, 3, 26, 18, 0), where_found="Found by police in town",
        )
    deadline = rhi_deadlines(episode).get()
    # Exactly 72 hours: Monday 29 March 2027 at 19:00 BST, 18:00 UTC (not 18:00 BST).
    assert deadline.due_at == datetime.datetime(2027, 3, 29, 18, 0, tzinfo=UTC)
    assert deadline.due_at - episode.returned_at == datetime.timedelta(hours=72)

    with time_machine.travel(london(2027, 3, 29, 10, 0), tick=False):
        page = client_for(cast.key_worker).get(page_url(cast.family, cast.child)).content.decode()
    assert "Due by Monday 29 March 2027, 19:00" in page

    # Exactly due is not late; one second after is, and two runs raise one flag.
    assert raise_overdue_flags(now=deadline.due_at).flagged == 0
    late = deadline.due_at + datetime.timedelta(seconds=1)
    assert raise_overdue_flags(now=late).flagged == 1
    assert raise_overdue_flags(now=late + datetime.timedelta(minutes=15)).flagged == 0
    flag = OverdueFlag.objects.get(deadline=deadline)
    assert flag.resolved_at is None

    with time_machine.travel(london(2027, 3, 30, 9, 0), tick=False):
        manager_client, key_worker_client = client_for(cast.manager), client_for(cast.key_worker)
        queue = manager_client.get("/overdue/", {"kind": RETURN_HOME_INTERVIEW}).content.decode()
        other_kind = manager_client.get("/overdue/", {"kind": "plan:review"}).content.decode()
        page = key_worker_client.get(page_url(cast.family, cast.child)).content.decode()
    link = f'href="{page_url(cast.family, cast.child)}">Return home interview</a>'
    assert link in queue
    assert link not in other_kind
    assert "Overdue: was due by Monday 29 March 2027, 19:00" in page

    with time_machine.travel(london(2027, 3, 30, 11, 0), tick=False):
        episode.refresh_from_db()
        response = client_for(cast.key_worker).post(episode_url("missing_interview", episode), {
            "interview_offered_at": "2027-03-27T10:00", "interview_done_at": "2027-03-30T10:30",
            "interview_by": "Sam Lee, return home interview service", "version": episode.version,
        })
    assert response.status_code == 302
    flag.refresh_from_db()
    deadline.refresh_from_db()
    assert flag.resolved_at is not None
    assert deadline.met_at == london(2027, 3, 30, 10, 30)
    with time_machine.travel(london(2027, 3, 30, 11, 5), tick=False):
        assert link not in client_for(cast.manager).get("/overdue/", {"kind": RETURN_HOME_INTERVIEW}).content.decode()
    assert raise_overdue_flags(now=london(2027, 3, 31, 9, 0)).flagged == 0


@pytest.mark.django_db
def test_a_corrected_return_moves_the_clock(cast, clock):
    episode = record(cast, went_missing_at=london(2026, 11, 30, 18, 0))
    missing.missing_episode_record_return(user=cast.key_worker, episode=episode, expected_version=episode.version,
                                          returned_at=london(2026, 12, 1, 9, 0))
    missing.missing_episode_record_return(user=cast.key_worker, episode=episode, expected_version=episode.version,
                                          returned_at=london(2026, 12, 1, 7, 0))
    assert rhi_deadlines(episode).filter(cancelled_at__isnull=True).get().due_at == london(2026, 12, 4, 7, 0)


# --------------------------------------------------------------------------- validation


@pytest.mark.django_db
def test_coming_back_before_going_missing_is_refused_next_to_the_field(clock, cast, key_worker_client):
    episode = record(cast, went_missing_at=london(2026, 12, 1, 21, 5))
    response = key_worker_client.post(
        episode_url("missing_return", episode),
        {"returned_at": "2026-12-01T20:00", "where_found": "At a friend's", "version": episode.version},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["returned_at"] == [
        "They cannot have come back before they went missing (Tuesday 1 December 2026, 21:05)."
    ]
    html = response.content.decode()
    assert shown_as_typed(html, "2026-12-01T20:00") and "At a friend&#x27;s" in html, "the input is kept"
    episode.refresh_from_db()
    assert episode.returned_at is None and episode.version == 1


@pytest.mark.django_db
def test_a_second_open_episode_is_refused(clock, cast, key_worker_client):
    record(cast, went_missing_at=london(2026, 12, 1, 21, 5))
    response = key_worker_client.post(
        reverse("safety_plans:missing_record", args=[cast.family.pk, cast.child.pk]),
        {"went_missing_at": "2026-12-01T21:45", "police_reference": "WM-2"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["went_missing_at"] == [
        "Tyler is already recorded as missing since Tuesday 1 December 2026, 21:05; record their return first."
    ]
    assert 'value="WM-2"' in response.content.decode()
    assert MissingEpisode.objects.filter(child=cast.child).count() == 1


@pytest.mark.django_db
def test_an_episode_overlapping_an_earlier_one_is_refused(cast, clock):
    record(cast, went_missing_at=london(2026, 11, 20, 18, 0), returned_at=london(2026, 11, 22, 9, 0))
    with pytest.raises(UserFixableError) as refused:
        record(cast, went_missing_at=london(2026, 11, 21, 12, 0))
    assert refused.value.field == "went_missing_at"
    assert "Sunday 22 November 2026, 09:00" in refused.value.message
    # After the return is fine.
    record(cast, went_missing_at=london(2026, 11, 25, 12, 0))


@pytest.mark.django_db
def test_future_times_are_refused_with_a_few_minutes_allowance(clock, cast, key_worker_client):
    url = reverse("safety_plans:missing_record", args=[cast.family.pk, cast.child.pk])
    response = key_worker_client.post(url, {"went_missing_at": "2026-12-01T22:30"})
    assert response.context["form"].errors["went_missing_at"] == ["This cannot be in the future."]
    assert not MissingEpisode.objects.exists()
    # The worker's clock may be a little ahead of ours.
    assert key_worker_client.post(url, {"went_missing_at": "2026-12-01T22:03"}).status_code == 302
    with pytest.raises(UserFixableError):
        record(cast, went_missing_at=london(2026, 12, 2, 9, 0))


@pytest.mark.django_db
def test_the_interview_needs_a_return_and_says_who_did_it(clock, cast, key_worker_client):
    episode = record(cast, went_missing_at=london(2026, 12, 1, 12, 0))
    response = key_worker_client.post(episode_url("missing_interview", episode), {
        "interview_done_at": "2026-12-01T21:00", "interview_by": "Sam", "version": episode.version,
    })
    assert response.context["form"].non_field_errors() == ["Record Tyler's return first."]

    missing.missing_episode_record_return(user=cast.key_worker, episode=episode, expected_version=episode.version,
                                          returned_at=london(2026, 12, 1, 18, 0))
    episode.refresh_from_db()
    response = key_worker_client.post(episode_url("missing_interview", episode), {
        "interview_done_at": "2026-12-01T21:00", "interview_by": "", "version": episode.version,
    })
    assert response.context["form"].errors["interview_by"] == ["Say who did the interview."]
    response = key_worker_client.post(episode_url("missing_interview", episode), {
        "interview_done_at": "2026-12-01T17:00", "interview_by": "Sam", "version": episode.version,
    })
    assert response.context["form"].errors["interview_done_at"] == [
        "This is before they came back (Tuesday 1 December 2026, 18:00)."
    ]
    episode.refresh_from_db()
    assert episode.interview_done_at is None
    assert rhi_deadlines(episode).get().is_open


@pytest.mark.django_db
def test_a_change_saved_by_someone_else_meanwhile_is_not_overwritten(clock, cast, key_worker_client):
    episode = record(cast, went_missing_at=london(2026, 12, 1, 12, 0))
    stale = episode.version
    missing.missing_episode_update(user=cast.teammate, episode=episode, expected_version=stale,
                                   went_missing_at=episode.went_missing_at, reported_to_police_at=None,
                                   police_reference="WM-TEAMMATE", notes="")
    response = key_worker_client.post(episode_url("missing_edit", episode), {
        "went_missing_at": "2026-12-01T12:00", "police_reference": "WM-MINE", "version": stale,
    })
    assert response.status_code == 200
    assert "Someone else saved a change" in response.context["form"].non_field_errors()[0]
    episode.refresh_from_db()
    assert episode.police_reference == "WM-TEAMMATE"


# --------------------------------------------------------------------------- who may see them


@pytest.mark.django_db
def test_outsiders_get_404_from_every_missing_episode_url_and_change_nothing(clock, cast, outsider_client):
    episode = record(cast, went_missing_at=london(2026, 12, 1, 12, 0))
    before = MissingEpisode.objects.values().get(pk=episode.pk)
    child_args = [cast.family.pk, cast.child.pk]
    urls = [
        reverse("safety_plans:missing", args=child_args),
        reverse("safety_plans:missing_record", args=child_args),
        episode_url("missing_edit", episode),
        episode_url("missing_return", episode),
        episode_url("missing_interview", episode),
    ]
    data = {
        "went_missing_at": "2026-12-01T13:00", "returned_at": "2026-12-01T18:00", "interview_done_at":
        "2026-12-01T19:00", "interview_by": "Someone", "police_reference": "X", "version": episode.version,
    }
    for url in urls:
        assert outsider_client.get(url).status_code == 404, url
        assert outsider_client.post(url, data).status_code == 404, url
    assert MissingEpisode.objects.count() == 1
    assert MissingEpisode.objects.values().get(pk=episode.pk) == before
    assert not Deadline.objects.exists()


@pytest.mark.django_db
def test_only_a_child_of_that_family_has_a_missing_page(clock, cast, key_worker_client):
    other_family_child = ChildFactory(family=FamilyFactory(team=cast.family.team))
    assert key_worker_client.get(page_url(cast.family, other_family_child)).status_code == 404
    assert key_worker_client.get(page_url(cast.family, cast.carer)).status_code == 404
    record_url = reverse("safety_plans:missing_record", args=[cast.family.pk, cast.carer.pk])
    assert key_worker_client.post(record_url, {"went_missing_at": "2026-12-01T13:00"}).status_code == 404
    # An episode of another child is not reachable through this child's address.
    sibling = ChildFactory(family=cast.family, first_name="Mia")
    episode = missing.missing_episode_record(user=cast.key_worker, family=cast.family, child=sibling,
                                             went_missing_at=london(2026, 12, 1, 12, 0))
    wrong = reverse("safety_plans:missing_return", args=[cast.family.pk, cast.child.pk, episode.pk])
    assert key_worker_client.get(wrong).status_code == 404
    assert not MissingEpisode.objects.exclude(pk=episode.pk).exists()


@pytest.mark.django_db
def test_viewing_the_page_is_audited(clock, cast, key_worker_client):
    from auditlog.models import LogEntry

    key_worker_client.get(page_url(cast.family, cast.child))
    assert LogEntry.objects.filter(
        action=LogEntry.Action.ACCESS, object_pk=str(cast.family.pk), actor=cast.key_worker
    ).exists()


# --------------------------------------------------------------------------- the pages


@pytest.mark.django_db
def test_the_page_lists_the_last_90_days_first_with_a_count(clock, cast, key_worker_client):
    for day in (5, 20, 40):
        record(cast, went_missing_at=NOW - datetime.timedelta(days=day, hours=3),
               returned_at=NOW - datetime.timedelta(days=day))
    record(cast, went_missing_at=london(2026, 6, 1, 18, 0), returned_at=london(2026, 6, 2, 10, 0))
    html = key_worker_client.get(page_url(cast.family, cast.child)).content.decode()
    assert "Last 90 days: missing 3 times" in html
    assert html.count("<rect") == 1 + 3  # the axis, and a bar for each recent episode
    assert html.index("Last 90 days") < html.index("Monday 1 June 2026, 18:00")
    assert "All episodes (4)" in html


@pytest.mark.django_db
def test_the_page_reads_the_same_number_of_queries_for_2_and_10_episodes(clock, cast, key_worker_client):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert key_worker_client.get(page_url(cast.family, cast.child)).status_code == 200
        return len(captured)

    def add(count, start):
        for n in range(count):
            went = NOW - datetime.timedelta(days=start + 2 * n, hours=5)
            episode = record(cast, went_missing_at=went, returned_at=went + datetime.timedelta(hours=3))
            missing.missing_episode_record_interview(
                user=cast.key_worker, episode=episode, expected_version=episode.version,
                interview_offered_at=None, interview_done_at=went + datetime.timedelta(hours=30), interview_by="Sam",
            )

    add(2, 3)
    small = queries()
    add(8, 10)
    assert queries() == small


@pytest.mark.django_db
def test_the_family_page_shows_a_child_missing_now_before_anything_else(clock, cast, key_worker_client):
    quiet = key_worker_client.get(cast.family.get_absolute_url()).content.decode()
    assert "has been missing since" not in quiet
    assert 'role="alert"' not in quiet
    assert page_url(cast.family, cast.child) in quiet, "each child's missing page is linked"

    episode = record(cast, went_missing_at=london(2026, 12, 1, 21, 5),
                     reported_to_police_at=london(2026, 12, 1, 21, 30), police_reference="WM-2026-1234")
    html = key_worker_client.get(cast.family.get_absolute_url()).content.decode()
    alert = ("Tyler has been missing since Tuesday 1 December 2026, 21:05\n"
             "    (reported to the police: ref WM-2026-1234)")
    assert alert in html
    first = html.index(alert)
    for later in (f"<h1 class=\"h3 mb-1\">{cast.family.reference}", 'id="people-heading"', "Referrals to children",
                  'id="missing-episodes-heading"', 'id="follow-up-heading"'):
        assert first < html.index(later), later
    assert html.index('role="alert"') < html.index(f"<h1 class=\"h3 mb-1\">{cast.family.reference}")
    assert episode_url("missing_return", episode) in html


@pytest.mark.django_db
def test_the_family_page_section_reads_in_one_query(cast, clock):
    for n in range(3):
        child = ChildFactory(family=cast.family, first_name=f"Child{n}")
        missing.missing_episode_record(user=cast.key_worker, family=cast.family, child=child,
                                       went_missing_at=london(2026, 12, 1, 12 + n, 0))
    PersonFactory(family=cast.family)
    with CaptureQueriesContext(connection) as captured:
        now_missing = missing.missing_now(cast.family)
        assert [episode.child.first_name for episode in now_missing] == ["Child0", "Child1", "Child2"]
        summaries = missing.missing_by_child(cast.family)
        assert {summary.child.first_name: summary.recent_count for summary in summaries} == {
            "Tyler": 0, "Child0": 1, "Child1": 1, "Child2": 1,
        }
    assert len(captured) == 2
