"""Local thresholds: who may change which authority's clocks, every change in the history with
its old and new values, open referrals brought onto the new rule in the background (also those
of an authority a rule was moved away from or removed from), and no silent overwrites."""

import pytest
from django.urls import reverse

from families.models import LocalAuthority, Role
from referrals import services
from referrals.models import Escalation, Referral, ThresholdChange, ThresholdRule
from tests.conftest import client_for
from tests.factories import FamilyFactory, MembershipFactory, ThresholdRuleFactory
from tests.referrals.conftest import london

DEFAULT_DUE = london(2026, 11, 25, 0, 0)  # 1 working day after Monday 23rd: the end of Tuesday
FOUR_DAYS_DUE = london(2026, 11, 28, 0, 0)  # 4 working days: the end of Friday


def rule_data(authority, amount=4, **extra):
    return {
        "local_authority": authority.pk, "from_milestone": "referral_made", "to_milestone": "decision",
        "amount": amount, "unit": "working_days", "applies_when": "always", "source": "Local agreement", **extra,
    }


@pytest.fixture
def leeds(db):
    return LocalAuthority.objects.get(code="E08000035")


@pytest.fixture
def works_in_both(cast, birmingham, leeds):
    """The manager's team has a family in Birmingham (with a referral) and one in Leeds."""
    cast.family.local_authority = birmingham
    cast.family.save()
    FamilyFactory(team=cast.family.team, local_authority=leeds)


@pytest.fixture
def referral(cast, clock, referral_at):
    return referral_at(london(2026, 11, 23, 10, 0))


def next_due(referral):
    return Referral.objects.get(pk=referral.pk).next_due_at


@pytest.mark.django_db
def test_a_manager_of_a_team_with_no_families_there_cannot_change_an_authoritys_clocks(
        cast, birmingham, works_in_both, referral, django_capture_on_commit_callbacks):
    rule = ThresholdRuleFactory(local_authority=birmingham, amount=4)
    services.referral_recompute_deadlines(Referral.objects.get(pk=referral.pk))
    stranger = client_for(MembershipFactory(role=Role.MANAGER).user)  # manages a team with no families
    assert stranger.get(reverse("referrals:threshold_edit", args=[rule.pk])).status_code == 404
    assert stranger.post(reverse("referrals:threshold_remove", args=[rule.pk]), {"version": 1}).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = stranger.post(reverse("referrals:threshold_new"), rule_data(birmingham, amount=1))
    assert response.status_code == 200
    assert "local_authority" in response.context["form"].errors
    assert ThresholdRule.objects.filter(local_authority=birmingham).count() == 1
    assert next_due(referral) == FOUR_DAYS_DUE
    assert not ThresholdChange.objects.exists()


@pytest.mark.django_db
def test_every_change_is_in_the_history_with_who_when_and_the_values_before_and_after(
        cast, birmingham, works_in_both, referral, manager_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(reverse("referrals:threshold_new"), rule_data(birmingham, amount=4))
    rule = ThresholdRule.objects.get(local_authority=birmingham)
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(reverse("referrals:threshold_edit", args=[rule.pk]),
                            rule_data(birmingham, amount=3, version=rule.version))
    changed, added = ThresholdChange.objects.order_by("-pk")
    assert (added.action, added.before, added.after["amount"]) == ("added", None, 4)
    assert (changed.action, changed.before["amount"], changed.after["amount"]) == ("changed", 4, 3)
    assert changed.changed_by == cast.manager and changed.changed_at is not None
    page = manager_client.get(reverse("referrals:thresholds")).content.decode()
    assert "Referral made to decision on the referral: 4 working days (always)" in page
    assert "Applied to 1 open referral" in page


@pytest.mark.django_db
def test_open_referrals_are_recomputed_after_the_change_commits_not_inside_the_request(
        cast, birmingham, works_in_both, referral, manager_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = manager_client.post(reverse("referrals:threshold_new"), rule_data(birmingham, amount=4))
    assert response.status_code == 302
    assert next_due(referral) == DEFAULT_DUE  # the request changed no referral
    change = ThresholdChange.objects.get()
    assert change.applied_at is None
    assert "Being applied" in manager_client.get(reverse("referrals:thresholds")).content.decode()
    for callback in callbacks:
        callback()
    change.refresh_from_db()
    assert change.referrals_recomputed == 1 and change.applied_at is not None
    assert next_due(referral) == FOUR_DAYS_DUE


@pytest.mark.django_db
def test_moving_a_rule_to_another_authority_recomputes_the_one_it_left(
        cast, birmingham, leeds, works_in_both, referral, manager_client, django_capture_on_commit_callbacks):
    rule = ThresholdRuleFactory(local_authority=birmingham, amount=4)
    services.referral_recompute_deadlines(Referral.objects.get(pk=referral.pk))
    assert next_due(referral) == FOUR_DAYS_DUE
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(reverse("referrals:threshold_edit", args=[rule.pk]),
                                       rule_data(leeds, amount=4, version=rule.version))
    assert response.status_code == 302
    assert next_due(referral) == DEFAULT_DUE
    assert set(ThresholdChange.objects.get().local_authorities.all()) == {birmingham, leeds}


@pytest.mark.django_db
def test_removing_a_rule_brings_its_referrals_back_to_the_default(
        cast, birmingham, works_in_both, referral, manager_client, django_capture_on_commit_callbacks):
    rule = ThresholdRuleFactory(local_authority=birmingham, amount=4)
    services.referral_recompute_deadlines(Referral.objects.get(pk=referral.pk))
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(reverse("referrals:threshold_remove", args=[rule.pk]),
                                       {"version": rule.version})
    assert response.status_code == 302
    assert not ThresholdRule.objects.filter(pk=rule.pk).exists()
    assert next_due(referral) == DEFAULT_DUE
    assert ThresholdChange.objects.get().action == "removed"


@pytest.mark.django_db
def test_two_managers_changing_the_same_rule_do_not_overwrite_each_other(
        cast, birmingham, works_in_both, manager_client):
    rule = ThresholdRuleFactory(local_authority=birmingham, amount=4)
    colleague = client_for(MembershipFactory(team=cast.family.team, role=Role.MANAGER).user)
    version = rule.version
    assert colleague.post(reverse("referrals:threshold_edit", args=[rule.pk]),
                          rule_data(birmingham, amount=3, version=version)).status_code == 302
    response = manager_client.post(reverse("referrals:threshold_edit", args=[rule.pk]),
                                   rule_data(birmingham, amount=6, version=version))
    assert response.status_code == 200
    assert "Someone else saved a change" in response.content.decode()
    assert ThresholdRule.objects.get(pk=rule.pk).amount == 3


@pytest.mark.django_db
def test_two_people_recording_an_escalations_response_do_not_overwrite_each_other(
        cast, referral, key_worker_client, manager_client):
    escalation = services.escalation_record(
        user=cast.manager, referral=referral,
        escalation=Escalation(kind=Escalation.Kind.LETTER, to_whom="Team manager", sent_at=london(2026, 11, 27, 9, 0)),
    )
    url = reverse("referrals:escalation_response", args=[cast.family.pk, referral.pk, escalation.pk])
    assert key_worker_client.post(url, {"response_received_at": "2026-11-30T08:00", "version": 1}).status_code == 302
    response = manager_client.post(url, {"response_received_at": "2026-11-29T10:00", "version": 1})
    assert response.status_code == 200
    assert "Someone else saved a change" in response.content.decode()
    assert Escalation.objects.get(pk=escalation.pk).response_received_at == london(2026, 11, 30, 8, 0)
