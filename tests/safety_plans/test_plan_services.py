"""The safety plan's one write path: every save makes exactly one version, a stale save is
refused, a restore is a new version, and the plan's dates become deadlines."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from core.errors import EditConflict
from deadlines.models import Deadline, Notification, OverdueFlag
from deadlines.services import raise_overdue_flags
from safety_plans import comparison, services
from safety_plans.models import Commitment, PersonOfConcern, PlanStep, PlanVersion, SafetyPlan, Worry

pytestmark = pytest.mark.django_db


def start_plan(cast, user=None, **text):
    plan = SafetyPlan(child=cast.child, family=cast.family, **text)
    services.safety_plan_save(user=user or cast.key_worker, plan=plan, expected_version=0)
    return SafetyPlan.objects.get(pk=plan.pk)


def add_row(plan, user, row):
    services.plan_row_save(user=user, plan=plan, row=row, expected_version=plan.version)
    plan.refresh_from_db()
    return row


def test_starting_a_plan_makes_version_one(cast):
    plan = start_plan(cast, warning_signs="Comes home late with new trainers")
    assert plan.version == 1
    version = plan.versions.get()
    assert version.number == 1
    assert version.what_changed == "Safety plan started"
    assert version.saved_by == cast.key_worker
    assert version.content["text"]["warning_signs"] == "Comes home late with new trainers"
    assert version.content["worries"] == []


def test_a_second_start_for_the_same_child_is_a_conflict(cast):
    start_plan(cast)
    with pytest.raises(EditConflict):
        services.safety_plan_save(user=cast.teammate, plan=SafetyPlan(child=cast.child, family=cast.family),
                                  expected_version=0)
    assert PlanVersion.objects.count() == 1


def test_each_save_of_anything_makes_exactly_one_version(cast):
    plan = start_plan(cast)
    plan.warning_signs = "Missing from school"
    services.safety_plan_save(user=cast.key_worker, plan=plan, expected_version=1)
    assert PlanVersion.objects.count() == 2
    add_row(plan, cast.key_worker, PersonOfConcern(name_or_description="Man in a silver Audi"))
    assert PlanVersion.objects.count() == 3
    latest = plan.versions.order_by("-number").first()
    assert latest.number == plan.version == 3
    assert latest.what_changed == "Added a person of concern: Man in a silver Audi"
    assert latest.content["people_of_concern"][0]["name_or_description"] == "Man in a silver Audi"
    assert latest.content["text"]["warning_signs"] == "Missing from school"

    row = PersonOfConcern.objects.get()
    row.vehicles = "Silver Audi, AB12 CDE"
    services.plan_row_save(user=cast.teammate, plan=plan, row=row, expected_version=3)
    plan.refresh_from_db()
    services.plan_row_remove(user=cast.teammate, plan=plan, row=row, expected_version=4)
    numbers = list(PlanVersion.objects.order_by("number").values_list("number", "what_changed"))
    assert [n for n, _ in numbers] == [1, 2, 3, 4, 5]
    assert numbers[3][1] == "Changed a person of concern: Man in a silver Audi"
    assert numbers[4][1] == "Removed a person of concern: Man in a silver Audi"


def test_a_save_without_a_note_says_what_changed(cast):
    plan = start_plan(cast)
    plan.warning_signs = "New phone"
    plan.school = "Attending part-time"
    services.safety_plan_save(user=cast.key_worker, plan=plan, expected_version=1)
    assert plan.versions.get(number=2).what_changed == "Changed school and warning signs"


def test_a_save_that_changes_nothing_makes_no_version(cast):
    plan = start_plan(cast, school="Year 9")
    with pytest.raises(services.NothingToSave):
        services.safety_plan_save(user=cast.key_worker, plan=plan, expected_version=1)
    plan.refresh_from_db()
    assert plan.version == 1
    assert PlanVersion.objects.count() == 1


def test_a_stale_save_is_refused_and_changes_nothing(cast):
    plan = start_plan(cast)
    mine = SafetyPlan.objects.get(pk=plan.pk)
    theirs = SafetyPlan.objects.get(pk=plan.pk)
    theirs.warning_signs = "Theirs"
    services.safety_plan_save(user=cast.teammate, plan=theirs, expected_version=1)
    mine.warning_signs = "Mine"
    with pytest.raises(EditConflict):
        services.safety_plan_save(user=cast.key_worker, plan=mine, expected_version=1)
    with pytest.raises(EditConflict):
        services.plan_row_save(user=cast.key_worker, plan=mine, row=Worry(who_is_worried="Mum", worry="x"),
                               expected_version=1)
    plan.refresh_from_db()
    assert plan.warning_signs == "Theirs"
    assert plan.version == 2
    assert not Worry.objects.exists()
    assert PlanVersion.objects.count() == 2


def test_restore_rewrites_the_rows_as_a_new_version(cast):
    plan = start_plan(cast, school="Year 9")
    worry = add_row(plan, cast.key_worker, Worry(who_is_worried="Mum", worry="Older boys at the park"))
    add_row(plan, cast.key_worker, PlanStep(if_this_happens="Tyler is not home by 9", then_we_do="Ring him"))
    # version 3: the worry, the step, "Year 9"
    plan.school = "Moved to a new school"
    services.safety_plan_save(user=cast.key_worker, plan=plan, expected_version=3)
    plan.refresh_from_db()
    services.plan_row_remove(user=cast.key_worker, plan=plan, row=Worry.objects.get(), expected_version=4)
    plan.refresh_from_db()
    add_row(plan, cast.key_worker, Worry(who_is_worried="School", worry="Late every day"))
    assert plan.version == 6

    services.safety_plan_restore(user=cast.teammate, plan=plan, number=3, expected_version=6)
    plan.refresh_from_db()
    assert plan.version == 7
    assert plan.school == "Year 9"
    assert list(Worry.objects.filter(plan=plan).values_list("worry", flat=True)) == ["Older boys at the park"]
    # The removed worry came back as the same row, so comparisons see the same worry.
    assert Worry.objects.get().pk == worry.pk
    restored = plan.versions.get(number=7)
    assert restored.what_changed == "Restored version 3"
    assert restored.restored_from == 3
    assert restored.saved_by == cast.teammate
    assert comparison.same_content(restored.content, plan.versions.get(number=3).content)
    assert PlanVersion.objects.count() == 7


def test_a_stale_restore_is_refused(cast):
    plan = start_plan(cast)
    plan.school = "Year 10"
    services.safety_plan_save(user=cast.key_worker, plan=plan, expected_version=1)
    with pytest.raises(EditConflict):
        services.safety_plan_restore(user=cast.teammate, plan=plan, number=1, expected_version=1)
    plan.refresh_from_db()
    assert plan.school == "Year 10"


def _open_deadlines(subject):
    return Deadline.objects.filter(
        subject_type=ContentType.objects.get_for_model(subject), subject_id=subject.pk,
        met_at__isnull=True, cancelled_at__isnull=True,
    )


def test_a_dated_commitment_is_a_deadline_met_when_done(cast):
    plan = start_plan(cast)
    due = timezone.localdate() + datetime.timedelta(days=14)
    commitment = add_row(plan, cast.key_worker, Commitment(who="School", commitment="Meet Tyler at the gate",
                                                           due_on=due))
    deadline = _open_deadlines(commitment).get()
    assert deadline.kind == "plan:commitment"
    assert deadline.family == cast.family

    services.commitment_mark_done(user=cast.key_worker, plan=plan, commitment=commitment,
                                  expected_version=plan.version)
    deadline.refresh_from_db()
    assert deadline.met_at is not None
    assert not _open_deadlines(commitment).exists()


def test_a_removed_commitment_has_no_open_deadline(cast):
    plan = start_plan(cast)
    commitment = add_row(plan, cast.key_worker, Commitment(
        who="Police", commitment="Visit the address", due_on=timezone.localdate() + datetime.timedelta(days=7)))
    deadline = _open_deadlines(commitment).get()
    services.plan_row_remove(user=cast.key_worker, plan=plan, row=commitment, expected_version=plan.version)
    deadline.refresh_from_db()
    assert deadline.cancelled_at is not None
    assert deadline.met_at is None


def test_the_review_date_is_a_deadline(cast):
    review = timezone.localdate() + datetime.timedelta(days=28)
    plan = start_plan(cast, review_on=review)
    deadline = _open_deadlines(plan).get()
    assert deadline.kind == "plan:review"
    plan.review_on = None
    services.safety_plan_save(user=cast.key_worker, plan=plan, expected_version=1)
    assert not _open_deadlines(plan).exists()


def test_a_review_and_a_commitment_past_their_dates_are_flagged_once_through_the_shared_job(cast):
    today = timezone.localdate()
    plan = start_plan(cast, review_on=today - datetime.timedelta(days=1))
    add_row(plan, cast.key_worker, Commitment(who="School", commitment="Ring Mum about absences",
                                              due_on=today - datetime.timedelta(days=2)))
    assert raise_overdue_flags().flagged == 2
    assert raise_overdue_flags(now=timezone.now() + datetime.timedelta(minutes=5)).flagged == 0
    assert set(OverdueFlag.objects.values_list("deadline__kind", flat=True)) == {"plan:review", "plan:commitment"}
    # The family's key worker and the team's manager are told, in the application and by e-mail.
    told = set(Notification.objects.values_list("recipient", "channel"))
    people = (cast.key_worker, cast.manager)
    assert told == {(person.pk, channel) for person in people for channel in ("in_app", "email")}
    # Done, it is resolved.
    commitment = Commitment.objects.get()
    services.commitment_mark_done(user=cast.key_worker, plan=SafetyPlan.objects.get(pk=plan.pk),
                                  commitment=commitment, expected_version=plan.version)
    assert OverdueFlag.objects.get(deadline__kind="plan:commitment").resolved_at is not None


def test_a_commitment_by_an_agency_in_the_directory_is_linked_to_it(cast):
    from agencies.models import Agency

    school = Agency.objects.create(name="Park Hill Academy", kind=Agency.Kind.SCHOOL,
                                   local_authority=cast.family.local_authority)
    plan = start_plan(cast)
    by_school = add_row(plan, cast.key_worker, Commitment(who="park hill academy", commitment="Ring Mum"))
    by_mum = add_row(plan, cast.key_worker, Commitment(who="Mum", commitment="Keep the screenshots"))
    assert Commitment.objects.get(pk=by_school.pk).agency == school
    assert Commitment.objects.get(pk=by_mum.pk).agency is None
    assert Commitment.objects.get(pk=by_school.pk).who == "park hill academy"  # as written
