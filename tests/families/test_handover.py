"""When a family's key worker changes, the new one is handed it over: a summary of what is open on
it waits on their home page until they mark it read."""

import datetime
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from families import services
from families.handover import handover_mark_read
from families.models import Family, Handover, Role
from meetings.models import Meeting
from pace_cases.handover import handovers_for
from safety_plans.models import SafetyPlan
from tests.conftest import client_for
from tests.factories import (
    ChildFactory,
    ContactFactory,
    DeadlineFactory,
    FamilyFactory,
    FollowUpFactory,
    MembershipFactory,
    OverdueFlagFactory,
    PersonFactory,
    TeamFactory,
)


def hand_over(family, to, *, by):
    family = Family.objects.get(pk=family.pk)
    family.key_worker = to
    return services.family_update(user=by, family=family, expected_version=family.version)


def add_open_work(family, *, owner, by, child=None):
    """An open follow-up, an unresolved flag, a plan with a review date and a meeting to come."""
    child = child or ChildFactory(family=family)
    FollowUpFactory(family=family, owner=owner, description="Ring the school about Tyler's attendance")
    OverdueFlagFactory(deadline=DeadlineFactory(family=family, label="Decision on the referral"))
    SafetyPlan.objects.create(child=child, family=family, created_by=by,
                              review_on=timezone.localdate() + datetime.timedelta(days=9))
    Meeting.objects.create(family=family, kind=Meeting.Kind.MACE, recorded_by=by,
                           held_at=timezone.now() + datetime.timedelta(days=3))


@pytest.mark.django_db
def test_a_new_key_worker_gets_one_hand_over_shown_on_their_home_page(cast):
    add_open_work(cast.family, owner=cast.key_worker, by=cast.manager, child=cast.child)
    # Already past: not a meeting to come. Done: not an open follow-up. Resolved: not an open flag.
    Meeting.objects.create(family=cast.family, kind=Meeting.Kind.CORE_GROUP, recorded_by=cast.manager,
                           held_at=timezone.now() - datetime.timedelta(days=3))
    FollowUpFactory(family=cast.family, owner=cast.key_worker, description="Send the leaflet",
                    done_at=timezone.now(), done_by=cast.key_worker)
    OverdueFlagFactory(deadline=DeadlineFactory(family=cast.family, label="Strategy discussion held"),
                       resolved_at=timezone.now())

    hand_over(cast.family, cast.teammate, by=cast.manager)

    handover = Handover.objects.get()
    assert (handover.family, handover.to_user, handover.from_user, handover.read_at) == (
        cast.family, cast.teammate, cast.key_worker, None
    )
    page = unescape(client_for(cast.teammate).get(reverse("home")).content.decode())
    assert "Families handed to you" in page
    assert cast.family.reference in page
    assert f"the previous key worker was {cast.key_worker}" in page
    assert "Ring the school about Tyler's attendance" in page
    assert "Decision on the referral" in page
    review_on = timezone.localdate() + datetime.timedelta(days=9)
    assert "Tyler's plan</a>" in page
    assert f"review due {review_on.day} {review_on:%b %Y}" in page
    assert "Multi-agency child exploitation (MACE) meeting" in page
    assert "Send the leaflet" not in page
    assert "Strategy discussion held" not in page
    assert "Core group meeting" not in page


@pytest.mark.django_db
def test_the_old_key_worker_and_colleagues_see_no_hand_over(cast):
    hand_over(cast.family, cast.teammate, by=cast.manager)
    for person in (cast.key_worker, cast.manager, cast.outsider):
        assert "Families handed to you" not in client_for(person).get(reverse("home")).content.decode()


