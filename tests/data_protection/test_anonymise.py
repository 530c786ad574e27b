"""The retention run: an approved run anonymises exactly the families its dry run listed (still due,
not held), in batches of one transaction each, leaving a tombstone the delay and accountability
figures still count."""

from datetime import UTC, date, datetime, timedelta
from io import StringIO
from unittest import mock

import pytest
from auditlog.models import LogEntry
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core import audit
from data_protection import anonymise, services
from data_protection.anonymise import TOMBSTONES, run_retention
from data_protection.models import LegalHold, RetentionRun, SubjectAccessRequest
from data_protection.retention import dry_run, families_due
from deadlines.models import Deadline
from families.models import AgencyKind, Challenge, ContactRevision, Family, Person, Role, SharingWithoutConsent
from meetings.figures import accountability_figures
from meetings.models import ActionChase, MeetingAction
from referrals.figures import delay_figures
from referrals.models import Milestone
from safety_plans.models import (
    Commitment,
    IntelligenceEntry,
    MissingEpisode,
    PersonOfConcern,
    PlanStep,
    PlanVersion,
    SafetyPlan,
    SafetyRating,
    Worry,
)
from tests.conftest import client_for
from tests.factories import (
    ChildFactory,
    ConsentFactory,
    ContactFactory,
    DeadlineFactory,
    EscalationFactory,
    FamilyFactory,
    FamilyTransferFactory,
    FollowUpFactory,
    MembershipFactory,
    MilestoneRecordFactory,
    OverdueFlagFactory,
    ParentUpdateFactory,
    PersonFactory,
    ReferralFactory,
    RiskLevelChangeFactory,
    SocialWorkerAllocationFactory,
    UserFactory,
)
from tests.meetings.factories import AgencyFactory, MeetingActionFactory, MeetingFactory

LONG_AGO = datetime(2010, 3, 1, 12, tzinfo=UTC)
NOW = datetime(2026, 6, 1, 9, tzinfo=UTC)


@pytest.fixture
def administrator(db):
    return MembershipFactory(role=Role.ADMINISTRATOR).user


def _at(days):
    return LONG_AGO + timedelta(days=days)


