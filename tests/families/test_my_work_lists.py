"""My work shows a page of each list, the most pressing first, with how many there are and links to
the pages before and after (keyset pages): the follow-ups due, the referrals waiting on children's
social care, the families key-worked and, for a manager, the team's overdue follow-ups. Only the
families a page names are recorded as read."""

import datetime
import re
from html import unescape

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from families.models import Family
from families.selectors import MY_WORK_PAGE
from referrals.models import Referral
from tests.conftest import client_for
from tests.factories import FamilyFactory, FollowUpFactory, PersonFactory, ReferralFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
HOME = reverse("home")


def link(html: str, words: str) -> str | None:
    match = re.search(r'<a href="([^"]*)">' + re.escape(words) + "</a>", html)
    return unescape(match.group(1)) if match else None


def my_work(client, query=""):
    response = client.get(HOME + query)
    assert response.status_code == 200
    return response, response.content.decode()


def walk(client, rows_of, next_words, previous_words):
    """Every row of a list, page by page forwards; then backwards from the last page."""
    forwards, query, last = [], "", ""
    while query is not None:
        response, html = my_work(client, query)
        forwards += rows_of(response)
        last, query = query, link(html, next_words)
    backwards, query = [], last
    while query is not None:
        response, html = my_work(client, query)
        backwards = rows_of(response) + backwards
        query = link(html, previous_words)
    return forwards, backwards


def key_work_families(cast, count):
    families = []
    for _ in range(count):
        family = FamilyFactory(team=cast.family.team, key_worker=cast.key_worker)
        PersonFactory(family=family)
        families.append(family)
    return families


def listed(actor):
    reads = LogEntry.objects.filter(action=LogEntry.Action.ACCESS, actor=actor, additional_data__read="list")
    return {entry.object_id for entry in reads}


def test_families_i_key_work_show_a_page_how_many_and_the_rest_a_click_away(cast, key_worker_client):
    key_work_families(cast, MY_WORK_PAGE)
    FamilyFactory(team=cast.family.team, key_worker=cast.key_worker, status=Family.Status.CLOSED,
                  closure_reason=Family.ClosureReason.OTHER, closed_on=TODAY)  # closed: not listed
    by_reference = list(Family.objects.filter(key_worker=cast.key_worker, status=Family.Status.OPEN)
                        .order_by("reference", "pk"))
    assert len(by_reference) == MY_WORK_PAGE + 1

    response, html = my_work(key_worker_client)
    first_page = [f.pk for f in response.context["work"].key_work_families]
    assert first_page == [f.pk for f in by_reference[:MY_WORK_PAGE]]
    assert f"Families I key-work ({MY_WORK_PAGE + 1})" in html
    assert f"{MY_WORK_PAGE} at a time, by reference." in html
    assert link(html, "Previous families I key-work") is None
    # Only the families shown are recorded as read.
    assert listed(cast.key_worker) == set(first_page)

    more = link(html, "More families I key-work")
    assert more.endswith("#key-work-heading")
    response, html = my_work(key_worker_client, more)
    assert [f.pk for f in response.context["work"].key_work_families] == [by_reference[-1].pk]
    assert by_reference[-1].reference in html
    assert by_reference[-1].pk in listed(cast.key_worker)
    assert link(html, "More families I key-work") is None
    response, _ = my_work(key_worker_client, link(html, "Previous families I key-work"))
    assert [f.pk for f in response.context["work"].key_work_families] == first_page


def test_follow_ups_due_come_longest_overdue_first_and_pages_are_exact_when_many_share_a_day(
        cast, key_worker_client):
    days = [TODAY - datetime.timedelta(days=d) for d in (0, 3, 3, 1, 3)] * 9  # the 3-day-old ones span pages
    for day in days:
        FollowUpFactory(family=cast.family, owner=cast.key_worker, due_on=day)
    FollowUpFactory(family=cast.family, owner=cast.key_worker, due_on=TODAY + datetime.timedelta(days=1))  # not due
    FollowUpFactory(family=cast.family, owner=cast.teammate, due_on=TODAY)  # someone else's
    expected = sorted(
        cast.key_worker.follow_ups.filter(due_on__lte=TODAY).values_list("due_on", "pk"),
    )
    _, html = my_work(key_worker_client)
    assert f"Follow-ups due today or overdue ({len(days)})" in html
    assert f"{MY_WORK_PAGE} at a time, the longest overdue first." in html

    def rows(response):
        return [(f.due_on, f.pk) for f in response.context["work"].follow_ups_due]

    forwards, backwards = walk(key_worker_client, rows, "More follow-ups due", "Follow-ups overdue longer")
    assert forwards == backwards == expected


