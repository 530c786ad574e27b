"""The family timeline: every kind of entry in one order, its filters, keyset pages that neither
repeat nor skip an entry, a fixed number of queries however long it is, and who may read what."""

import datetime
import re
from html import unescape
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from deadlines.models import Deadline, OverdueFlag
from families import timeline, timeline_views
from families.models import Contact, FollowUp
from meetings.models import Meeting, MeetingAction
from referrals.models import Escalation, Milestone, MilestoneRecord, ParentUpdate, Referral, SocialWorkerAllocation
from safety_plans.models import IntelligenceEntry, MissingEpisode, PlanVersion, SafetyPlan
from tests.conftest import client_for
from tests.factories import (
    ContactFactory,
    EscalationFactory,
    FamilyTransferFactory,
    FollowUpFactory,
    MilestoneRecordFactory,
    ParentUpdateFactory,
    ReferralFactory,
    RiskLevelChangeFactory,
    SocialWorkerAllocationFactory,
)

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


def london(*args):
    return datetime.datetime(*args, tzinfo=LONDON)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(london(2026, 12, 1, 21, 5), tick=False) as traveller:
        yield traveller


def everything(family, user, **filters):
    return timeline.timeline_for(family, user, limit=timeline.MAX_LIMIT, **filters).entries


def flag_for(cast, referral, **moments):
    deadline = Deadline.objects.create(
        family=cast.family, subject_type=ContentType.objects.get_for_model(Referral), subject_id=referral.pk,
        kind="referral:decision", label="Decision on the referral", allowance="1 working day", nation="england",
        started_at=london(2026, 1, 1, 9), due_at=london(2026, 1, 3), escalate_at=london(2026, 1, 5),
        met_at=london(2026, 1, 6, 9),
    )
    return OverdueFlag.objects.create(deadline=deadline, family=cast.family, due_at=deadline.due_at,
                                      escalate_at=deadline.escalate_at, **moments)


@pytest.fixture
def one_of_each(cast):
    """One event of every kind, a day apart, oldest first: (moment, title) as the timeline shows it."""
    referral = ReferralFactory(family=cast.family, created_by=cast.key_worker, csc_reference="CSC/991")
    plan = SafetyPlan.objects.create(child=cast.child, family=cast.family, created_by=cast.key_worker)
    meeting = Meeting.objects.create(family=cast.family, kind=Meeting.Kind.MACE, held_at=london(2026, 3, 10, 14),
                                     recorded_by=cast.key_worker)
    ContactFactory(family=cast.family, worker=cast.key_worker, occurred_at=london(2026, 3, 1, 10), channel="phone",
                   duration_minutes=15)
    FollowUpFactory(family=cast.family, owner=cast.key_worker, description="Ring the school",
                    done_at=london(2026, 3, 2, 11), done_by=cast.key_worker)
    RiskLevelChangeFactory(child=cast.child, changed_by=cast.key_worker, changed_at=london(2026, 3, 3, 12))
    FamilyTransferFactory(family=cast.family, transferred_by=cast.manager, transferred_at=london(2026, 3, 4, 12))
    MilestoneRecordFactory(referral=referral, milestone=Milestone.DECISION, occurred_at=london(2026, 3, 5, 9))
    SocialWorkerAllocationFactory(referral=referral, name="Sam Patel", allocated_on=datetime.date(2026, 3, 6))
    ParentUpdateFactory(referral=referral, received_on=datetime.date(2026, 3, 7))
    EscalationFactory(referral=referral, sent_at=london(2026, 3, 8, 16))
    flag_for(cast, referral, raised_at=london(2026, 3, 9, 6), escalated_at=london(2026, 3, 11, 6),
             acknowledged_at=london(2026, 3, 12, 9), acknowledged_by=cast.manager, resolved_at=london(2026, 3, 13, 9))
    MeetingAction.objects.create(meeting=meeting, description="School to share attendance",
                                 status=MeetingAction.Status.DONE, done_on=datetime.date(2026, 3, 14))
    PlanVersion.objects.create(plan=plan, number=1, content={}, what_changed="First version",
                               saved_by=cast.key_worker, saved_at=london(2026, 3, 15, 10))
    MissingEpisode.objects.create(child=cast.child, family=cast.family, went_missing_at=london(2026, 3, 16, 22),
                                  returned_at=london(2026, 3, 17, 7), interview_done_at=london(2026, 3, 18, 15),
                                  recorded_by=cast.key_worker)
    IntelligenceEntry.objects.create(family=cast.family, kind=IntelligenceEntry.Kind.VEHICLE,
                                     observed_at=london(2026, 3, 18, 20), description="Grey car outside school",
                                     source="Mum", passed_to_police_on=datetime.date(2026, 3, 19),
                                     recorded_by=cast.manager)
    return [
        ("call", "Phone, 15 min"),
        ("follow_up", "Follow-up done: Ring the school"),
        ("family", "Tyler's risk level: high"),
        ("family", f"Moved from {cast.family.team} to"),
        ("referral", "Decision on the referral"),
        ("social_worker", "Social worker allocated: Sam Patel"),
        ("parent_update", "The family heard from children's social care"),
        ("escalation", "Escalated: Letter to the team manager"),
        ("flag", "Overdue: Decision on the referral"),
        ("meeting", "Multi-agency child exploitation (MACE) meeting"),
        ("flag", "Very late (twice the time allowed): Decision on the referral"),
        ("flag", "Flag acknowledged: Decision on the referral"),
        ("flag", "Flag resolved: Decision on the referral"),
        ("meeting", "Action done: School to share attendance"),
        ("plan", "Tyler's safety plan, version 1"),
        ("missing", "Tyler went missing"),
        ("missing", "Tyler came back"),
        ("missing", "Return home interview with Tyler"),
        ("intelligence", "Intelligence passed to the police: a vehicle"),
    ]