def family_with_everything(number, worker):
    """A closed family long past its retention date with a record of every kind, each holding
    ``secrets_of(family)``: the carer's and child's names, a phone number, the postcode and words."""
    marker = f"Quillonwy{number}"
    family = FamilyFactory(
        status=Family.Status.CLOSED, closure_reason=Family.ClosureReason.SUPPORT_COMPLETE, closed_on=date(2011, 1, 1),
        created_at=LONG_AGO, postcode=f"ZZ{number} 9QX", address=f"{number} {marker} Road",
        safe_contact_times=f"After 6, ask for {marker}", contact_notes=f"{marker} works nights",
    )
    phone = f"07700 95{number:04d}"
    carer = PersonFactory(family=family, first_name=f"{marker}Mum", last_name=f"{marker}Surname", phone=phone,
                          email=f"{marker.lower()}@example.org")
    child = ChildFactory(family=family, first_name=f"{marker}Child", last_name=f"{marker}Surname",
                         date_of_birth=date(1990, 5, 5), school=f"{marker} Academy",
                         additional_needs=f"{marker} has ADHD")
    RiskLevelChangeFactory(child=child, reason=f"{marker} was seen with older boys")
    ConsentFactory(family=family, given_by=carer, given_on=date(2010, 3, 1), notes=f"{marker} agreed on the phone")
    SharingWithoutConsent.objects.create(family=family, agency_kind=AgencyKind.POLICE, what=f"Sheet about {marker}",
                                         reason=f"{marker} at risk of serious harm", shared_by=worker)
    FamilyTransferFactory(family=family, reason=f"{marker} moved to Leeds", transferred_by=worker)
    call = ContactFactory(family=family, occurred_at=_at(10), worker=worker, spoke_with=carer,
                          summary=f"{marker}Mum said {marker}Child came home at 3am")
    revision = ContactRevision.objects.create(
        contact=call, family=family, kind=ContactRevision.Kind.AMEND, reason=f"{marker} corrected a date",
        changed_by=worker, summary=f"Earlier words about {marker}", occurred_at=_at(10),
    )
    Challenge.objects.create(
        family=family, entry_type=ContentType.objects.get_for_model(call), entry_id=call.pk, raised_by=carer,
        received_on=date(2010, 4, 1), what_is_wrong=f"{marker}Mum did not say that", recorded_by=worker,
        what_it_should_say=f"{marker} said something else", outcome=Challenge.Outcome.CORRECTED,
        reason=f"{marker} was right", decided_by=worker, decided_on=date(2010, 4, 2), amendment=revision,
    )
    FollowUpFactory(family=family, contact=call, description=f"Ring {marker}Mum back", owner=worker,
                    due_on=date(2010, 3, 20))

    referral = ReferralFactory(family=family, created_by=worker, summary=f"{marker}Child missing from school",
                               csc_reference=f"CSC-{marker}")
    referral.children.add(child)
    MilestoneRecordFactory(referral=referral, milestone=Milestone.REFERRAL_MADE, occurred_at=_at(number),
                           note=f"Sent by {marker}")
    MilestoneRecordFactory(referral=referral, milestone=Milestone.DECISION, occurred_at=_at(number + 3),
                           note=f"Told {marker}Mum")
    if number % 2:
        MilestoneRecordFactory(referral=referral, milestone=Milestone.ASSESSMENT_COMPLETED,
                               occurred_at=_at(number + 40))
    SocialWorkerAllocationFactory(referral=referral, name=f"Social worker of {marker}", allocated_on=date(2010, 3, 5))
    ParentUpdateFactory(referral=referral, received_on=date(2010, 3, 9), summary=f"{marker}Mum was told")
    EscalationFactory(referral=referral, note=f"Chased about {marker}Child", sent_at=_at(20))

    plan = SafetyPlan.objects.create(
        child=child, family=family, created_by=worker, what_is_working_well=f"{marker}Mum talks to school",
        warning_signs=f"{marker}Child has new trainers", police_references=f"PR-{marker}",
        agreed_by=f"{marker}Mum, {marker}Child",
    )
    Worry.objects.create(plan=plan, who_is_worried=f"{marker}Mum", worry=f"{marker}Child is being groomed")
    PersonOfConcern.objects.create(plan=plan, name_or_description=f"{marker}'s cousin", phone_numbers=phone,
                                   vehicles="AB12 CDE", online_handles=f"@{marker}")
    PlanStep.objects.create(plan=plan, if_this_happens=f"{marker}Child goes missing", then_we_do="Ring 999")
    commitment = Commitment.objects.create(plan=plan, who=f"{marker}Mum", commitment=f"{marker}Mum rings the PLO",
                                           due_on=date(2010, 4, 1))
    SafetyRating.objects.create(plan=plan, rated_by=f"{marker}Mum", score=4, note=f"{marker} scared",
                                recorded_by=worker)
    PlanVersion.objects.create(plan=plan, number=1, content={"worries": [f"{marker}Child is being groomed"]},
                               what_changed=f"Added {marker}'s worry", saved_by=worker)
    IntelligenceEntry.objects.create(
        family=family, child=child, kind=IntelligenceEntry.Kind.PHONE, observed_at=_at(15),
        description=f"{marker}Child's dealer rang", phone=phone, phone_key=phone.replace(" ", ""),
        handle=f"@{marker}", handle_key=marker.lower(), source=f"{marker}Mum", recorded_by=worker,
        police_reference=f"PR-{marker}",
    )
    MissingEpisode.objects.create(child=child, family=family, went_missing_at=_at(30), returned_at=_at(31),
                                  where_found=f"{marker}'s cousin's flat", notes=f"{marker}Child was scared",
                                  recorded_by=worker)
    deadline = DeadlineFactory(family=family, kind="plan:commitment", label=f"Commitment: {marker}Mum",
                               subject_type=ContentType.objects.get_for_model(commitment), subject_id=commitment.pk)
    OverdueFlagFactory(deadline=deadline, acknowledgement_note=f"{marker}Mum is in hospital")

    meeting = MeetingFactory(family=family, held_at=_at(number + 5), others_present=f"{marker}'s aunt",
                             notes=f"{marker}Child spoke up", parent_correction=f"{marker}Mum disagrees")
    meeting.children.add(child)
    police = AgencyFactory(name=f"Police of authority {number}", local_authority=family.local_authority)
    MeetingActionFactory(meeting=meeting, agency=police, agency_name="", description=f"Visit {marker}",
                         owner_name=f"PC {marker}", due_on=date(2010, 3, 30), status=MeetingAction.Status.DONE,
                         done_on=date(2010, 4, 2), evidence=f"{marker}Mum confirmed")
    MeetingActionFactory(meeting=meeting, agency_name="Hill School", description=f"Move {marker}Child's class",
                         due_on=date(2010, 4, 10))
    dropped = MeetingActionFactory(meeting=meeting, agency_name="Youth club", status=MeetingAction.Status.DROPPED,
                                   dropped_on=date(2010, 5, 1), dropped_reason=f"{marker} left the club",
                                   description=f"Keep {marker}Child a place")
    ActionChase.objects.create(action=dropped, how=f"Rang {marker}Mum", chased_by=worker)
    return family


