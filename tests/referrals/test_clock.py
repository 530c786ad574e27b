"""Recording milestones starts, meets and cancels the clocks on children's social care."""

import pytest

from core.errors import UserFixableError
from deadlines.models import Deadline, OverdueFlag
from deadlines.services import raise_overdue_flags
from referrals import services
from referrals.models import Escalation, Milestone, Referral
from tests.factories import ThresholdRuleFactory
from tests.referrals.conftest import london


def open_review(referral):
    return Deadline.objects.get(
        subject_id=referral.pk, kind="referral:review_conference", met_at__isnull=True, cancelled_at__isnull=True
    )


def open_kinds(referral):
    return set(
        Deadline.objects.filter(subject_id=referral.pk, kind__startswith="referral:", met_at__isnull=True,
                                cancelled_at__isnull=True).values_list("kind", flat=True)
    )


@pytest.mark.django_db
def test_new_referral_waits_for_a_decision_within_one_working_day(cast, clock, referral_at):
    # Friday evening: the decision is due by the end of Monday.
    clock.move_to(london(2026, 11, 27, 19, 0))
    referral = referral_at(london(2026, 11, 27, 18, 30))
    referral.refresh_from_db()
    assert referral.next_milestone == Milestone.DECISION
    assert referral.next_due_at == london(2026, 12, 1, 0, 0)
    deadline = Deadline.objects.get(kind="referral:decision")
    assert (deadline.allowance, deadline.nation, deadline.family) == ("1 working day", "england", cast.family)


@pytest.mark.django_db
def test_child_protection_decision_opens_strategy_and_assessment_clocks(cast, clock, referral_at):
    referral = referral_at(london(2026, 11, 23, 10, 0))  # Monday
    services.referral_record_milestone(
        user=cast.key_worker, referral=referral, milestone=Milestone.DECISION,
        occurred_at=london(2026, 11, 24, 15, 0), decision=Referral.Decision.CHILD_PROTECTION,
    )
    referral.refresh_from_db()
    assert open_kinds(referral) == {"referral:strategy_discussion", "referral:assessment_completed"}
    assert Deadline.objects.get(kind="referral:decision").met_at == london(2026, 11, 24, 15, 0)
    assert referral.next_milestone == Milestone.STRATEGY_DISCUSSION
    assert referral.next_due_at == london(2026, 11, 26, 0, 0)  # end of Wednesday
    # 45 working days from Monday 23 November, skipping Christmas and New Year.
    assessment = Deadline.objects.get(kind="referral:assessment_completed")
    assert assessment.due_at == london(2027, 1, 29, 0, 0)


@pytest.mark.django_db
def test_no_further_action_needs_no_assessment(cast, clock, referral_at):
    referral = referral_at(london(2026, 11, 23, 10, 0))
    services.referral_record_milestone(
        user=cast.key_worker, referral=referral, milestone=Milestone.DECISION,
        occurred_at=london(2026, 11, 24, 9, 0), decision=Referral.Decision.NO_FURTHER_ACTION,
    )
    referral.refresh_from_db()
    assert open_kinds(referral) == set()
    assert referral.next_due_at is None


@pytest.mark.parametrize(
    ("milestone", "when", "message"),
    [
        (Milestone.ASSESSMENT_COMPLETED, (2026, 11, 20, 9, 0), "cannot be before the referral made"),
        (Milestone.DECISION, (2026, 12, 25, 9, 0), "cannot be in the future"),
        (Milestone.REFERRAL_MADE, (2026, 11, 24, 9, 0), "already recorded"),
        (Milestone.CONCERN_RAISED, (2026, 11, 25, 9, 0), "cannot be after the referral made"),
    ],
)
@pytest.mark.django_db
def test_impossible_sequences_are_refused(cast, clock, referral_at, milestone, when, message):
    referral = referral_at(london(2026, 11, 23, 10, 0))
    with pytest.raises(UserFixableError, match=message):
        services.referral_record_milestone(
            user=cast.key_worker, referral=referral, milestone=milestone, occurred_at=london(*when),
            decision=Referral.Decision.EARLY_HELP,
        )
    assert referral.milestones.count() == 1


