"""A milestone that is recorded meets its clock, whatever order the dates were recorded in; the
family page and the referral page agree on how long the family has waited to hear; a referral's
next due date follows the deadline engine when a bank holiday moves it."""

import datetime

import pytest

from core.models import BankHolidayChange
from core.working_days import Calendar
from deadlines import calendar as calendar_changes
from deadlines.models import Deadline, OverdueFlag
from deadlines.services import raise_overdue_flags
from referrals import selectors, services
from referrals.models import Milestone, Referral, ThresholdRule
from tests.factories import ParentUpdateFactory, ThresholdRuleFactory
from tests.referrals.conftest import london


def record(cast, referral, milestone, when, **fields):
    return services.referral_record_milestone(
        user=cast.key_worker, referral=referral, milestone=milestone, occurred_at=when, **fields
    )


def open_deadlines(referral):
    return Deadline.objects.filter(subject_id=referral.pk, met_at__isnull=True, cancelled_at__isnull=True)


@pytest.mark.django_db
def test_strategy_discussion_dated_before_the_decision_meets_its_clock(cast, clock, referral_at):
    referral = referral_at(london(2026, 11, 23, 10, 0))  # Monday
    record(cast, referral, Milestone.STRATEGY_DISCUSSION, london(2026, 11, 24, 11, 0))  # Tuesday
    record(cast, referral, Milestone.DECISION, london(2026, 11, 25, 9, 0),  # Wednesday
           decision=Referral.Decision.CHILD_PROTECTION)
    assert "referral:strategy_discussion" not in set(open_deadlines(referral).values_list("kind", flat=True))
    strategy = Deadline.objects.get(subject_id=referral.pk, kind="referral:strategy_discussion")
    assert strategy.met_at == london(2026, 11, 24, 11, 0)
    # Weeks later nothing about it is flagged, escalated or e-mailed.
    clock.move_to(london(2026, 12, 21, 9, 0))
    raise_overdue_flags()
    assert not OverdueFlag.objects.filter(deadline__kind="referral:strategy_discussion").exists()
    referral.refresh_from_db()
    assert referral.next_milestone == Milestone.INITIAL_CONFERENCE  # 15 working days after the discussion


@pytest.mark.django_db
def test_a_local_acknowledged_to_decision_rule_is_met_by_an_earlier_decision(cast, clock, referral_at, birmingham):
    ThresholdRuleFactory(
        local_authority=birmingham, from_milestone=Milestone.ACKNOWLEDGED, to_milestone=Milestone.DECISION,
        amount=1, unit=ThresholdRule.Unit.WORKING_DAYS,
    )
    referral = referral_at(london(2026, 11, 23, 10, 0))
    record(cast, referral, Milestone.DECISION, london(2026, 11, 23, 16, 0),
           decision=Referral.Decision.NO_FURTHER_ACTION)
    record(cast, referral, Milestone.ACKNOWLEDGED, london(2026, 11, 24, 9, 0))
    assert not open_deadlines(referral).filter(kind="referral:decision").exists()
    referral.refresh_from_db()
    assert referral.next_milestone == ""


@pytest.mark.django_db
def test_timeline_shows_how_late_a_milestone_recorded_after_the_fact_was(cast, clock, referral_at):
    # The decision came three working days late, and was only recorded when the assessment was.
    referral = referral_at(london(2026, 11, 16, 10, 0))  # Monday: decision due by the end of Tuesday
    record(cast, referral, Milestone.ASSESSMENT_STARTED, london(2026, 11, 20, 9, 0))
    record(cast, referral, Milestone.DECISION, london(2026, 11, 20, 10, 0),
           decision=Referral.Decision.CHILD_IN_NEED)
    page = selectors.referral_page(Referral.objects.get(pk=referral.pk))
    late = [entry for entry in page.timeline if entry.kind == "late"]
    assert [(entry.title, entry.detail) for entry in late] == [
        ("Was due: Decision on the referral", "Happened 3 working days late"),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("update_on", [None, (2026, 11, 20)])
def test_days_since_the_family_last_heard_is_the_same_on_both_pages(cast, clock, referral_at, update_on):
    # Made on Monday 16 November, typed in today (Monday 30th); maybe an update on Friday 20th.
    referral = referral_at(london(2026, 11, 16, 10, 0))
    if update_on:
        ParentUpdateFactory(referral=referral, received_on=datetime.date(*update_on))
    expected = 10 if update_on else 14
    [summary] = selectors.family_referrals(cast.family).recent
    page = selectors.referral_page(Referral.objects.get(pk=referral.pk))
    assert summary.days_since_last_heard == page.days_since_last_heard == expected


@pytest.mark.django_db
def test_the_referral_page_says_overdue_since_the_day_it_fell_due_not_the_day_the_job_ran(
        cast, clock, referral_at, key_worker_client):
    referral = referral_at(london(2026, 11, 23, 10, 0))  # decision due by the end of Tuesday 24th
    clock.move_to(london(2026, 11, 30, 9, 0))
    raise_overdue_flags()
    content = key_worker_client.get(referral.get_absolute_url()).content.decode()
    assert "Decision on the referral: overdue since 25 Nov 2026" in content
    assert "since 30 Nov 2026" not in content


@pytest.mark.django_db
def test_a_bank_holiday_added_moves_the_referrals_next_due_date(cast, clock, referral_at):
    referral = referral_at(london(2026, 11, 30, 8, 0))  # Monday: the decision due by the end of Tuesday
    assert Referral.objects.get(pk=referral.pk).next_due_at == london(2026, 12, 2, 0, 0)
    calendar_changes.calendar_change_record(
        user=cast.manager, calendar=Calendar.ENGLAND_AND_WALES, day=datetime.date(2026, 12, 1),
        change=BankHolidayChange.Change.ADDED, name="A one-off bank holiday", source="A proclamation",
    )
    assert Referral.objects.get(pk=referral.pk).next_due_at == london(2026, 12, 3, 0, 0)