def test_every_kind_in_one_order_newest_first(cast, one_of_each):
    entries = everything(cast.family, cast.manager)
    shown = [(entry.kind, entry.title) for entry in entries]
    expected = list(reversed(one_of_each))
    assert len(shown) == len(expected)
    for (kind, title), (expected_kind, expected_title) in zip(shown, expected, strict=True):
        assert kind == expected_kind
        assert title.startswith(expected_title), (title, expected_title)
    assert [entry.when for entry in entries] == sorted((entry.when for entry in entries), reverse=True)


def test_entries_link_to_their_pages(cast, one_of_each):
    links = {entry.title: entry.url for entry in everything(cast.family, cast.manager)}
    referral = Referral.objects.get(family=cast.family)
    meeting = Meeting.objects.get(family=cast.family)
    assert links["Decision on the referral"] == referral.get_absolute_url()
    assert links["Overdue: Decision on the referral"] == referral.get_absolute_url()
    assert links["Multi-agency child exploitation (MACE) meeting"] == reverse(
        "meetings:detail", args=[cast.family.pk, meeting.pk])
    assert links["Tyler went missing"] == reverse("safety_plans:missing", args=[cast.family.pk, cast.child.pk])
    assert links["Tyler's safety plan, version 1"] == reverse(
        "safety_plans:plan_versions", args=[cast.family.pk, cast.child.pk])


def test_the_page_shows_london_times_and_dates_alone_for_dated_events(cast, one_of_each, manager_client):
    html = unescape(manager_client.get(reverse("families:timeline", args=[cast.family.pk])).content.decode())
    # 22:00 UTC is 22:00 in March (GMT) ...
    assert "Monday 16 March 2026, 22:00" in html
    # ... and an allocation known only by its day has no time.
    assert re.search(r"Friday 6 March 2026</time>", html)


def test_british_summer_time_is_shown(cast, manager_client):
    ContactFactory(family=cast.family, worker=cast.key_worker, occurred_at=datetime.datetime(
        2026, 7, 1, 20, 5, tzinfo=datetime.UTC))
    html = manager_client.get(reverse("families:timeline", args=[cast.family.pk])).content.decode()
    assert "Wednesday 1 July 2026, 21:05" in html


def test_filter_by_kind(cast, one_of_each):
    entries = everything(cast.family, cast.manager, kinds=["flag", "call"])
    assert {entry.kind for entry in entries} == {"flag", "call"}
    assert len(entries) == 5


def test_filter_by_date_range_includes_both_days_whole(cast, one_of_each, manager_client):
    response = manager_client.get(reverse("families:timeline", args=[cast.family.pk]),
                                  {"from_date": "2026-03-06", "to_date": "2026-03-09"})
    titles = [entry.title for entry in response.context["timeline"].entries]
    # The 6th's allocation (a date: the start of the day) and the 9th's flag (06:00) are in.
    assert titles == [
        "Overdue: Decision on the referral",
        "Escalated: Letter to the team manager",
        "The family heard from children's social care",
        "Social worker allocated: Sam Patel",
    ]


def test_a_from_day_after_the_to_day_is_refused(cast, manager_client):
    response = manager_client.get(reverse("families:timeline", args=[cast.family.pk]),
                                  {"from_date": "2026-03-09", "to_date": "2026-03-06"})
    assert "must be on or before" in unescape(response.content.decode())