@pytest.mark.django_db
def test_decision_needs_the_decision(cast, clock, referral_at):
    referral = referral_at(london(2026, 11, 23, 10, 0))
    with pytest.raises(UserFixableError) as error:
        services.referral_record_milestone(
            user=cast.key_worker, referral=referral, milestone=Milestone.DECISION,
            occurred_at=london(2026, 11, 24, 9, 0),
        )
    assert error.value.field == "decision"


@pytest.mark.django_db
def test_local_override_changes_the_due_date(cast, clock, referral_at, birmingham):
    ThresholdRuleFactory(local_authority=birmingham, amount=3)
    referral = referral_at(london(2026, 11, 23, 10, 0))
    referral.refresh_from_db()
    assert referral.next_due_at == london(2026, 11, 27, 0, 0)  # end of Thursday, 3 working days


@pytest.mark.django_db
def test_flag_is_resolved_when_the_milestone_is_recorded(cast, clock, referral_at):
    referral = referral_at(london(2026, 11, 23, 10, 0))
    clock.move_to(london(2026, 11, 25, 9, 0))
    assert raise_overdue_flags().flagged == 1
    flag = OverdueFlag.objects.get()
    services.referral_record_milestone(
        user=cast.key_worker, referral=referral, milestone=Milestone.DECISION,
        occurred_at=london(2026, 11, 25, 8, 0), decision=Referral.Decision.EARLY_HELP,
    )
    flag.refresh_from_db()
    assert flag.resolved_at is not None
    assert flag.deadline.met_at == london(2026, 11, 25, 8, 0)


@pytest.mark.django_db
def test_closing_cancels_what_is_still_due(cast, clock, referral_at):
    referral = referral_at(london(2026, 11, 23, 10, 0))
    services.referral_record_milestone(
        user=cast.key_worker, referral=referral, milestone=Milestone.CLOSED, occurred_at=london(2026, 11, 24, 9, 0),
    )
    referral.refresh_from_db()
    assert referral.status == Referral.Status.CLOSED
    assert open_kinds(referral) == set()
    assert Deadline.objects.get(kind="referral:decision").cancelled_at is not None


@pytest.mark.django_db
def test_review_conferences_repeat(cast, clock, referral_at):
    clock.move_to(london(2027, 6, 1, 9, 0))
    referral = referral_at(london(2027, 1, 4, 10, 0))
    steps = [
        (Milestone.DECISION, (2027, 1, 5, 10, 0)),
        (Milestone.STRATEGY_DISCUSSION, (2027, 1, 6, 10, 0)),
        (Milestone.INITIAL_CONFERENCE, (2027, 1, 20, 10, 0)),
        (Milestone.FIRST_CORE_GROUP, (2027, 1, 27, 10, 0)),
    ]
    for milestone, when in steps:
        services.referral_record_milestone(
            user=cast.key_worker, referral=referral, milestone=milestone, occurred_at=london(*when),
            decision=Referral.Decision.CHILD_PROTECTION,
        )
    review = open_review(referral)
    assert review.due_at == london(2027, 4, 21, 0, 0)  # 3 months after the initial conference
    services.referral_record_milestone(
        user=cast.key_worker, referral=referral, milestone=Milestone.REVIEW_CONFERENCE,
        occurred_at=london(2027, 4, 15, 10, 0),
    )
    next_review = open_review(referral)
    assert next_review.due_at == london(2027, 10, 16, 0, 0)  # then 6 months after each review
    review.refresh_from_db()
    assert review.met_at == london(2027, 4, 15, 10, 0)


@pytest.mark.django_db
def test_complaint_starts_its_own_clock(cast, clock, referral_at):
    referral = referral_at(london(2026, 11, 23, 10, 0))
    escalation = services.escalation_record(
        user=cast.manager, referral=referral,
        escalation=Escalation(kind=Escalation.Kind.COMPLAINT_1, to_whom="Complaints officer",
                              sent_at=london(2026, 11, 27, 12, 0)),
    )
    deadline = Deadline.objects.get(kind="escalation:response")
    assert deadline.due_at == london(2026, 12, 12, 0, 0)  # 10 working days from Friday 27 November
    services.escalation_response_received(user=cast.manager, escalation=escalation,
                                          received_at=london(2026, 11, 30, 8, 0), expected_version=1)
    deadline.refresh_from_db()
    assert deadline.met_at == london(2026, 11, 30, 8, 0)