def secrets_of(family_number):
    marker = f"Quillonwy{family_number}"
    return [marker, marker.lower(), f"07700 95{family_number:04d}", f"0770095{family_number:04d}",
            f"ZZ{family_number} 9QX", f"ZZ{family_number}9QX", "AB12 CDE", "1990-05-05"]


def rows_of(family):
    """Every value of every row the family's record is made of, as text."""
    values = [str(value) for value in Family.objects.filter(pk=family.pk).values().get().values()]
    for tombstone in TOMBSTONES:
        for row in tombstone.model.objects.filter(**{tombstone.family_path: family.pk}).values():
            values.extend(str(value) for value in row.values())
    return values


def secrets_left(family, number):
    text = "\n".join(rows_of(family))
    return [secret for secret in secrets_of(number) if secret in text]


def audit_text(family):
    entries = LogEntry.objects.filter(additional_data__family_id=family.pk)
    return "\n".join(f"{e.object_repr} {e.changes} {e.changes_text} {e.serialized_data} {e.additional_data}"
                     for e in entries)


def figures(team_ids):
    return (
        delay_figures(local_authority_ids=None, start=date(2009, 1, 1), end=date(2011, 12, 31), now=NOW),
        accountability_figures(team_ids=team_ids, start=date(2009, 1, 1), end=date(2011, 12, 31), today=NOW.date()),
    )


@pytest.fixture
def families(db):
    worker = UserFactory()
    return {number: family_with_everything(number, worker) for number in (1, 2, 3)}


def approved_run(administrator, today=None):
    run = services.retention_run_work_out(user=administrator, today=today)
    return services.retention_run_approve(user=administrator, run=run, families_typed=run.families_listed)


def is_anonymised(family):
    family.refresh_from_db()
    return family.anonymised_at is not None


def records_held(families):
    """How many rows of the tombstoned models the families' records are made of."""
    ids = [family.pk for family in families]
    return sum(tombstone.model.objects.filter(**{f"{tombstone.family_path}__in": ids}).count()
               for tombstone in TOMBSTONES)


def anonymisation_entries(run, family=None):
    entries = LogEntry.objects.filter(additional_data__event=anonymise.event_for(run))
    return entries.filter(additional_data__family_id=family.pk) if family else entries


# ------------------------------------------------------------------ what is anonymised