@pytest.mark.django_db
def test_the_edit_page_hands_the_family_over(cast, manager_client):
    family = cast.family
    data = {
        "postcode": family.postcode, "address": family.address, "local_authority": family.local_authority_id or "",
        "source": family.source, "key_worker": cast.teammate.pk, "preferred_channel": family.preferred_channel,
        "safe_contact_times": "", "contact_notes": "", "status": family.status, "closure_reason": "",
        "version": family.version,
    }
    response = manager_client.post(reverse("families:edit", args=[family.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    assert Handover.objects.filter(family=family, to_user=cast.teammate, from_user=cast.key_worker).count() == 1


@pytest.mark.django_db
def test_only_a_change_of_key_worker_to_someone_hands_over(cast):
    family = Family.objects.get(pk=cast.family.pk)
    family.contact_notes = "Prefers mornings"
    services.family_update(user=cast.manager, family=family, expected_version=family.version)
    assert not Handover.objects.exists()
    hand_over(cast.family, None, by=cast.manager)
    assert not Handover.objects.exists()
    hand_over(cast.family, cast.teammate, by=cast.manager)
    assert Handover.objects.get().from_user is None


@pytest.mark.django_db
def test_handed_away_and_back_before_reading_is_still_one_hand_over(cast):
    hand_over(cast.family, cast.teammate, by=cast.manager)
    hand_over(cast.family, cast.key_worker, by=cast.manager)
    hand_over(cast.family, cast.teammate, by=cast.manager)
    assert Handover.objects.filter(to_user=cast.teammate).count() == 1
    # The key worker's, from their brief handing back, is theirs; but they are not key worker now.
    assert Handover.objects.filter(to_user=cast.key_worker).count() == 1
    assert handovers_for(cast.key_worker).summaries == []
    assert [s.family for s in handovers_for(cast.teammate).summaries] == [cast.family]


@pytest.mark.django_db
def test_a_transfer_that_removes_the_key_worker_hands_over_to_nobody(cast, manager_client):
    other = TeamFactory()
    MembershipFactory(team=other, user=cast.manager, role=Role.MANAGER)
    services.family_transfer(user=cast.manager, family=Family.objects.get(pk=cast.family.pk), to_team=other,
                             reason="Moved house", expected_version=cast.family.version)
    assert not Handover.objects.exists()


@pytest.mark.django_db
def test_a_family_moved_to_a_team_the_recipient_is_not_in_is_not_shown(cast):
    hand_over(cast.family, cast.teammate, by=cast.manager)
    Family.objects.filter(pk=cast.family.pk).update(team=TeamFactory())
    assert handovers_for(cast.teammate).summaries == []


# --------------------------------------------------------------- marking it read


@pytest.mark.django_db
def test_marking_it_read_hides_it(cast):
    hand_over(cast.family, cast.teammate, by=cast.manager)
    handover = Handover.objects.get()
    client = client_for(cast.teammate)
    response = client.post(reverse("handover_read", args=[handover.pk]))
    assert response["Location"] == reverse("home")
    handover.refresh_from_db()
    assert handover.read_at is not None
    assert "Families handed to you" not in client.get(reverse("home")).content.decode()
    # A second click (another tab) keeps the first moment.
    first = handover.read_at
    assert handover_mark_read(user=cast.teammate, pk=handover.pk).read_at == first


@pytest.mark.django_db
def test_marking_it_read_from_the_page_without_reloading(cast):
    hand_over(cast.family, cast.teammate, by=cast.manager)
    handover = Handover.objects.get()
    response = client_for(cast.teammate).post(reverse("handover_read", args=[handover.pk]), HTTP_HX_REQUEST="true")
    assert (response.status_code, response.content) == (200, b"")
    assert Handover.objects.get().read_at is not None


@pytest.mark.django_db
def test_nobody_else_can_mark_it_read_or_read_its_history(cast, anonymous_client):
    hand_over(cast.family, cast.teammate, by=cast.manager)
    handover = Handover.objects.get()
    for person in (cast.key_worker, cast.manager, cast.outsider):
        client = client_for(person)
        assert client.post(reverse("handover_read", args=[handover.pk])).status_code == 404
        assert client.get(reverse("handover_history", args=[handover.pk])).status_code == 404
    assert anonymous_client.post(reverse("handover_read", args=[handover.pk])).status_code == 302
    assert Handover.objects.get().read_at is None


@pytest.mark.django_db
def test_the_families_latest_history_is_loaded_into_the_summary(cast):
    for days_ago in range(7):
        ContactFactory(family=cast.family, worker=cast.key_worker, spoke_with=cast.carer,
                       occurred_at=timezone.now() - datetime.timedelta(days=days_ago, hours=1))
    hand_over(cast.family, cast.teammate, by=cast.manager)
    handover = Handover.objects.get()
    client = client_for(cast.teammate)
    home = client.get(reverse("home")).content.decode()
    assert reverse("handover_history", args=[handover.pk]) in home
    response = client.get(reverse("handover_history", args=[handover.pk]))
    assert response.status_code == 200
    assert len(response.context["entries"]) == 5
    assert "with Joanne Okafor" in response.content.decode()


# --------------------------------------------------------------- the cost of the home page


def handed_families(cast, count):
    for _ in range(count):
        family = FamilyFactory(team=cast.family.team, key_worker=cast.key_worker)
        PersonFactory(family=family)
        add_open_work(family, owner=cast.key_worker, by=cast.manager)
        add_open_work(family, owner=cast.manager, by=cast.manager)
        hand_over(family, cast.teammate, by=cast.manager)


def home_queries(user):
    client = client_for(user)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("home"))
    assert response.status_code == 200
    return len(captured), [query["sql"] for query in captured.captured_queries]


@pytest.mark.django_db
def test_the_hand_over_section_costs_the_same_for_one_family_or_five(cast, django_assert_num_queries):
    """The hand-overs (1), then their families' open follow-ups, flags, plans with a review date and
    meetings to come (1 each); none of those when there is nothing to read."""
    with django_assert_num_queries(1):
        assert handovers_for(cast.teammate).summaries == []
    handed_families(cast, 1)
    with django_assert_num_queries(PINNED_HANDOVER_QUERIES):
        assert len(handovers_for(cast.teammate).summaries) == 1
    one, _ = home_queries(cast.teammate)
    handed_families(cast, 4)
    with django_assert_num_queries(PINNED_HANDOVER_QUERIES):
        summaries = handovers_for(cast.teammate).summaries
    assert [(len(s.follow_ups), len(s.flags), len(s.plans), len(s.meetings)) for s in summaries] == [(2, 2, 2, 2)] * 5
    five, sql = home_queries(cast.teammate)
    assert one == five, "\n".join(sql)


PINNED_HANDOVER_QUERIES = 5