@pytest.fixture
def crowded(cast):
    """Many entries at the very same moments, across kinds and across date-only events (whose
    moment is the start of their day)."""
    referral = ReferralFactory(family=cast.family, created_by=cast.key_worker)
    midnight = london(2026, 4, 2)
    for _ in range(7):
        ContactFactory(family=cast.family, worker=cast.key_worker, occurred_at=midnight)
    for _ in range(4):
        SocialWorkerAllocationFactory(referral=referral, allocated_on=datetime.date(2026, 4, 2))
        EscalationFactory(referral=referral, sent_at=midnight)
    for _ in range(3):
        # Raised and very late in the same run.
        flag_for(cast, referral, raised_at=midnight, escalated_at=midnight)
    for n in range(5):
        ContactFactory(family=cast.family, worker=cast.key_worker, occurred_at=london(2026, 4, 1, 9, n))


def test_pages_neither_repeat_nor_skip_an_entry(cast, crowded):
    whole = [entry.key for entry in everything(cast.family, cast.manager)]
    assert len(whole) == 7 + 4 + 4 + 6 + 5
    for size in (1, 2, 3, 5, 7):
        seen, cursor = [], None
        while True:
            page = timeline.timeline_for(cast.family, cast.manager, before=cursor, limit=size)
            seen += [entry.key for entry in page.entries]
            if page.older is None:
                break
            cursor = page.older
        assert seen == whole, size


def test_the_older_link_carries_on_where_the_page_ended(cast, crowded, manager_client, monkeypatch):
    monkeypatch.setattr(timeline_views, "TIMELINE_PAGE_ENTRIES", 4)
    url = reverse("families:timeline", args=[cast.family.pk]) + "?kinds=call&kinds=escalation"
    seen = []
    while url:
        response = manager_client.get(url)
        seen += [entry.key for entry in response.context["timeline"].entries]
        url = response.context["timeline_older_url"]
    whole = [entry.key for entry in everything(cast.family, cast.manager, kinds=["call", "escalation"])]
    assert seen == whole
    assert len(whole) == 7 + 4 + 5


def test_a_tampered_cursor_is_ignored(cast, crowded, manager_client):
    response = manager_client.get(reverse("families:timeline", args=[cast.family.pk]),
                                  {"older_than": "yesterday", "key": "call:1; DROP"})
    assert response.status_code == 200
    assert len(response.context["timeline"].entries) == 26