def test_every_model_that_holds_a_familys_record_has_a_tombstone(db):
    """A model added later with a link to a family (or to anything of one) must say how it is anonymised."""
    covered = {tombstone.model for tombstone in TOMBSTONES} | {Family}
    belongs = {Family}
    project = [model for model in apps.get_models() if model._meta.app_label in {
        "families", "referrals", "safety_plans", "meetings", "deadlines", "data_protection", "agencies", "core"}]
    grew = True
    while grew:
        grew = False
        for model in project:
            if model in belongs:
                continue
            if any(f.many_to_one or f.one_to_one for f in model._meta.concrete_fields
                   if f.is_relation and f.related_model in belongs):
                belongs.add(model)
                grew = True
    assert belongs - covered == set()


def test_the_run_anonymises_exactly_the_families_its_dry_run_listed(families, administrator):
    # A family not yet due (its child turns 25 in 2030) and an open one stay as they are.
    young = family_with_everything(4, UserFactory())
    Person.objects.filter(family=young, kind=Person.Kind.CHILD).update(date_of_birth=date(2005, 5, 5))
    open_family = FamilyFactory()
    listed = set(families_due(timezone.localdate()).values_list("pk", flat=True))
    assert listed == {family.pk for family in families.values()}
    assert dry_run().families == 3

    run = run_retention(approved_run(administrator).pk)

    assert set(run.family_ids) == listed
    assert set(Family.objects.filter(anonymised_at__isnull=False).values_list("pk", flat=True)) == listed
    assert run.state == RetentionRun.State.DONE and run.families_anonymised == 3
    assert run.started_at and run.finished_at
    assert not is_anonymised(young) and not is_anonymised(open_family)
    assert secrets_left(young, 4) != []
    assert dry_run().families == 0


def test_no_name_phone_postcode_or_words_are_left_in_any_row_or_in_the_audit_trail(families, administrator):
    assert secrets_left(families[1], 1) != []  # the scan finds them before
    run_retention(approved_run(administrator).pk)
    for number, family in families.items():
        assert secrets_left(family, number) == []
        # The trail keeps dates (which a date of birth is): only its words are checked.
        assert not any(secret in audit_text(family) for secret in secrets_of(number) if secret != "1990-05-05")
        family.refresh_from_db()
        assert family.reference.startswith("ANON-") and len(family.reference) == 12
    person = Person.objects.filter(family=families[1], kind=Person.Kind.CHILD).get()
    assert person.first_name == anonymise.ANONYMISED and person.date_of_birth is None and person.phone_digits == ""
    assert PlanVersion.objects.get(plan__family=families[1]).content == {}
    assert Deadline.objects.get(family=families[1]).label == "Safety network commitment"
    # What the schema asks of a record is still true: a dropped action still has its reason.
    dropped = MeetingAction.objects.get(meeting__family=families[1], status=MeetingAction.Status.DROPPED)
    assert dropped.dropped_reason == anonymise.ANONYMISED


def test_each_family_anonymised_has_one_audit_row_naming_the_run(families, administrator):
    records = records_held(families.values())
    assert records > 20 * 3
    run = run_retention(approved_run(administrator).pk)
    for family in families.values():
        rows = anonymisation_entries(run, family)
        assert rows.count() == 1
        row = rows.get()
        assert row.actor == administrator
        assert row.changes["anonymised_at"][0] is None and row.changes["anonymised_at"][1]
        # The three went in one batch: the row says how many records that batch's UPDATEs changed.
        assert row.additional_data["run"] == run.pk
        assert row.additional_data["families_in_batch"] == 3 and row.additional_data["records_in_batch"] == records
    finished = LogEntry.objects.filter(additional_data__event="retention run finished", object_pk=str(run.pk)).get()
    assert finished.additional_data["families_anonymised"] == 3


def test_delay_and_accountability_figures_are_the_same_before_and_after(families, administrator):
    team_ids = [family.team_id for family in families.values()]
    before = figures(team_ids)
    assert before[0] and before[1].total.agreed == 9  # the figures count something
    run_retention(approved_run(administrator).pk)
    assert figures(team_ids) == before


