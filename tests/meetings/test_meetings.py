"""Recording meetings: the pages, the version check, and a meeting that is a referral's milestone
recording it through the referral's own write path."""

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from deadlines.models import Deadline
from families import sections
from meetings import services
from meetings.models import Meeting
from referrals.models import Milestone, MilestoneRecord
from tests.factories import ChildFactory, FamilyFactory
from tests.meetings.conftest import london
from tests.meetings.factories import AgencyFactory, MeetingFactory, ProfessionalFactory

pytestmark = pytest.mark.django_db


def create_url(cast):
    return reverse("meetings:create", args=[cast.family.pk])


def meeting_data(cast, **fields):
    data = {"kind": Meeting.Kind.MACE, "held_at": "2026-11-25T14:00", "children": [cast.child.pk]}
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


def strategy_clock(referral):
    return Deadline.objects.get(subject_id=referral.pk, kind="referral:strategy_discussion")


def test_a_strategy_discussion_with_its_referral_meets_the_referrals_clock(
    cast, clock, child_protection_referral, key_worker_client
):
    referral = child_protection_referral
    assert strategy_clock(referral).met_at is None
    response = key_worker_client.post(create_url(cast), meeting_data(
        cast, kind=Meeting.Kind.STRATEGY_DISCUSSION, referral=referral.pk,
    ))
    meeting = Meeting.objects.get()
    assert response.status_code == 302
    assert response["Location"].startswith(meeting.get_absolute_url())
    record = meeting.milestone_record
    assert (record.referral, record.milestone, record.occurred_at) == (
        referral, Milestone.STRATEGY_DISCUSSION, london(2026, 11, 25, 14, 0))
    assert record.note == "Recorded from the meeting"
    # The referral's clock sees it at once: met within the day allowed, and the conference is next.
    clock_ = strategy_clock(referral)
    assert clock_.met_at == london(2026, 11, 25, 14, 0)
    assert clock_.met_at <= clock_.due_at
    referral.refresh_from_db()
    assert referral.next_milestone != Milestone.STRATEGY_DISCUSSION
    assert Deadline.objects.filter(subject_id=referral.pk, kind="referral:initial_conference",
                                   met_at__isnull=True).exists()


def test_a_milestone_out_of_order_is_shown_next_to_the_date_and_nothing_is_saved(
    cast, clock, child_protection_referral, key_worker_client
):
    # Before the referral was made: the referral's own rules refuse it.
    response = key_worker_client.post(create_url(cast), meeting_data(
        cast, kind=Meeting.Kind.STRATEGY_DISCUSSION, referral=child_protection_referral.pk,
        held_at="2026-11-20T10:00",
    ))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "held_at" in errors and "referral made" in errors["held_at"][0]
    assert not Meeting.objects.exists()
    assert not MilestoneRecord.objects.filter(milestone=Milestone.STRATEGY_DISCUSSION).exists()


def test_a_second_strategy_discussion_is_refused_next_to_the_referral(cast, clock, child_protection_referral):
    first = MeetingFactory.build(family=cast.family, kind=Meeting.Kind.STRATEGY_DISCUSSION,
                                 referral=child_protection_referral, held_at=london(2026, 11, 25, 14, 0))
    services.meeting_record(user=cast.key_worker, meeting=first, children=[cast.child])
    second = MeetingFactory.build(family=cast.family, kind=Meeting.Kind.STRATEGY_DISCUSSION,
                                  referral=child_protection_referral, held_at=london(2026, 11, 26, 14, 0))
    with pytest.raises(services.UserFixableError, match="already recorded") as refused:
        services.meeting_record(user=cast.key_worker, meeting=second)
    assert refused.value.field == "referral"
    assert Meeting.objects.count() == 1


def test_only_the_first_core_group_is_a_milestone(cast, clock, child_protection_referral):
    referral = child_protection_referral
    for kind, day in ((Meeting.Kind.STRATEGY_DISCUSSION, 25), (Meeting.Kind.INITIAL_CONFERENCE, 26)):
        services.meeting_record(user=cast.key_worker, meeting=MeetingFactory.build(
            family=cast.family, kind=kind, referral=referral, held_at=london(2026, 11, day, 10, 0)))
    core_groups = []
    for day in (27, 29):
        meeting = MeetingFactory.build(family=cast.family, kind=Meeting.Kind.CORE_GROUP, referral=referral,
                                       held_at=london(2026, 11, day, 10, 0))
        core_groups.append(services.meeting_record(user=cast.key_worker, meeting=meeting))
    assert core_groups[0].milestone_record.milestone == Milestone.FIRST_CORE_GROUP
    assert core_groups[1].milestone_record is None
    assert referral.milestones.filter(milestone=Milestone.FIRST_CORE_GROUP).count() == 1


