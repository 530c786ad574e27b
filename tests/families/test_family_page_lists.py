"""The family page reads a bounded number of rows whatever the family's history: its follow-ups a
page at a time (keyset pages, "Follow-ups due later" / "Follow-ups due sooner"), its newest referrals
and team changes with how many there are and a link to the rest on the family's timeline."""

import datetime
import re
from html import unescape

import pytest
from django.db import connection
from django.db.models import Count, Max
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from families import selectors
from families.models import FollowUp
from families.selectors import FAMILY_PAGE_FOLLOW_UPS, FAMILY_PAGE_TRANSFERS
from referrals.models import Milestone, Referral
from referrals.selectors import FAMILY_PAGE_REFERRALS, days_since_family_heard, family_referrals
from tests.factories import (
    FamilyTransferFactory,
    FollowUpFactory,
    MilestoneRecordFactory,
    ParentUpdateFactory,
    ReferralFactory,
    SocialWorkerAllocationFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def link(html: str, words: str) -> str | None:
    """The address of the link whose words are ``words``, or None when the page has none."""
    match = re.search(r'<a href="([^"]*)">' + re.escape(words) + "</a>", html)
    return unescape(match.group(1)) if match else None


def family_page(client, family, query=""):
    response = client.get(family.get_absolute_url() + query)
    assert response.status_code == 200
    return response, response.content.decode()


def open_follow_up(cast, due_on, **fields):
    return FollowUpFactory(family=cast.family, owner=cast.key_worker, due_on=due_on, **fields)


def done_follow_up(cast, done_at):
    return FollowUpFactory(family=cast.family, owner=cast.key_worker, done_at=done_at, done_by=cast.key_worker)


def walk(client, family, list_name, link_words):
    """Every row of one of the page's lists, page by page, following the link with ``link_words``;
    and the address of the last page."""
    seen, query = [], ""
    while True:
        response, html = family_page(client, family, query)
        seen += [row.pk for row in getattr(response.context["page"], list_name)]
        following = link(html, link_words)
        if following is None:
            return seen, query
        query = following


def test_the_follow_ups_to_do_show_a_page_and_how_many_there_are(cast, key_worker_client):
    follow_ups = [open_follow_up(cast, TODAY + datetime.timedelta(days=n)) for n in range(FAMILY_PAGE_FOLLOW_UPS + 1)]
    response, html = family_page(key_worker_client, cast.family)
    shown = response.context["page"].follow_ups_to_do
    assert [f.pk for f in shown] == [f.pk for f in follow_ups[:FAMILY_PAGE_FOLLOW_UPS]]
    assert f"To do ({FAMILY_PAGE_FOLLOW_UPS + 1})" in html
    assert f"{FAMILY_PAGE_FOLLOW_UPS} at a time, soonest due first." in html
    assert html.count("Mark done<span") == FAMILY_PAGE_FOLLOW_UPS
    assert link(html, "Follow-ups due sooner") is None

    later = link(html, "Follow-ups due later")
    assert later.endswith("#to-do-heading")
    response, html = family_page(key_worker_client, cast.family, later)
    assert [f.pk for f in response.context["page"].follow_ups_to_do] == [follow_ups[-1].pk]
    assert link(html, "Follow-ups due later") is None
    response, _ = family_page(key_worker_client, cast.family, link(html, "Follow-ups due sooner"))
    assert [f.pk for f in response.context["page"].follow_ups_to_do] == [f.pk for f in follow_ups[:-1]]


def test_pages_of_follow_ups_to_do_neither_repeat_nor_skip_one_when_many_are_due_the_same_day(
        cast, key_worker_client):
    # Three days, the middle one shared by 2.5 pages' worth, created in a mixed order.
    days = [TODAY + datetime.timedelta(days=d) for d in (1, 0, 1, 2, 1)] * (FAMILY_PAGE_FOLLOW_UPS // 2)
    days += [TODAY + datetime.timedelta(days=1)] * (FAMILY_PAGE_FOLLOW_UPS + 3)
    for day in days:
        open_follow_up(cast, day)
    done_follow_up(cast, timezone.now())  # not to do: never on these pages
    expected = list(FollowUp.objects.filter(done_at__isnull=True).order_by("due_on", "pk").values_list("pk", flat=True))

    forwards, last_page = walk(key_worker_client, cast.family, "follow_ups_to_do", "Follow-ups due later")
    assert forwards == expected

    backwards, query = [], last_page
    while query is not None:
        response, html = family_page(key_worker_client, cast.family, query)
        backwards = [row.pk for row in response.context["page"].follow_ups_to_do] + backwards
        query = link(html, "Follow-ups due sooner")
    assert backwards == expected


def test_follow_ups_done_are_newest_first_a_page_at_a_time_and_each_can_be_undone(cast, key_worker_client):
    moment = timezone.now() - datetime.timedelta(days=30)
    # A few done at the same moment, across a page boundary.
    done = [done_follow_up(cast, moment + datetime.timedelta(hours=n // 3)) for n in range(FAMILY_PAGE_FOLLOW_UPS + 4)]
    open_follow_up(cast, TODAY)
    expected = [f.pk for f in sorted(done, key=lambda f: (f.done_at, f.pk), reverse=True)]

    seen, last_page = walk(key_worker_client, cast.family, "follow_ups_done", "Follow-ups done earlier")
    assert seen == expected
    response, html = family_page(key_worker_client, cast.family, last_page)
    assert f"Done ({len(done)})" in html
    oldest = FollowUp.objects.get(pk=expected[-1])
    assert reverse("families:follow_up_reopen", args=[cast.family.pk, oldest.pk]) in html
    assert link(html, "Follow-ups done more recently") is not None


@pytest.mark.parametrize("value", [
    "yesterday", "2026-02-30_1", "2026-01-01_", "_5", "2026-01-01_x", "2026-01-01_" + "9" * 30,
    "2026-01-01T10:00:00_5",  # a moment without its offset
    "2026-01-01\x00_5", "2026-01-01 _5", "x" * 500, "F-000001_1", "１２_3",
])
def test_a_cursor_that_cannot_be_read_is_the_first_page(cast, key_worker_client, value):
    for n in range(FAMILY_PAGE_FOLLOW_UPS + 1):
        open_follow_up(cast, TODAY + datetime.timedelta(days=n))
        done_follow_up(cast, timezone.now() - datetime.timedelta(hours=n))
    first, _ = family_page(key_worker_client, cast.family)
    for name in ("to_do_after", "to_do_before", "done_after", "done_before"):
        response = key_worker_client.get(cast.family.get_absolute_url(), {name: value})
        assert response.status_code == 200
        for list_name in ("follow_ups_to_do", "follow_ups_done"):
            assert list(getattr(response.context["page"], list_name)) == list(getattr(first.context["page"], list_name))


def test_a_long_list_is_counted_only_so_far(cast, key_worker_client, monkeypatch):
    monkeypatch.setattr(selectors, "LIST_COUNT_LIMIT", 3)
    for n in range(5):
        open_follow_up(cast, TODAY + datetime.timedelta(days=n))
    for n in range(3):
        done_follow_up(cast, timezone.now() - datetime.timedelta(hours=n))
    response, html = family_page(key_worker_client, cast.family)
    assert response.context["page"].follow_ups_to_do.total == 4
    assert "To do (more than 3)" in html
    assert "Done (3)" in html


def test_a_cursor_past_the_end_says_so_and_links_back_to_the_start(cast, key_worker_client):
    open_follow_up(cast, TODAY)
    _, html = family_page(key_worker_client, cast.family, f"?to_do_after={TODAY + datetime.timedelta(days=9)}_1")
    assert "Nothing more to show here." in html
    assert link(html, "Back to the start of the list") == "?#to-do-heading"


# --------------------------------------------------------------- referrals


def referral(cast, created_at, *, status=Referral.Status.OPEN, made_at=None):
    made = ReferralFactory(family=cast.family, created_by=cast.key_worker, created_at=created_at, status=status)
    MilestoneRecordFactory(referral=made, milestone=Milestone.REFERRAL_MADE, occurred_at=made_at or created_at)
    return made


def test_the_family_page_shows_its_newest_referrals_how_many_and_a_link_to_the_rest(cast, key_worker_client):
    start = timezone.now() - datetime.timedelta(days=400)
    # Two recorded at the same moment, so the order needs its tie-break.
    moments = [start + datetime.timedelta(days=n // 2 * 2) for n in range(FAMILY_PAGE_REFERRALS + 1)]
    referrals = [referral(cast, moment, status=Referral.Status.CLOSED if n % 3 else Referral.Status.OPEN)
                 for n, moment in enumerate(moments)]
    newest_first = sorted(referrals, key=lambda r: (r.created_at, r.pk), reverse=True)
    total, still_open = len(referrals), sum(r.status == Referral.Status.OPEN for r in referrals)

    response, html = family_page(key_worker_client, cast.family)
    shown = next(data for section, data in response.context["sections"] if section.key == "referrals")
    assert [s.referral.pk for s in shown.recent] == [r.pk for r in newest_first[:FAMILY_PAGE_REFERRALS]]
    assert (shown.total, shown.open) == (total, still_open)
    assert f"{total} referrals, {still_open} open. The {FAMILY_PAGE_REFERRALS} most recently recorded:" in html
    everything = link(html, f"All {total} referrals, by their milestones on the family's timeline")
    assert everything == reverse("families:timeline", args=[cast.family.pk]) + "?kinds=referral"

    # The one left off is on the timeline, filtered to referrals, linked to its page.
    left_off = newest_first[-1]
    timeline = key_worker_client.get(everything).content.decode()
    assert left_off.get_absolute_url() in timeline


def test_a_family_with_few_referrals_shows_them_all_without_a_count(cast, key_worker_client):
    referral(cast, timezone.now() - datetime.timedelta(days=3))
    _, html = family_page(key_worker_client, cast.family)
    assert "most recently recorded" not in html
    assert "by their milestones on the family" not in html


def test_each_referral_shows_the_same_figures_as_when_every_referral_was_read(cast):
    """The newest referrals' social workers, last update and days since the family heard, worked out
    in subqueries for the rows shown, are those the old query (a join and GROUP BY over every
    referral of the family) gave, on varied data."""
    now = timezone.now()
    for n in range(FAMILY_PAGE_REFERRALS):
        made = referral(cast, now - datetime.timedelta(days=40 - n), made_at=now - datetime.timedelta(days=45 - n),
                        status=Referral.Status.CLOSED if n % 4 == 3 else Referral.Status.OPEN)
        for w in range(n % 4):
            SocialWorkerAllocationFactory(referral=made, name=f"Worker {w}",
                                          allocated_on=TODAY - datetime.timedelta(days=30 - w))
        for u in range(n % 3):
            ParentUpdateFactory(referral=made, received_on=TODAY - datetime.timedelta(days=5 * u + n))
    ReferralFactory(family=cast.family, created_by=cast.key_worker)  # none made yet: no milestone
    shown = family_referrals(cast.family, now=now).recent
    assert len(shown) == FAMILY_PAGE_REFERRALS
    old = {
        r.pk: r for r in cast.family.referrals.annotate(
            social_worker_count=Count("social_workers", distinct=True), last_heard_on=Max("parent_updates__received_on")
        )
    }
    for summary in shown:
        before = old[summary.referral.pk]
        made = before.milestones.filter(milestone=Milestone.REFERRAL_MADE).first()
        made_on = timezone.localdate(made.occurred_at) if made else None
        assert (summary.social_worker_count, summary.last_heard_on, summary.days_since_last_heard) == (
            before.social_worker_count, before.last_heard_on,
            days_since_family_heard(made_on, before.last_heard_on, timezone.localdate(now)),
        )


# --------------------------------------------------------------- team changes


def test_the_family_page_shows_its_newest_team_changes_and_links_to_the_rest(cast, key_worker_client):
    start = timezone.now() - datetime.timedelta(days=100)
    transfers = [
        FamilyTransferFactory(family=cast.family, to_team=TeamFactory(name=f"Team {n}"), transferred_by=cast.manager,
                              transferred_at=start + datetime.timedelta(days=n))
        for n in range(FAMILY_PAGE_TRANSFERS + 1)
    ]
    response, html = family_page(key_worker_client, cast.family)
    assert [t.pk for t in response.context["page"].transfers] == [t.pk for t in transfers[::-1][:FAMILY_PAGE_TRANSFERS]]
    everything = link(html, f"All {len(transfers)} team changes, on the family's timeline")
    assert everything == reverse("families:timeline", args=[cast.family.pk]) + "?kinds=family"
    assert "to Team 0" in unescape(key_worker_client.get(everything).content.decode())


# --------------------------------------------------------------- cost


def grow(cast, count, start):
    """``count`` more of each long list: referrals (each with a child, a social worker and an update),
    follow-ups to do and done, and team changes."""
    for n in range(count):
        made = referral(cast, start + datetime.timedelta(hours=n))
        made.children.add(cast.child)
        SocialWorkerAllocationFactory(referral=made, allocated_on=TODAY)
        ParentUpdateFactory(referral=made, received_on=TODAY)
        open_follow_up(cast, TODAY + datetime.timedelta(days=n % 3))
        done_follow_up(cast, start + datetime.timedelta(hours=n))
        FamilyTransferFactory(family=cast.family, transferred_by=cast.manager,
                              transferred_at=start + datetime.timedelta(hours=n))


@pytest.mark.parametrize("query", ["", "?to_do_after={today}_1&done_after={now}_1"])
def test_the_family_page_runs_the_same_queries_however_long_its_lists(cast, key_worker_client, query):
    start = timezone.now() - datetime.timedelta(days=60)
    query = query.format(today=TODAY, now=timezone.now().isoformat().replace("+", "%2B"))
    grow(cast, 3, start)
    with CaptureQueriesContext(connection) as small:
        family_page(key_worker_client, cast.family, query)
    grow(cast, 3 * FAMILY_PAGE_REFERRALS, start + datetime.timedelta(days=1))
    with CaptureQueriesContext(connection) as large:
        response, _ = family_page(key_worker_client, cast.family, query)
    assert len(small) == len(large), "\n".join(q["sql"] for q in large.captured_queries)
    page = response.context["page"]
    assert len(page.follow_ups_to_do) <= FAMILY_PAGE_FOLLOW_UPS
    assert len(page.transfers) == FAMILY_PAGE_TRANSFERS