def test_a_family_held_after_the_dry_run_is_untouched(families, administrator):
    run = approved_run(administrator)
    services.hold_place(user=administrator, family=families[2], reason=LegalHold.Reason.COMPLAINT,
                        details="Complaint to the ICO", review_on=timezone.localdate() + timedelta(days=30))
    run = run_retention(run.pk)
    assert run.families_anonymised == 2
    assert not is_anonymised(families[2])
    assert set(secrets_left(families[2], 2)) == set(secrets_of(2))
    assert is_anonymised(families[1]) and is_anonymised(families[3])


def test_a_family_held_before_the_dry_run_is_not_listed(families, administrator):
    services.hold_place(user=administrator, family=families[1], reason=LegalHold.Reason.PROSECUTION,
                        details="Trial listed", review_on=timezone.localdate() + timedelta(days=30))
    run = run_retention(approved_run(administrator).pk)
    assert families[1].pk not in run.family_ids and run.figures["held"] == 1
    assert not is_anonymised(families[1])


def test_a_family_with_an_open_subject_access_request_is_kept_until_it_is_answered(families, administrator):
    person = families[1].people.first()
    services.subject_access_record(
        user=administrator, family=families[1], person=person, asked_by=SubjectAccessRequest.AskedBy.THEMSELF,
        asked_by_name="", identity_check=SubjectAccessRequest._meta.get_field("identity_check").choices[0][0],
        identity_details="Passport seen.", received_on=timezone.localdate())
    run = run_retention(approved_run(administrator).pk)
    assert families[1].pk not in run.family_ids and run.figures["held"] == 1
    assert not is_anonymised(families[1])


def test_a_family_due_only_after_the_dry_run_is_not_anonymised(families, administrator):
    run = approved_run(administrator)
    later = family_with_everything(5, UserFactory())
    assert later.pk in set(families_due(timezone.localdate()).values_list("pk", flat=True))
    run_retention(run.pk)
    assert not is_anonymised(later)


def test_a_rerun_does_nothing(families, administrator):
    run = run_retention(approved_run(administrator).pk)
    references = dict(Family.objects.values_list("pk", "reference"))
    entries = LogEntry.objects.count()
    again = run_retention(run.pk)
    assert again.families_anonymised == 3 and again.finished_at == run.finished_at
    assert dict(Family.objects.values_list("pk", "reference")) == references
    assert LogEntry.objects.count() == entries
    # A new run finds nothing left to do.
    assert services.retention_run_work_out(user=administrator).families_listed == 0


def test_a_run_killed_midway_then_run_again_leaves_each_family_whole_or_fully_anonymised(families, administrator):
    run = approved_run(administrator)
    real = audit.record_changes
    calls = []

    def dies_at_the_second_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        return real(*args, **kwargs)

    # Batches of two: families 1 and 2, then 3.
    with mock.patch.object(anonymise, "BATCH_SIZE", 2), \
            mock.patch.object(anonymise.audit, "record_changes", side_effect=dies_at_the_second_batch), \
            pytest.raises(RuntimeError):
        run_retention(run.pk)

    run.refresh_from_db()
    assert run.state == RetentionRun.State.RUNNING and run.families_anonymised == 2
    for number in (1, 2):
        assert is_anonymised(families[number]) and secrets_left(families[number], number) == []
    # Whole: the second batch's UPDATEs were rolled back with its transaction.
    assert not is_anonymised(families[3])
    assert set(secrets_left(families[3], 3)) == set(secrets_of(3))

    run = run_retention(run.pk)
    assert run.state == RetentionRun.State.DONE and run.families_anonymised == 3
    for number, family in families.items():
        assert is_anonymised(family) and secrets_left(family, number) == []
        assert LogEntry.objects.filter(additional_data__family_id=family.pk,
                                       additional_data__event=anonymise.event_for(run)).count() == 1