def add_events(cast, referral, plan, meeting, count):
    """``count`` events, spread over every kind, written in a few statements."""
    base = london(2025, 1, 1, 9)
    per_kind = max(1, count // 10)
    moments = [base + datetime.timedelta(hours=n) for n in range(per_kind)]
    Contact.objects.bulk_create(Contact(family=cast.family, occurred_at=m, duration_minutes=5, worker=cast.key_worker,
                                        summary="Call") for m in moments)
    FollowUp.objects.bulk_create(FollowUp(family=cast.family, description="Ring back", owner=cast.key_worker,
                                          created_by=cast.key_worker, due_on=m.date(), done_at=m,
                                          done_by=cast.key_worker) for m in moments)
    MilestoneRecord.objects.bulk_create(MilestoneRecord(referral=referral, milestone=Milestone.REVIEW_CONFERENCE,
                                                        occurred_at=m, recorded_by=cast.key_worker) for m in moments)
    SocialWorkerAllocation.objects.bulk_create(SocialWorkerAllocation(
        referral=referral, name="A worker", allocated_on=m.date(), recorded_by=cast.key_worker) for m in moments)
    ParentUpdate.objects.bulk_create(ParentUpdate(referral=referral, received_on=m.date(), channel="phone",
                                                  recorded_by=cast.key_worker) for m in moments)
    Escalation.objects.bulk_create(Escalation(referral=referral, kind="letter", to_whom="Manager", sent_at=m,
                                              created_by=cast.key_worker) for m in moments)
    start = Deadline.objects.count()
    Deadline.objects.bulk_create(Deadline(
        family=cast.family, subject_type=ContentType.objects.get_for_model(Referral), subject_id=referral.pk,
        kind="referral:decision", label="Decision", allowance="1 working day", nation="england",
        started_at=m, due_at=m, escalate_at=m, met_at=m) for m in moments)
    OverdueFlag.objects.bulk_create(OverdueFlag(deadline=d, family=cast.family, raised_at=d.due_at,
                                                due_at=d.due_at, escalate_at=d.due_at, escalated_at=d.due_at)
                                    for d in Deadline.objects.order_by("pk")[start:])
    Meeting.objects.bulk_create(Meeting(family=cast.family, kind="mace", held_at=m, recorded_by=cast.key_worker)
                                for m in moments)
    MeetingAction.objects.bulk_create(MeetingAction(meeting=meeting, description="Do it", status="done",
                                                    done_on=m.date()) for m in moments)
    number = PlanVersion.objects.filter(plan=plan).count()
    PlanVersion.objects.bulk_create(PlanVersion(plan=plan, number=number + n + 1, content={}, what_changed="Edit",
                                                saved_by=cast.key_worker, saved_at=m) for n, m in enumerate(moments))
    MissingEpisode.objects.bulk_create(MissingEpisode(child=cast.child, family=cast.family, went_missing_at=m,
                                                      returned_at=m, interview_done_at=m, recorded_by=cast.key_worker)
                                       for m in moments)
    IntelligenceEntry.objects.bulk_create(IntelligenceEntry(family=cast.family, kind="other", observed_at=m,
                                                            description="Seen", source="Mum",
                                                            passed_to_police_on=m.date(), recorded_by=cast.manager)
                                          for m in moments)


def test_the_same_queries_for_10_and_500_events(cast, manager_client):
    referral = ReferralFactory(family=cast.family, created_by=cast.key_worker)
    plan = SafetyPlan.objects.create(child=cast.child, family=cast.family, created_by=cast.key_worker)
    meeting = Meeting.objects.create(family=cast.family, kind="mace", held_at=london(2024, 1, 1),
                                     recorded_by=cast.key_worker)
    url = reverse("families:timeline", args=[cast.family.pk])
    counts = []
    for count in (10, 490):  # 10 events, then 500
        add_events(cast, referral, plan, meeting, count)
        with CaptureQueriesContext(connection) as read:
            page = timeline.timeline_for(cast.family, cast.manager)
        with CaptureQueriesContext(connection) as shown:
            assert manager_client.get(url).status_code == 200
        counts.append((len(read), len(shown), len(page.entries)))
    (small_read, small_page, small_entries), (large_read, large_page, large_entries) = counts
    assert small_entries < 50 and large_entries == 50
    assert small_read == large_read
    assert small_page == large_page
    print(f"timeline: {large_read} queries; timeline page: {large_page}")  # noqa: T201 - shown with -s


def test_intelligence_is_only_for_those_who_may_see_it(cast, one_of_each, key_worker_client, manager_client):
    assert "intelligence" not in {entry.kind for entry in everything(cast.family, cast.key_worker)}
    assert "intelligence" in {entry.kind for entry in everything(cast.family, cast.manager)}
    url = reverse("families:timeline", args=[cast.family.pk])
    assert "Intelligence passed to the police: a vehicle" not in key_worker_client.get(url).content.decode()
    assert "Intelligence passed to the police: a vehicle" in manager_client.get(url).content.decode()
    assert "Intelligence passed to the police: a vehicle" not in key_worker_client.get(
        cast.family.get_absolute_url()).content.decode()


def test_outsiders_get_404(cast, one_of_each, outsider_client, anonymous_client):
    url = reverse("families:timeline", args=[cast.family.pk])
    assert outsider_client.get(url).status_code == 404
    assert anonymous_client.get(url).status_code == 302


def test_the_family_page_shows_the_timeline_with_log_a_call(cast, one_of_each, key_worker_client):
    html = unescape(key_worker_client.get(cast.family.get_absolute_url()).content.decode())
    assert 'id="timeline-heading"' in html
    assert "Log a call" in html
    assert "Tyler came back" in html
    # The newest 20 only: the rest are a click away.
    assert reverse("families:timeline", args=[cast.family.pk]) + "?older_than=" not in html


def test_a_distressing_call_is_folded(cast, key_worker_client):
    ContactFactory(family=cast.family, worker=cast.key_worker, handle_with_care=True, summary="What he told us")
    html = key_worker_client.get(reverse("families:timeline", args=[cast.family.pk])).content.decode()
    assert "This note contains distressing detail. Show it" in html


def test_referrals_on_the_family_page_are_named_by_the_day_they_were_made(cast, key_worker_client):
    referral = ReferralFactory(family=cast.family, created_by=cast.key_worker)
    MilestoneRecordFactory(referral=referral, milestone=Milestone.REFERRAL_MADE, occurred_at=london(2026, 2, 3, 10))
    html = key_worker_client.get(cast.family.get_absolute_url()).content.decode()
    assert f"{referral.local_authority}, made 3 Feb 2026" in html


def test_the_family_page_keeps_the_same_queries_with_a_longer_timeline(cast, one_of_each):
    client = client_for(cast.manager)
    with CaptureQueriesContext(connection) as before:
        client.get(cast.family.get_absolute_url())
    for n in range(30):
        ContactFactory(family=cast.family, worker=cast.key_worker, occurred_at=london(2026, 5, 1, 9, n))
    with CaptureQueriesContext(connection) as after:
        client.get(cast.family.get_absolute_url())
    assert len(before) == len(after)