def test_a_meeting_is_recorded_with_who_was_there_and_the_parents_view_of_the_minutes(
    cast, clock, key_worker_client
):
    local = AgencyFactory(name="Testshire police", local_authority=cast.family.local_authority)
    national = AgencyFactory(name="National helpline")
    elsewhere = AgencyFactory(name="Another county's police", local_authority=FamilyFactory().local_authority)
    school_nurse = ProfessionalFactory(full_name="Priya Shah", agency=AgencyFactory(
        name="Testshire health", kind="health", local_authority=cast.family.local_authority))
    page = key_worker_client.get(create_url(cast))
    choices = {str(agency) for agency in page.context["form"].fields["agencies"].queryset}
    assert {local.name, national.name, school_nurse.agency.name} == choices
    assert elsewhere.name not in page.content.decode()
    response = key_worker_client.post(create_url(cast), meeting_data(
        cast, agencies=[local.pk], professionals=[school_nurse.pk], others_present="Grandmother",
        parent_invited="on", parent_attended="on", minutes_accurate="partly",
        parent_correction="I said he was missing for two nights, not one.",
    ))
    assert response.status_code == 302
    meeting = Meeting.objects.get()
    # The professional's agency was there too.
    assert set(meeting.agencies.all()) == {local, school_nurse.agency}
    assert (meeting.parent_invited, meeting.parent_attended, meeting.parent_received_minutes) == (True, True, False)
    assert meeting.parent_correction == "I said he was missing for two nights, not one."
    assert meeting.recorded_by == cast.key_worker
    detail = key_worker_client.get(meeting.get_absolute_url())
    assert "I said he was missing for two nights, not one." in detail.content.decode()


def test_only_the_familys_children_and_referrals_can_be_chosen(cast, clock, key_worker_client):
    other_child = ChildFactory()
    response = key_worker_client.post(create_url(cast), meeting_data(cast, children=[other_child.pk]))
    assert response.status_code == 200
    assert "children" in response.context["form"].errors
    assert not Meeting.objects.exists()


def test_a_meeting_in_the_future_is_refused(cast, clock, key_worker_client):
    response = key_worker_client.post(create_url(cast), meeting_data(cast, held_at="2026-12-02T10:00"))
    assert "held_at" in response.context["form"].errors
    assert not Meeting.objects.exists()


def test_an_edit_made_on_an_old_version_is_refused_and_keeps_the_input(cast, clock, key_worker_client):
    meeting = MeetingFactory(family=cast.family, held_at=london(2026, 11, 25, 14, 0))
    url = reverse("meetings:edit", args=[cast.family.pk, meeting.pk])
    data = meeting_data(cast, version=1, notes="First edit")
    assert key_worker_client.post(url, data).status_code == 302
    meeting.refresh_from_db()
    assert (meeting.notes, meeting.version) == ("First edit", 2)
    stale = key_worker_client.post(url, meeting_data(cast, version=1, notes="Typed on the old page"))
    assert stale.status_code == 200
    assert "Someone else saved a change" in stale.content.decode()
    assert "Typed on the old page" in stale.content.decode()
    meeting.refresh_from_db()
    assert meeting.notes == "First edit"


def test_a_milestone_meetings_date_stays_as_the_referral_has_it(cast, clock, child_protection_referral,
                                                                key_worker_client):
    meeting = services.meeting_record(user=cast.key_worker, meeting=MeetingFactory.build(
        family=cast.family, kind=Meeting.Kind.STRATEGY_DISCUSSION, referral=child_protection_referral,
        held_at=london(2026, 11, 25, 14, 0)))
    url = reverse("meetings:edit", args=[cast.family.pk, meeting.pk])
    moved = key_worker_client.post(url, meeting_data(
        cast, kind=Meeting.Kind.STRATEGY_DISCUSSION, referral=child_protection_referral.pk,
        held_at="2026-11-26T14:00", version=1))
    assert "held_at" in moved.context["form"].errors
    notes = key_worker_client.post(url, meeting_data(
        cast, kind=Meeting.Kind.STRATEGY_DISCUSSION, referral=child_protection_referral.pk,
        held_at="2026-11-25T14:00", version=1, notes="Minutes arrived"))
    assert notes.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.notes, meeting.held_at) == ("Minutes arrived", london(2026, 11, 25, 14, 0))


def test_the_family_page_and_the_list_show_the_meetings_with_their_completion(cast, clock, key_worker_client):
    meeting = MeetingFactory(family=cast.family, held_at=london(2026, 11, 25, 14, 0))
    shown = {section.key: (section, data) for section, data in sections.sections_for(cast.family, cast.key_worker)}
    section, data = shown["meetings"]
    family_page = render_to_string(section.template, {"family": cast.family, "section": data})
    assert meeting.get_absolute_url() in family_page
    assert "No actions agreed" in family_page
    listing = key_worker_client.get(reverse("meetings:list", args=[cast.family.pk]))
    assert listing.status_code == 200
    assert meeting.get_absolute_url() in listing.content.decode()