def test_a_crash_in_the_middle_of_a_batch_leaves_every_family_of_it_whole_and_the_rerun_completes_them(
        families, administrator):
    run = approved_run(administrator)
    plans = f'UPDATE "{SafetyPlan._meta.db_table}"'
    updates = []

    def plans_update_fails(execute, sql, params, many, context):
        if sql.startswith("UPDATE "):
            updates.append(sql)
        if sql.startswith(plans):
            raise RuntimeError("database went away")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(plans_update_fails), pytest.raises(RuntimeError):
        run_retention(run.pk)

    # People, calls, referrals… were updated before the plans were reached, in the same transaction.
    assert len(updates) > 10
    run.refresh_from_db()
    assert run.state == RetentionRun.State.RUNNING and run.families_anonymised == 0
    assert not anonymisation_entries(run).exists()
    for number, family in families.items():
        assert not is_anonymised(family) and not family.reference.startswith("ANON-")
        assert set(secrets_left(family, number)) == set(secrets_of(number))

    run = run_retention(run.pk)
    assert run.state == RetentionRun.State.DONE and run.families_anonymised == 3
    for number, family in families.items():
        assert is_anonymised(family) and secrets_left(family, number) == []
        assert anonymisation_entries(run, family).count() == 1


def test_a_batch_skips_the_family_held_after_the_dry_run_and_anonymises_the_others(families, administrator):
    run = approved_run(administrator)
    services.hold_place(user=administrator, family=families[2], reason=LegalHold.Reason.PROSECUTION,
                        details="Trial listed", review_on=timezone.localdate() + timedelta(days=30))
    run = run_retention(run.pk)

    assert run.families_anonymised == 2
    rows = list(anonymisation_entries(run))
    assert sorted(int(row.object_pk) for row in rows) == [families[1].pk, families[3].pk]
    # One batch, one moment: the held family was left out of it, not given a batch of its own.
    assert len({row.timestamp for row in rows}) == 1
    assert all(row.additional_data["families_in_batch"] == 2 for row in rows)
    assert rows[0].additional_data["records_in_batch"] == records_held([families[1], families[3]])
    assert not is_anonymised(families[2]) and set(secrets_left(families[2], 2)) == set(secrets_of(2))


def test_a_reference_already_taken_draws_the_batchs_references_again(families, administrator):
    taken = FamilyFactory(reference="ANON-TAKEN00")
    drawn = iter([["ANON-FRESH01", "ANON-TAKEN00", "ANON-FRESH03"], ["ANON-AGAIN01", "ANON-AGAIN02", "ANON-AGAIN03"]])
    with mock.patch.object(anonymise, "_new_references", side_effect=lambda count: next(drawn)):
        run = run_retention(approved_run(administrator).pk)
    assert run.families_anonymised == 3
    assert sorted(Family.objects.filter(anonymised_at__isnull=False).values_list("reference", flat=True)) == [
        "ANON-AGAIN01", "ANON-AGAIN02", "ANON-AGAIN03"]
    taken.refresh_from_db()
    assert taken.reference == "ANON-TAKEN00" and taken.anonymised_at is None


def statements_of_a_run(run):
    with CaptureQueriesContext(connection) as captured:
        run_retention(run.pk)
    return [query["sql"] for query in captured.captured_queries]


def test_a_batch_runs_the_same_statements_for_2_families_as_for_20(administrator):
    # Loaded once, whatever the batch (Django keeps content types for the process).
    ContentType.objects.get_for_models(Family, RetentionRun)
    worker = UserFactory()
    for number in (1, 2):
        family_with_everything(number, worker)
    two = statements_of_a_run(approved_run(administrator))
    # 20 more, with more of some rows than others: 1 to 4 calls each.
    for number in range(10, 30):
        family = family_with_everything(number, worker)
        for _ in range(number % 4):
            ContactFactory(family=family, occurred_at=_at(11), worker=worker)
    run = approved_run(administrator)
    assert len(run.family_ids) == 20
    twenty = statements_of_a_run(run)

    assert RetentionRun.objects.get(pk=run.pk).families_anonymised == 20
    assert len(twenty) == len(two)
    # The batch: its family rows locked, the retention rule, those still due, one UPDATE per model
    # whose rows hold words (a relationship holds none), the family rows, their audit rows, the
    # run's count. Around it: the run started and read; whether any audit entries are due to go
    # (none here); finished, read again with who approved it, and its audit row.
    tombstoned = [tombstone for tombstone in TOMBSTONES if tombstone.assignments()]
    statements = [sql for sql in twenty if not sql.startswith(("SAVEPOINT", "RELEASE"))]
    assert len([sql for sql in statements if sql.startswith("UPDATE ")]) == len(tombstoned) + 1 + 1 + 2
    assert len(statements) == 3 + len(tombstoned) + 3 + 1 + 6 == 44


