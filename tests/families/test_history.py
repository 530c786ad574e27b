"""A family's history page, for people: fields and values in words, views folded, bounded reads."""

import re
from html import unescape

import pytest
import time_machine
from auditlog.context import set_actor
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core import audit
from families import services
from families.models import Family
from tests.conftest import client_for
from tests.factories import FollowUpFactory, MembershipFactory


def edit_family(family, user, **changes):
    family = Family.objects.get(pk=family.pk)
    for name, value in changes.items():
        setattr(family, name, value)
    with set_actor(user):
        services.family_update(user=user, family=family, expected_version=family.version)


def history(client, family, **params):
    return client.get(reverse("families:history", args=[family.pk]), params)


@pytest.mark.django_db
def test_changes_are_shown_in_words(cast, key_worker_client):
    with time_machine.travel("2026-12-01 21:05 +0000", tick=False):
        edit_family(cast.family, cast.key_worker, key_worker=cast.teammate, preferred_channel=Family.Channel.TEXT,
                    voicemail_ok=True)
        edit_family(cast.family, cast.key_worker, status=Family.Status.CLOSED,
                    closure_reason=Family.ClosureReason.NO_CONTACT)
    page = unescape(history(key_worker_client, cast.family).content.decode())
    assert "Key worker" in page
    assert "key_worker" not in page
    assert f"{cast.key_worker} → {cast.teammate}" in page
    assert "Phone → Text message" in page
    assert "OK to leave a voicemail" in page and "No → Yes" in page
    assert "Unable to make contact" in page
    assert "Tuesday 1 December 2026" in page  # the closing date, in words
    assert "Tuesday 1 December 2026, 21:05" in page
    assert not re.search(r"\w_id\b", page)


@pytest.mark.django_db
def test_times_are_uk_time(cast, key_worker_client):
    with time_machine.travel("2026-07-01 20:05 +0000", tick=False):
        edit_family(cast.family, cast.key_worker, texts_ok=True)
    assert "Wednesday 1 July 2026, 21:05" in unescape(history(key_worker_client, cast.family).content.decode())


@pytest.mark.django_db
def test_a_record_since_deleted_is_a_record(cast, key_worker_client):
    leaver = MembershipFactory(team=cast.family.team).user
    edit_family(cast.family, cast.key_worker, key_worker=leaver)
    edit_family(cast.family, cast.key_worker, key_worker=cast.key_worker)
    leaver.memberships.all().delete()
    leaver.delete()
    page = unescape(history(key_worker_client, cast.family).content.decode())
    assert "a record" in page
    assert str(leaver.pk) + " →" not in page


@pytest.mark.django_db
def test_views_are_folded_into_one_line(cast, key_worker_client):
    for minute in range(14):
        with time_machine.travel(f"2026-12-01 09:{minute:02d} +0000", tick=False):
            key_worker_client.get(cast.family.get_absolute_url())
    with time_machine.travel("2026-12-01 09:20 +0000", tick=False):
        page = unescape(history(key_worker_client, cast.family).content.decode())
    # The history page's own view is the newest entry, then fourteen views of the family page.
    assert f"Viewed 15 times by {cast.key_worker} between Tuesday 1 December 2026, 09:00 and " \
           "Tuesday 1 December 2026, 09:20" in page
    assert page.count("Viewed") == 1


@pytest.mark.django_db
def test_views_by_different_people_stay_apart(cast, key_worker_client):
    teammate_client = client_for(cast.teammate)
    key_worker_client.get(cast.family.get_absolute_url())
    teammate_client.get(cast.family.get_absolute_url())
    key_worker_client.get(cast.family.get_absolute_url())
    rows = audit.family_history_page(cast.family.pk).rows
    views = [row for row in rows if isinstance(row, audit.HistoryViews)]
    assert [row.actor for row in views] == [cast.key_worker, cast.teammate, cast.key_worker]


def make_entries(cast, count):
    for number in range(count):
        edit_family(cast.family, cast.key_worker, safe_contact_times=f"After {number}pm",
                    key_worker=cast.teammate if number % 2 else cast.key_worker)
    FollowUpFactory(family=cast.family, owner=cast.key_worker, created_by=cast.key_worker)


@pytest.mark.django_db
def test_history_page_reads_a_constant_number_of_queries(cast, key_worker_client, django_assert_num_queries):
    make_entries(cast, 5)
    with CaptureQueriesContext(connection) as few:
        history(key_worker_client, cast.family)
    make_entries(cast, 45)
    with django_assert_num_queries(len(few)):
        response = history(key_worker_client, cast.family)
    assert len(response.context["page"].rows) > 50


@pytest.mark.django_db
def test_history_is_read_a_page_at_a_time(cast, key_worker_client):
    make_entries(cast, 3)
    total = audit.history_for_family(cast.family.pk).count()
    first = audit.family_history_page(cast.family.pk, size=2)
    assert first.has_next and len(first.rows) == 2
    last = audit.family_history_page(cast.family.pk, number=(total + 1) // 2, size=2)
    assert not last.has_next and last.rows
    assert not audit.family_history_page(cast.family.pk, number=total, size=2).rows
    response = history(key_worker_client, cast.family, page="nonsense")
    assert response.status_code == 200
