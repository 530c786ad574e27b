"""Referral pages: access, recording a referral and its milestones, bad input, query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from referrals import services
from referrals.models import Escalation, Milestone, Referral, ThresholdRule
from tests.conftest import client_for
from tests.factories import (
    ParentUpdateFactory,
    SocialWorkerAllocationFactory,
    ThresholdRuleFactory,
)
from tests.referrals.conftest import london
from tests.typed import shown_as_typed


@pytest.fixture
def referral(cast, clock, referral_at):
    return referral_at(london(2026, 11, 23, 10, 0))


def referral_urls(cast, referral):
    escalation = services.escalation_record(
        user=cast.manager, referral=referral,
        escalation=Escalation(kind=Escalation.Kind.LETTER, to_whom="Team manager", sent_at=london(2026, 11, 27, 9, 0)),
    )
    args = [cast.family.pk, referral.pk]
    return [
        ("get", reverse("referrals:create", args=[cast.family.pk])),
        ("post", reverse("referrals:create", args=[cast.family.pk])),
        ("get", reverse("referrals:detail", args=args)),
        ("get", reverse("referrals:chronology", args=args)),
        ("get", reverse("referrals:edit", args=args)),
        ("get", reverse("referrals:milestone", args=args)),
        ("post", reverse("referrals:milestone", args=args)),
        ("get", reverse("referrals:social_worker", args=args)),
        ("get", reverse("referrals:parent_update", args=args)),
        ("get", reverse("referrals:escalation", args=args)),
        ("get", reverse("referrals:escalation_response", args=[*args, escalation.pk])),
    ]


@pytest.mark.django_db
def test_anonymous_is_sent_to_sign_in_and_outsider_gets_404(cast, referral, anonymous_client, outsider_client):
    for method, url in referral_urls(cast, referral):
        response = getattr(anonymous_client, method)(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), url
        assert getattr(outsider_client, method)(url).status_code == 404, url


@pytest.mark.django_db
def test_team_can_open_every_referral_page(cast, referral):
    for user in (cast.key_worker, cast.teammate, cast.manager):
        client = client_for(user)
        for method, url in referral_urls(cast, referral):
            if method == "get":
                assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_a_referral_of_another_family_is_404(cast, referral, key_worker_client):
    from tests.factories import FamilyFactory

    other_family = FamilyFactory(team=cast.family.team)
    url = reverse("referrals:detail", args=[other_family.pk, referral.pk])
    assert key_worker_client.get(url).status_code == 404


@pytest.mark.django_db
def test_record_a_referral_then_its_acknowledgement(cast, clock, key_worker_client, birmingham):
    response = key_worker_client.post(reverse("referrals:create", args=[cast.family.pk]), {
        "children": [cast.child.pk], "local_authority": birmingham.pk, "referred_by": "parent",
        "referral_made_at": "2026-11-27T16:00", "concern_raised_at": "2026-11-20T09:00", "summary": "",
    })
    referral = Referral.objects.get()
    assert response["Location"] == referral.get_absolute_url()
    assert referral.next_milestone == Milestone.DECISION
    page = key_worker_client.get(referral.get_absolute_url()).content.decode()
    assert "Decision on the referral: due by the end of Monday 30 Nov 2026" in page
    assert "Due today" in page  # the clock is Monday 30 November, 09:00
    response = key_worker_client.post(reverse("referrals:milestone", args=[cast.family.pk, referral.pk]), {
        "milestone": "acknowledged", "occurred_at": "2026-11-30T08:30", "note": "Letter received",
    })
    assert response.status_code == 302
    assert referral.milestones.filter(milestone="acknowledged").exists()
    family_page = key_worker_client.get(cast.family.get_absolute_url()).content.decode()
    assert "Decision on the referral" in family_page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"milestone": "decision", "occurred_at": "2026-12-25T10:00", "decision": "early_help"}, "occurred_at",
         "cannot be in the future"),
        ({"milestone": "assessment_completed", "occurred_at": "2026-11-01T10:00"}, "occurred_at",
         "cannot be before the referral made"),
        ({"milestone": "decision", "occurred_at": "2026-11-24T10:00", "decision": ""}, "decision",
         "Choose what children"),
        ({"milestone": "decision", "occurred_at": "2026-11-24T10:00", "decision": "early_help",
          "note": "<script>x</script>"}, "note", "angle-bracket"),
    ],
)
def test_milestone_bad_input_is_shown_next_to_the_field(cast, referral, key_worker_client, data, field, message):
    url = reverse("referrals:milestone", args=[cast.family.pk, referral.pk])
    response = key_worker_client.post(url, data)
    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors[field])
    assert referral.milestones.count() == 1
    assert shown_as_typed(response.content.decode(), data["occurred_at"])


@pytest.mark.django_db
def test_referral_create_bad_input(cast, clock, key_worker_client, birmingham):
    response = key_worker_client.post(reverse("referrals:create", args=[cast.family.pk]), {
        "children": [], "local_authority": birmingham.pk, "referred_by": "parent",
        "referral_made_at": "2027-01-01T10:00", "csc_reference": "AB/123",
    })
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "children" in errors and "referral_made_at" in errors
    assert Referral.objects.count() == 0
    assert "AB/123" in response.content.decode()


@pytest.fixture
def family_in_birmingham(cast, birmingham):
    """The manager's team works in Birmingham, so its managers may set Birmingham's thresholds."""
    cast.family.local_authority = birmingham
    cast.family.save()
    return cast.family


@pytest.mark.django_db
def test_only_managers_manage_thresholds(cast, birmingham, family_in_birmingham, key_worker_client, manager_client):
    assert key_worker_client.get(reverse("referrals:thresholds")).status_code == 404
    assert manager_client.get(reverse("referrals:thresholds")).status_code == 200
    response = manager_client.post(reverse("referrals:threshold_new"), {
        "local_authority": birmingham.pk, "from_milestone": "referral_made", "to_milestone": "decision",
        "amount": 2, "unit": "working_days", "applies_when": "always", "source": "Agreed with Birmingham",
    })
    assert response.status_code == 302
    rule = ThresholdRule.objects.get(local_authority=birmingham)
    assert (rule.basis, rule.updated_by) == ("local", cast.manager)
    duplicate = manager_client.post(reverse("referrals:threshold_new"), {
        "local_authority": birmingham.pk, "from_milestone": "referral_made", "to_milestone": "decision",
        "amount": 3, "unit": "working_days", "applies_when": "always", "source": "Again",
    })
    assert duplicate.status_code == 200
    assert ThresholdRule.objects.filter(local_authority=birmingham).count() == 1


@pytest.mark.django_db
def test_changing_a_local_threshold_moves_open_referrals_due_dates(cast, referral, birmingham, family_in_birmingham,
                                                                    manager_client,
                                                                    django_capture_on_commit_callbacks):
    rule = ThresholdRuleFactory(local_authority=birmingham, amount=2)
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(reverse("referrals:threshold_edit", args=[rule.pk]), {
            "local_authority": birmingham.pk, "from_milestone": "referral_made", "to_milestone": "decision",
            "amount": 4, "unit": "working_days", "applies_when": "always", "source": "Local agreement",
            "version": rule.version,
        })
    referral.refresh_from_db()
    assert referral.next_due_at == london(2026, 11, 28, 0, 0)  # 4 working days from Monday 23rd


def referral_page_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_referral_page_query_count_does_not_grow(cast, referral, key_worker_client):
    url = referral.get_absolute_url()
    for _ in range(2):
        SocialWorkerAllocationFactory(referral=referral)
        ParentUpdateFactory(referral=referral)
    small = referral_page_queries(key_worker_client, url)
    for _ in range(20):
        SocialWorkerAllocationFactory(referral=referral)
        ParentUpdateFactory(referral=referral)
    services.referral_record_milestone(user=cast.key_worker, referral=referral, milestone="decision",
                                       occurred_at=london(2026, 11, 24, 9, 0), decision="child_protection")
    assert referral_page_queries(key_worker_client, url) == small
    assert "chronology" in key_worker_client.get(url).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "good", "bad", "field"),
    [
        ("referrals:social_worker", {"name": "Dana Kerr", "team": "Assessment", "allocated_on": "2026-11-25"},
         {"name": "Dana Kerr", "team": "Assessment", "allocated_on": "2026-12-25"}, "allocated_on"),
        ("referrals:parent_update", {"received_on": "2026-11-26", "channel": "phone", "summary": "Rang Mum"},
         {"received_on": "2026-11-26", "channel": "", "summary": "Rang Mum"}, "channel"),
        ("referrals:escalation", {"kind": "complaint_1", "to_whom": "Complaints team", "sent_at": "2026-11-27T12:00"},
         {"kind": "complaint_1", "to_whom": "", "sent_at": "2026-11-27T12:00"}, "to_whom"),
    ],
)
def test_adding_to_a_referral(cast, referral, key_worker_client, name, good, bad, field):
    url = reverse(name, args=[cast.family.pk, referral.pk])
    response = key_worker_client.post(url, bad)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert all(shown_as_typed(response.content.decode(), value) for value in bad.values() if value)
    assert key_worker_client.post(url, good)["Location"] == referral.get_absolute_url()
    assert (referral.social_workers.count(), referral.parent_updates.count(), referral.escalations.count()) == (
        int(name.endswith("social_worker")), int(name.endswith("parent_update")), int(name.endswith("escalation"))
    )