def test_referrals_waiting_come_soonest_due_first_and_pages_are_exact_when_many_share_a_moment(
        cast, key_worker_client):
    due = timezone.now().replace(microsecond=0)
    moments = [due + datetime.timedelta(days=d) for d in (2, -1, 2, 5)] * 8
    other_family = FamilyFactory(team=cast.family.team, key_worker=cast.teammate)
    for moment in moments:
        ReferralFactory(family=cast.family, created_by=cast.key_worker, next_due_at=moment)
    ReferralFactory(family=cast.family, created_by=cast.key_worker, next_due_at=due,
                    status=Referral.Status.CLOSED)  # closed: not waiting
    ReferralFactory(family=other_family, created_by=cast.key_worker, next_due_at=due)  # not key-worked
    expected = sorted(Referral.objects.filter(family=cast.family, status=Referral.Status.OPEN)
                      .values_list("next_due_at", "pk"))
    _, html = my_work(key_worker_client)
    assert f"Waiting on children's social care ({len(moments)})" in unescape(html)

    def rows(response):
        return [(row.referral.next_due_at, row.referral.pk) for row in response.context["waiting"]]

    forwards, backwards = walk(key_worker_client, rows, "More referrals waiting", "Referrals overdue longer")
    assert forwards == backwards == expected


def test_a_managers_team_follow_ups_overdue_are_paged_and_counted(cast):
    for n in range(MY_WORK_PAGE + 1):
        FollowUpFactory(family=cast.family, owner=cast.teammate, due_on=TODAY - datetime.timedelta(days=1 + n % 2))
    FollowUpFactory(family=cast.family, owner=cast.teammate, due_on=TODAY)  # due today: not overdue
    manager = client_for(cast.manager)
    expected = sorted(cast.teammate.follow_ups.filter(due_on__lt=TODAY).values_list("due_on", "pk"))
    _, html = my_work(manager)
    assert f"Team follow-ups that are overdue ({MY_WORK_PAGE + 1})" in html

    def rows(response):
        return [(f.due_on, f.pk) for f in response.context["work"].team_follow_ups_overdue]

    forwards, backwards = walk(manager, rows, "More overdue follow-ups", "Follow-ups overdue longer")
    assert forwards == backwards == expected


@pytest.mark.parametrize("value", [
    "tomorrow", "2026-02-30_1", "F-900001_", "_5", "2026-01-01_x", "F-900001_" + "9" * 30,
    "2026-01-01T10:00:00_5", "F-9\x00_1", "x" * 500, "F-900001 _1", "Ｆ-1_3",
])
def test_a_cursor_that_cannot_be_read_is_the_first_page(cast, key_worker_client, value):
    key_work_families(cast, MY_WORK_PAGE)
    for n in range(MY_WORK_PAGE + 1):
        FollowUpFactory(family=cast.family, owner=cast.key_worker, due_on=TODAY - datetime.timedelta(days=n))
        ReferralFactory(family=cast.family, created_by=cast.key_worker,
                        next_due_at=timezone.now() + datetime.timedelta(hours=n))
    first, _ = my_work(key_worker_client)
    for prefix in ("follow_ups", "families", "waiting", "team"):
        for direction in ("after", "before"):
            response = key_worker_client.get(HOME, {f"{prefix}_{direction}": value})
            assert response.status_code == 200
            work, first_work = response.context["work"], first.context["work"]
            assert list(work.key_work_families) == list(first_work.key_work_families)
            assert list(work.follow_ups_due) == list(first_work.follow_ups_due)
            assert [r.referral for r in response.context["waiting"]] == [r.referral for r in first.context["waiting"]]


def test_a_later_page_runs_the_same_queries_however_long_the_lists(cast, key_worker_client):
    def grow(count):
        key_work_families(cast, count)
        for n in range(count):
            FollowUpFactory(family=cast.family, owner=cast.key_worker, due_on=TODAY - datetime.timedelta(days=n))
            ReferralFactory(family=cast.family, created_by=cast.key_worker,
                            next_due_at=timezone.now() + datetime.timedelta(hours=n))

    def queries():
        first = Family.objects.filter(key_worker=cast.key_worker).order_by("reference", "pk").first()
        query = f"?families_after={first.reference}_{first.pk}"
        with CaptureQueriesContext(connection) as captured:
            response, _ = my_work(key_worker_client, query)
        return captured, response.context["work"]

    grow(3)
    small, _ = queries()
    grow(2 * MY_WORK_PAGE)
    large, work = queries()
    assert len(small) == len(large), "\n".join(q["sql"] for q in large.captured_queries)
    assert len(work.key_work_families) == len(work.follow_ups_due) == MY_WORK_PAGE