# ------------------------------------------------------------------ approval


def test_a_run_not_approved_does_not_run(families, administrator):
    run = services.retention_run_work_out(user=administrator)
    with pytest.raises(anonymise.RunNotApproved):
        run_retention(run.pk)
    with pytest.raises(CommandError, match="has not been approved"):
        call_command("retention_run", "--run", str(run.pk))
    assert not Family.objects.filter(anonymised_at__isnull=False).exists()


def test_approval_is_refused_unless_the_number_typed_matches(families, administrator):
    run = services.retention_run_work_out(user=administrator)
    with pytest.raises(services.UserFixableError, match="not the number of families"):
        services.retention_run_approve(user=administrator, run=run, families_typed=2)
    run.refresh_from_db()
    assert run.state == RetentionRun.State.WORKED_OUT and run.approved_by is None


def test_the_command_runs_an_approved_run(families, administrator):
    run = approved_run(administrator)
    out = StringIO()
    call_command("retention_run", "--run", str(run.pk), stdout=out)
    assert f"{run}: Done. Families anonymised: 3 of 3 listed." in out.getvalue()


def test_the_nightly_dry_run_saves_one_run_a_day_waiting_for_approval(families):
    run = services.retention_run_nightly()
    assert run.state == RetentionRun.State.WORKED_OUT and run.worked_out_by is None and run.families_listed == 3
    assert services.retention_run_nightly() is None
    assert RetentionRun.objects.count() == 1


def test_an_administrator_approves_on_the_page_and_the_run_anonymises(families, administrator,
                                                                      django_capture_on_commit_callbacks):
    client = client_for(administrator)
    refused = client.post(reverse("data_protection:retention_approve"), {"families": "4"})
    assert refused.status_code == 200
    assert "not the number of families" in refused.content.decode()
    assert not RetentionRun.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("data_protection:retention_approve"), {"families": "3"})
    run = RetentionRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("data_protection:retention_run",
                                                                           args=[run.pk])
    assert run.approved_by == administrator and run.state == RetentionRun.State.DONE
    assert all(is_anonymised(family) for family in families.values())
    page = client.get(response["Location"]).content.decode()
    assert "Families anonymised</dt><dd>3" in page
    assert f"Retention run {run.pk}" in client.get(reverse("data_protection:retention_dry_run")).content.decode()


def test_a_nightly_run_is_approved_on_its_own_page(families, administrator, django_capture_on_commit_callbacks):
    run = services.retention_run_nightly()
    client = client_for(administrator)
    url = reverse("data_protection:retention_run", args=[run.pk])
    assert "Approve and anonymise" in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"families": "3"})
    run.refresh_from_db()
    assert run.state == RetentionRun.State.DONE and run.families_anonymised == 3


@pytest.mark.django_db
def test_everyone_but_administrators_gets_404(cast):
    run = services.retention_run_work_out()
    for user in (cast.key_worker, cast.teammate, cast.manager, cast.outsider):
        client = client_for(user)
        assert client.post(reverse("data_protection:retention_approve"), {"families": "0"}).status_code == 404, user
        assert client.get(reverse("data_protection:retention_run", args=[run.pk])).status_code == 404, user
        assert client.post(reverse("data_protection:retention_run", args=[run.pk]),
                           {"families": "0"}).status_code == 404, user
    run.refresh_from_db()
    assert run.state == RetentionRun.State.WORKED_OUT and not RetentionRun.objects.exclude(pk=run.pk).exists()
