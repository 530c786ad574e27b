"""The deadline engine works from its registry of kinds: a kind registered by a test, with no
change inside deadlines/, is flagged, told to its audience, listed and filtered in the queue with
its link, and exported. And who is told follows the one definition of each role's reach."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from deadlines import kinds, services
from deadlines.models import Notification
from families.models import Role
from tests.factories import DeadlineFactory, FamilyFactory, MembershipFactory

NOW = datetime.datetime(2026, 11, 30, 9, 0, tzinfo=datetime.UTC)
PLAN_REVIEW = "test:plan_review"


@pytest.fixture
def plan_review_kind():
    """A kind as a safety-plan app would register it: the review of a child's plan, told to the
    managers only, with a link to the child."""
    kinds.register(kinds.DeadlineKind(
        code=PLAN_REVIEW, label="Safety plan review", group="Safety plans",
        links=lambda deadlines: {d.pk: f"/plans/{d.subject_id}/" for d in deadlines},
        actions=lambda flag: [kinds.FlagAction("Review the plan", f"/plans/{flag.deadline.subject_id}/review/")],
        tells=frozenset({kinds.Audience.TEAM_MANAGERS}),
    ))
    yield
    kinds.unregister(PLAN_REVIEW)


def due(family, subject=None, **fields):
    subject = subject or family
    return DeadlineFactory(
        family=family, subject_type=ContentType.objects.get_for_model(subject), subject_id=subject.pk,
        due_at=NOW - datetime.timedelta(hours=1), escalate_at=NOW + datetime.timedelta(days=3), **fields,
    )


@pytest.mark.django_db
def test_a_kind_registered_outside_the_engine_is_flagged_told_listed_filtered_and_exported(
        cast, plan_review_kind, manager_client, time_machine):
    time_machine.move_to(NOW, tick=False)
    review = due(cast.family, cast.child, kind=PLAN_REVIEW, label="Safety plan review")
    due(cast.family, kind="referral:decision", label="Decision on the referral")
    services.raise_overdue_flags(now=NOW)
    # Told to the managers only, as the kind says; the key worker hears of the other deadline.
    told = Notification.objects.filter(channel="in_app")
    assert set(told.filter(recipient=cast.manager).values_list("flag_count", flat=True)) == {2}
    assert set(told.filter(recipient=cast.key_worker).values_list("flag_count", flat=True)) == {1}

    response = manager_client.get(reverse("deadlines:queue"))
    rows = {row.deadline.label: row for row in response.context["rows"]}
    plan = rows["Safety plan review"]
    assert plan.subject_url == f"/plans/{cast.child.pk}/"
    assert [(a.label, a.url) for a in plan.actions] == [("Review the plan", f"/plans/{cast.child.pk}/review/")]
    content = response.content.decode()
    assert f'href="/plans/{cast.child.pk}/"' in content
    assert '<optgroup label="Safety plans">' in content

    filtered = manager_client.get(reverse("deadlines:queue"), {"kind": PLAN_REVIEW})
    assert [row.deadline.pk for row in filtered.context["rows"]] == [review.pk]
    export = manager_client.get(reverse("deadlines:queue_export"), {"kind": PLAN_REVIEW}).getvalue().decode()
    assert "Safety plan review" in export and "Decision on the referral" not in export


@pytest.mark.django_db
def test_every_registered_kind_is_offered_in_the_filter():
    offered = {code for _, choices in kinds.filter_choices() for code, _ in choices}
    assert {"referral:decision", "referral:strategy_discussion", "escalation:response"} <= offered


@pytest.mark.django_db
def test_administrators_are_told_of_the_flags_of_the_teams_they_manage(cast):
    administrator = MembershipFactory(team=cast.family.team, role=Role.ADMINISTRATOR).user
    due(cast.family)
    services.raise_overdue_flags(now=NOW)
    assert Notification.objects.filter(recipient=administrator, event="raised").count() == 2  # in app, e-mail


@pytest.mark.django_db
def test_deactivated_people_are_not_told(cast):
    cast.manager.is_active = False
    cast.manager.save()
    cast.key_worker.is_active = False
    cast.key_worker.save()
    colleague = MembershipFactory(team=cast.family.team, role=Role.MANAGER).user
    due(cast.family)
    services.raise_overdue_flags(now=NOW)
    assert set(Notification.objects.values_list("recipient", flat=True)) == {colleague.pk}


@pytest.mark.django_db
def test_a_key_worker_no_longer_in_the_team_is_not_told(cast):
    elsewhere = FamilyFactory()
    stranger = MembershipFactory(team=elsewhere.team, role=Role.CASEWORKER).user
    family = FamilyFactory(team=cast.family.team, key_worker=stranger)
    due(family)
    services.raise_overdue_flags(now=NOW)
    assert not Notification.objects.filter(recipient=stranger).exists()
    assert Notification.objects.filter(recipient=cast.manager).exists()
