"""The actions agreed at a meeting: the quick list (htmx and plain posts), done, dropped and
chased through the services, their completion, and their clocks through the shared overdue job."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from core.errors import EditConflict, UserFixableError
from deadlines.models import Deadline, OverdueFlag
from deadlines.services import raise_overdue_flags
from families.timeline import timeline_for
from meetings import selectors, services
from meetings.models import ActionChase, Meeting, MeetingAction
from tests.meetings.factories import AgencyFactory, MeetingActionFactory, MeetingFactory, ProfessionalFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
OPEN, DONE, DROPPED = MeetingAction.Status.OPEN, MeetingAction.Status.DONE, MeetingAction.Status.DROPPED


@pytest.fixture
def meeting(cast):
    return MeetingFactory(family=cast.family, recorded_by=cast.key_worker)


def url(meeting, name, action=None):
    args = [meeting.family_id, meeting.pk] + ([action.pk] if action else [])
    return reverse(f"meetings:{name}", args=args)


def days(n):
    return timezone.localdate() + datetime.timedelta(days=n)


def add(cast, meeting, **fields):
    fields.setdefault("description", "Ring the school about the timetable")
    return services.action_add(user=cast.key_worker, meeting=meeting, action=MeetingAction(**fields))


def open_deadlines(action):
    return Deadline.objects.filter(subject_id=action.pk, kind="meeting:action", met_at__isnull=True,
                                   cancelled_at__isnull=True)


# --------------------------------------------------------------- completion


def test_completion_counts_done_of_those_not_dropped_and_the_overdue_ones(cast, meeting):
    MeetingActionFactory(meeting=meeting, status=DONE, due_on=days(-3), done_on=days(-5))
    MeetingActionFactory(meeting=meeting, status=DONE, due_on=days(-9), done_on=days(-2))  # done late
    MeetingActionFactory(meeting=meeting, status=OPEN, due_on=days(-1))  # late and still open
    MeetingActionFactory(meeting=meeting, status=DROPPED, due_on=days(-4), dropped_reason="Family moved school")
    other = MeetingFactory(family=cast.family)
    MeetingActionFactory(meeting=other, status=OPEN, due_on=days(0))  # due today: not overdue yet
    MeetingActionFactory(meeting=other, status=OPEN, due_on=None)
    empty = MeetingFactory(family=cast.family)
    meetings = {m.pk: m for m in selectors.meetings_for_family(cast.family)}
    assert str(meetings[meeting.pk].completion) == "2 of 3 done, 1 overdue"
    assert str(meetings[other.pk].completion) == "0 of 2 done"
    assert str(meetings[empty.pk].completion) == "No actions agreed"


def test_completion_for_a_list_of_meetings_is_one_query(cast, meeting, django_assert_num_queries):
    for _ in range(3):
        extra = MeetingFactory(family=cast.family)
        MeetingActionFactory.create_batch(3, meeting=extra)
    with django_assert_num_queries(1):
        meetings = list(selectors.with_completion(Meeting.objects.filter(family=cast.family)))
        [str(selectors.completion(m)) for m in meetings]


# --------------------------------------------------------------- the quick list


def test_an_action_added_with_htmx_returns_the_list_with_a_new_empty_line_in_focus(cast, meeting, key_worker_client):
    police = AgencyFactory(name="Testshire police", local_authority=cast.family.local_authority)
    officer = ProfessionalFactory(agency=police, full_name="Amir Shah")
    response = key_worker_client.post(url(meeting, "action_add"), {
        "description": "Visit the address on Brook Street", "agency": "testshire police ",
        "owner_name": "amir shah", "due_on": days(7).isoformat(),
    }, **HTMX)
    assert response.status_code == 200
    assert response.templates[0].name == "meetings/_actions.html"
    html = response.content.decode()
    assert 'id="actions-list"' in html and "<html" not in html
    assert "Visit the address on Brook Street" in html
    assert "0 of 1 done" in html
    # The new line is empty, and has the focus for the next action.
    add_form = response.context["add_form"]
    assert not add_form.is_bound
    assert 'name="description"' in html and "autofocus" in html
    action = MeetingAction.objects.get()
    assert (action.agency, action.agency_name, action.professional, action.position) == (police, "", officer, 1)
    assert open_deadlines(action).get().due_at.date() >= days(7)


def test_an_action_added_without_javascript_redirects_back_to_the_next_line(cast, meeting, key_worker_client):
    response = key_worker_client.post(url(meeting, "action_add"), {
        "description": "Send Mum the minutes", "agency": "Children's social care (not listed)", "owner_name": "",
    })
    assert response.status_code == 302
    assert response["Location"] == meeting.get_absolute_url() + "?adding=1#add-action"
    action = MeetingAction.objects.get()
    assert (action.agency, action.agency_name, action.due_on) == (None, "Children's social care (not listed)", None)
    assert not open_deadlines(action).exists()  # no date, no clock
    page = key_worker_client.get(response["Location"])
    assert "Send Mum the minutes" in page.content.decode()
    assert page.context["add_form"].fields["description"].widget.attrs.get("autofocus")


def test_a_line_without_what_was_agreed_comes_back_with_what_was_typed(cast, meeting, key_worker_client):
    for headers in (HTMX, {}):
        response = key_worker_client.post(url(meeting, "action_add"), {
            "description": "", "agency": "Youth offending team", "owner_name": "Dev",
        }, **headers)
        assert response.status_code == 200
        form = response.context["add_form"]
        assert "description" in form.errors
        assert 'value="Youth offending team"' in response.content.decode()
    assert not MeetingAction.objects.exists()


def test_actions_are_listed_in_the_order_they_were_added(cast, meeting):
    first, second = add(cast, meeting, description="First"), add(cast, meeting, description="Second")
    assert [a.description for a in selectors.actions_for(meeting)] == ["First", "Second"]
    assert (first.position, second.position) == (1, 2)


# --------------------------------------------------------------- done, dropped, chased


def test_marking_done_meets_the_clock_and_dropping_cancels_it(cast, meeting):
    done = add(cast, meeting, due_on=days(5))
    dropped = add(cast, meeting, due_on=days(5))
    services.action_mark_done(user=cast.key_worker, action=done, done_on=days(0), evidence="Email from school",
                              expected_version=1)
    services.action_drop(user=cast.key_worker, action=dropped, reason="No longer needed", expected_version=1)
    done_clock = Deadline.objects.get(subject_id=done.pk, kind="meeting:action")
    dropped_clock = Deadline.objects.get(subject_id=dropped.pk, kind="meeting:action")
    assert done_clock.met_at is not None and done_clock.cancelled_at is None
    assert dropped_clock.cancelled_at is not None and dropped_clock.met_at is None
    # Opened again, its clock runs again.
    services.action_reopen(user=cast.key_worker, action=dropped, expected_version=2)
    assert open_deadlines(dropped).exists()


def test_a_change_on_an_old_version_is_refused(cast, meeting):
    action = add(cast, meeting, due_on=days(5))
    services.action_chase(user=cast.key_worker, action=MeetingAction.objects.get(pk=action.pk),
                          chased_on=days(0), how="Rang the office", expected_version=1)
    with pytest.raises(EditConflict):
        services.action_mark_done(user=cast.key_worker, action=MeetingAction.objects.get(pk=action.pk),
                                  done_on=days(0), expected_version=1)
    action.refresh_from_db()
    assert action.status == OPEN
    with pytest.raises(UserFixableError, match="Say why"):
        services.action_drop(user=cast.key_worker, action=action, reason="  ", expected_version=action.version)


def test_a_drop_without_a_reason_is_refused_next_to_the_field(cast, meeting, key_worker_client):
    action = add(cast, meeting)
    for headers in (HTMX, {}):
        response = key_worker_client.post(url(meeting, "action_drop", action), {
            "dropped_reason": "   ", "version": 1,
        }, **headers)
        assert response.status_code == 200
        row = next(row for row in response.context["rows"] if row.action.pk == action.pk)
        assert row.open_form == "drop"
        assert row.drop_form.errors["dropped_reason"] == ["Say why the action was dropped."]
        html = response.content.decode()
        # Shown with the field it is about (crispy's error id names the field's id).
        assert f'id="error_1_id_action_{action.pk}_drop_dropped_reason"' in html
    action.refresh_from_db()
    assert action.status == OPEN


def test_a_refused_change_keeps_what_was_typed(cast, meeting, key_worker_client):
    action = add(cast, meeting)
    # Chased by a colleague meanwhile: the drop typed on the old page is refused, the reason kept.
    services.action_chase(user=cast.teammate, action=action, chased_on=days(0), expected_version=1)
    response = key_worker_client.post(url(meeting, "action_drop", action), {
        "dropped_reason": "The family asked for it to stop", "version": 1,
    }, **HTMX)
    html = response.content.decode()
    assert "Someone else changed this action" in html
    assert "The family asked for it to stop" in html
    assert 'name="version" value="2"' in html  # the version as it is now, ready to try again
    # Done on a day still to come: refused next to the date, the evidence kept.
    response = key_worker_client.post(url(meeting, "action_done", action), {
        "done_on": days(3).isoformat(), "evidence": "Letter from the school", "version": 2,
    })
    assert response.status_code == 200
    row = next(row for row in response.context["rows"] if row.action.pk == action.pk)
    assert "done_on" in row.done_form.errors
    assert 'value="Letter from the school"' in response.content.decode()
    action.refresh_from_db()
    assert action.status == OPEN


def test_done_dropped_and_chased_through_the_pages(cast, meeting, key_worker_client):
    done, dropped, chased = (add(cast, meeting, description=name) for name in ("Done", "Dropped", "Chased"))
    response = key_worker_client.post(url(meeting, "action_done", done), {
        "done_on": days(0).isoformat(), "evidence": "Seen the letter", "version": 1,
    }, **HTMX)
    assert "1 of 3 done" in response.content.decode()
    response = key_worker_client.post(url(meeting, "action_drop", dropped), {
        "dropped_reason": "The school did it already", "version": 1,
    })
    assert response.status_code == 302
    response = key_worker_client.post(url(meeting, "action_chase", chased), {
        "chased_on": days(0).isoformat(), "how": "Rang the duty desk", "version": 1,
    }, **HTMX)
    assert "1 of 2 done" in response.content.decode()
    assert "Rang the duty desk" in response.content.decode()
    assert ActionChase.objects.get().chased_by == cast.key_worker
    statuses = dict(MeetingAction.objects.values_list("description", "status"))
    assert statuses == {"Done": DONE, "Dropped": DROPPED, "Chased": OPEN}


# --------------------------------------------------------------- the shared overdue job


def test_an_overdue_action_is_flagged_once_through_the_shared_job(cast, meeting):
    late = add(cast, meeting, description="Share the risk assessment", agency_name="Police", due_on=days(-1))
    add(cast, meeting, description="Not due yet", due_on=days(3))
    add(cast, meeting, description="No date")
    assert raise_overdue_flags().flagged == 1
    assert raise_overdue_flags(now=timezone.now() + datetime.timedelta(minutes=5)).flagged == 0
    flag = OverdueFlag.objects.get()
    assert (flag.deadline.subject_id, flag.deadline.kind) == (late.pk, "meeting:action")
    assert flag.deadline.label == "Police: Share the risk assessment"
    assert flag.deadline.family == cast.family
    # Done, it is resolved, and the job does not raise it again.
    services.action_mark_done(user=cast.key_worker, action=late, done_on=days(0), expected_version=1)
    flag.refresh_from_db()
    assert flag.resolved_at is not None
    assert raise_overdue_flags(now=timezone.now() + datetime.timedelta(minutes=10)).flagged == 0


def test_the_kind_is_registered_with_a_link_to_the_action(cast, meeting):
    from deadlines import kinds

    action = add(cast, meeting, due_on=days(-1))
    kind = kinds.get("meeting:action")
    assert (kind.label, kind.group) == ("Action agreed at a meeting", "Meetings")
    deadline = Deadline.objects.get(subject_id=action.pk)
    assert kinds.links_for([deadline]) == {deadline.pk: meeting.get_absolute_url() + f"#action-{action.pk}"}


@pytest.mark.django_db
def test_a_dropped_action_keeps_its_day_and_reason_on_the_family_timeline(cast):
    meeting = services.meeting_record(user=cast.key_worker, meeting=Meeting(
        family=cast.family, kind=Meeting.Kind.MACE, held_at=timezone.now() - datetime.timedelta(days=3)))
    action = services.action_add(user=cast.key_worker, meeting=meeting,
                                 action=MeetingAction(description="Refer to the mentoring scheme"))
    services.action_drop(user=cast.key_worker, action=action, reason="The family chose another scheme",
                         expected_version=action.version)
    action.refresh_from_db()
    assert action.dropped_on == timezone.localdate()
    [entry] = [e for e in timeline_for(cast.family, cast.key_worker).entries if e.title.startswith("Action dropped")]
    assert entry.title == "Action dropped: Refer to the mentoring scheme"
    assert "Why: The family chose another scheme" in entry.detail
