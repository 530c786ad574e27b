"""The meeting's page, the list of meetings and the family page's section run the same number of
queries however many actions, chases and meetings there are."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from meetings import selectors
from meetings.models import ActionChase, MeetingAction
from tests.meetings.factories import AgencyFactory, MeetingActionFactory, MeetingFactory, ProfessionalFactory

pytestmark = pytest.mark.django_db


def grow(meeting, user, count):
    agency = AgencyFactory()
    professional = ProfessionalFactory(agency=agency)
    for n in range(count):
        status = [MeetingAction.Status.OPEN, MeetingAction.Status.DONE, MeetingAction.Status.DROPPED][n % 3]
        action = MeetingActionFactory(
            meeting=meeting, agency=agency if n % 2 else None, professional=professional if n % 2 else None,
            status=status, done_on=timezone.localdate() if status == "done" else None,
            dropped_reason="Not needed" if status == "dropped" else "",
            due_on=timezone.localdate() - datetime.timedelta(days=n - 5),
        )
        ActionChase.objects.create(action=action, chased_by=user, how=f"Rang {n}")
    meeting.children.add(*meeting.family.people.all())
    meeting.agencies.add(agency)
    meeting.professionals.add(professional)


def count(client, address):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(address)
    assert response.status_code == 200
    return len(queries), [q["sql"] for q in queries.captured_queries]


def test_the_meeting_page_does_not_grow_with_its_actions(cast, key_worker_client):
    small_meeting = MeetingFactory(family=cast.family)
    large_meeting = MeetingFactory(family=cast.family)
    grow(small_meeting, cast.key_worker, 3)
    grow(large_meeting, cast.key_worker, 30)
    small, _ = count(key_worker_client, small_meeting.get_absolute_url())
    large, sql = count(key_worker_client, large_meeting.get_absolute_url())
    assert small == large, "\n".join(sql)
    assert "30 done" not in str(selectors.completion_of(large_meeting))  # 10 of each status


def test_the_list_and_the_section_do_not_grow_with_the_meetings(cast, key_worker_client,
                                                                 django_assert_num_queries):
    address = reverse("meetings:list", args=[cast.family.pk])
    for _ in range(2):
        grow(MeetingFactory(family=cast.family), cast.key_worker, 3)
    small, _ = count(key_worker_client, address)
    for _ in range(10):
        grow(MeetingFactory(family=cast.family), cast.key_worker, 3)
    large, sql = count(key_worker_client, address)
    assert small == large, "\n".join(sql)
    with django_assert_num_queries(2):
        section = selectors.family_section(cast.family)
        [str(meeting.completion) for meeting in section.recent]
    assert (len(section.recent), section.total) == (selectors.RECENT_MEETINGS, 12)
