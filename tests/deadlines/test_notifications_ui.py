"""In-app notifications: the list, "mark all as read", and the badge in the navigation bar."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from deadlines.context_processors import _navigation_state, unread_notifications
from deadlines.models import Notification
from tests.conftest import client_for
from tests.factories import NotificationFactory, UserFactory

NOTIFICATIONS = "/notifications/"


def in_app(recipient, family=None, *, minutes_ago=0, **fields):
    """A digest (``family`` is not stored: a digest names no family)."""
    return NotificationFactory(
        recipient=recipient, channel=Notification.Channel.IN_APP, status=Notification.Status.SENT,
        created_at=timezone.now() - datetime.timedelta(minutes=minutes_ago), **fields,
    )


@pytest.mark.django_db
def test_lists_my_in_app_digests_newest_first(cast, key_worker_client):
    older = in_app(cast.key_worker, minutes_ago=60, read_at=timezone.now())
    newer = in_app(cast.key_worker, event=Notification.Event.ESCALATED, flag_count=12)
    in_app(cast.manager, flag_count=7)
    NotificationFactory(recipient=cast.key_worker, channel=Notification.Channel.EMAIL, flag_count=12)
    response = key_worker_client.get(NOTIFICATIONS)
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [newer, older]
    content = " ".join(response.content.decode().split())
    assert "Very late: 12 deadlines for your families late by twice the time allowed." in content
    assert "Overdue: 1 deadline for your families passed." in content
    assert "7 deadlines" not in content  # someone else's
    # A key worker is sent to My work; no family is named.
    assert f'href="{reverse("home")}">See My work</a>' in content
    assert cast.family.reference not in content
    # Only the unread one is highlighted.
    assert content.count("list-group-item-warning") == 1
    assert content.count(">New</span>") == 1


@pytest.mark.django_db
def test_a_manager_is_sent_to_the_overdue_queue(cast, manager_client):
    in_app(cast.manager)
    content = manager_client.get(NOTIFICATIONS).content.decode()
    assert f'href="{reverse("deadlines:queue")}">See the overdue queue</a>' in content


@pytest.mark.django_db
def test_mark_all_as_read(cast, key_worker_client):
    mine = [in_app(cast.key_worker, minutes_ago=minutes) for minutes in (0, 5)]
    theirs = in_app(cast.manager, cast.family)
    email = NotificationFactory(recipient=cast.key_worker, channel=Notification.Channel.EMAIL)
    response = key_worker_client.post(reverse("deadlines:notifications_mark_read"), follow=True)
    assert "2 notifications marked as read." in response.content.decode()
    for notification in mine:
        notification.refresh_from_db()
        assert notification.read_at is not None
    for notification in (theirs, email):
        notification.refresh_from_db()
        assert notification.read_at is None


@pytest.mark.django_db
def test_mark_all_as_read_needs_post(cast, key_worker_client):
    assert key_worker_client.get(reverse("deadlines:notifications_mark_read")).status_code == 405


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(anonymous_client):
    for method, url in (("get", NOTIFICATIONS), ("post", reverse("deadlines:notifications_mark_read"))):
        response = getattr(anonymous_client, method)(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_badge_shows_the_unread_count(cast, key_worker_client):
    in_app(cast.key_worker, minutes_ago=1)
    in_app(cast.key_worker, minutes_ago=2)
    in_app(cast.key_worker, minutes_ago=3, read_at=timezone.now())
    in_app(cast.manager, cast.family)
    content = key_worker_client.get(reverse("home")).content.decode()
    assert '2<span class="visually-hidden"> unread</span>' in content


@pytest.mark.django_db
def test_no_badge_when_nothing_is_unread(cast, key_worker_client):
    content = key_worker_client.get(reverse("home")).content.decode()
    assert "Notifications</a>" in content
    assert "unread" not in content


@pytest.mark.django_db
def test_navigation_state_is_one_query(cast, django_assert_num_queries):
    in_app(cast.manager, cast.family)
    in_app(cast.key_worker, cast.family)
    with django_assert_num_queries(1):
        manager = _navigation_state(cast.manager)
    assert (manager.unread_notifications, manager.is_manager) == (1, True)
    with django_assert_num_queries(1):
        worker = _navigation_state(cast.key_worker)
    assert (worker.unread_notifications, worker.is_manager) == (1, False)


@pytest.mark.django_db
def test_context_processor_is_lazy_and_free_for_anonymous_visitors(cast, django_assert_num_queries):
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    with django_assert_num_queries(0):
        nav = unread_notifications(request)["nav"]
        assert nav.unread_notifications == 0
        assert not nav.is_manager
    request.user = cast.key_worker
    with django_assert_num_queries(0):
        nav = unread_notifications(request)["nav"]  # nothing runs until a template reads it
    with django_assert_num_queries(1):
        assert nav.unread_notifications == 0
        assert nav.is_manager is False


@pytest.mark.django_db
def test_sign_in_page_runs_no_navigation_query(anonymous_client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = anonymous_client.get(reverse("login"))
    assert response.status_code == 200
    assert "Notifications" not in response.content.decode()


@pytest.mark.django_db
def test_a_user_in_no_team_sees_an_empty_list(db):
    response = client_for(UserFactory()).get(NOTIFICATIONS)
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == []


@pytest.mark.django_db
def test_an_administrators_digests_do_not_say_they_are_all_for_their_families():
    """An administrator hears of promises that are no family's (a data breach's report to the ICO), so
    their digests name no "families", and point to the breach log and the subject access requests."""
    from families.models import Role
    from tests.factories import MembershipFactory

    administrator = MembershipFactory(role=Role.ADMINISTRATOR).user
    in_app(administrator, flag_count=2)
    content = " ".join(client_for(administrator).get(NOTIFICATIONS).content.decode().split())
    assert "Overdue: 2 deadlines passed." in content
    assert "for your families" not in content
    assert f'href="{reverse("data_protection:breaches")}">the breach log</a>' in content
    assert f'href="{reverse("data_protection:subject_access_list")}">the subject access requests</a>' in content
