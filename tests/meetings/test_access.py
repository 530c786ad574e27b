"""Anyone outside the family's team gets 404 on every meeting and action address, whatever the
method, and nothing is written; a meeting or action is only found through its own family."""

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from deadlines.models import Deadline
from meetings.models import ActionChase, Meeting, MeetingAction
from tests.meetings.factories import MeetingActionFactory, MeetingFactory

pytestmark = pytest.mark.django_db

FAMILY_URLS = ["list", "create"]
MEETING_URLS = ["detail", "edit", "action_add"]
ACTION_URLS = ["action_done", "action_drop", "action_chase", "action_reopen"]


def every_url(family, meeting, action):
    urls = [reverse(f"meetings:{name}", args=[family.pk]) for name in FAMILY_URLS]
    urls += [reverse(f"meetings:{name}", args=[family.pk, meeting.pk]) for name in MEETING_URLS]
    urls += [reverse(f"meetings:{name}", args=[family.pk, meeting.pk, action.pk]) for name in ACTION_URLS]
    return urls


def snapshot():
    return (
        list(Meeting.objects.values_list("pk", "version", "notes")),
        list(MeetingAction.objects.values_list("pk", "version", "status")),
        ActionChase.objects.count(),
        Deadline.objects.count(),
    )


POST_DATA = {
    "kind": "mace", "held_at": "2026-01-10T10:00", "description": "Outsider's action", "done_on": "2026-01-11",
    "dropped_reason": "Outsider", "chased_on": "2026-01-11", "version": "1", "notes": "Outsider was here",
}


def test_outsiders_get_404_everywhere_and_change_nothing(cast, outsider_client):
    meeting = MeetingFactory(family=cast.family)
    action = MeetingActionFactory(meeting=meeting)
    before = snapshot()
    views_before = LogEntry.objects.filter(action=LogEntry.Action.ACCESS).count()
    urls = every_url(cast.family, meeting, action)
    assert len(urls) == len(FAMILY_URLS + MEETING_URLS + ACTION_URLS)
    for address in urls:
        for method in ("get", "post"):
            for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
                response = getattr(outsider_client, method)(address, POST_DATA if method == "post" else None,
                                                             **headers)
                assert response.status_code == 404, (method, address)
    assert snapshot() == before
    # Nothing was shown: every attempt is in the family's history as refused, one per request.
    reads = LogEntry.objects.filter(action=LogEntry.Action.ACCESS).order_by("pk")[views_before:]
    assert len(reads) == len(urls) * 4
    assert {(entry.additional_data["read"], entry.object_id, entry.actor) for entry in reads} == {
        ("refused", cast.family.pk, cast.outsider)}


def test_signed_out_visitors_are_sent_to_sign_in(cast, anonymous_client):
    meeting = MeetingFactory(family=cast.family)
    action = MeetingActionFactory(meeting=meeting)
    for address in every_url(cast.family, meeting, action):
        assert anonymous_client.post(address, POST_DATA).status_code == 302
    assert MeetingAction.objects.count() == 1


def test_a_meeting_or_action_of_another_family_is_not_found_through_this_one(cast, key_worker_client):
    elsewhere = MeetingFactory()  # another team's family
    theirs = MeetingActionFactory(meeting=elsewhere)
    ours = MeetingFactory(family=cast.family)
    before = snapshot()
    assert key_worker_client.get(reverse("meetings:detail", args=[cast.family.pk, elsewhere.pk])).status_code == 404
    for address in (
        reverse("meetings:edit", args=[cast.family.pk, elsewhere.pk]),
        reverse("meetings:action_add", args=[cast.family.pk, elsewhere.pk]),
        reverse("meetings:action_done", args=[cast.family.pk, ours.pk, theirs.pk]),
        reverse("meetings:action_drop", args=[cast.family.pk, ours.pk, theirs.pk]),
        reverse("meetings:action_chase", args=[cast.family.pk, ours.pk, theirs.pk]),
        reverse("meetings:action_reopen", args=[cast.family.pk, ours.pk, theirs.pk]),
    ):
        assert key_worker_client.post(address, POST_DATA).status_code == 404, address
    assert snapshot() == before


def test_every_page_is_audited_as_a_view_of_the_family(cast, key_worker_client):
    meeting = MeetingFactory(family=cast.family)
    for address in (
        reverse("meetings:list", args=[cast.family.pk]),
        reverse("meetings:create", args=[cast.family.pk]),
        reverse("meetings:detail", args=[cast.family.pk, meeting.pk]),
        reverse("meetings:edit", args=[cast.family.pk, meeting.pk]),
    ):
        before = LogEntry.objects.filter(action=LogEntry.Action.ACCESS, object_id=cast.family.pk).count()
        assert key_worker_client.get(address).status_code == 200
        after = LogEntry.objects.filter(action=LogEntry.Action.ACCESS, object_id=cast.family.pk).count()
        assert after == before + 1, address
