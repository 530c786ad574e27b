"""A family's key worker and the owners of its follow-ups are people who may see it: members of its
team. Anyone else would be e-mailed about a family that is a 404 to them, and a follow-up of theirs
would never reach their My work."""

import datetime
from html import unescape

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from core.errors import UserFixableError
from families import calls, services
from families.forms import NOT_IN_FAMILYS_TEAM
from families.models import Contact, Family, FollowUp, Person, Role
from families.selectors import my_work
from tests.factories import FollowUpFactory, MembershipFactory, TeamFactory, UserFactory
from tests.families.test_pages import new_family_data

TOMORROW = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()


@pytest.fixture
def northern(cast):
    """A second team. The key worker is in it too; Sam Jones is only in it."""
    team = TeamFactory(name="Northern team")
    MembershipFactory(team=team, user=cast.key_worker)
    sam = MembershipFactory(team=team, user=UserFactory(full_name="Sam Jones")).user
    return team, sam


def field_errors(form, field):
    return [str(error) for error in form.errors.get(field, [])]


# --------------------------------------------------------------- forms


@pytest.mark.django_db
def test_edit_form_refuses_a_key_worker_from_the_users_other_team(cast, northern, key_worker_client):
    _, sam = northern
    data = {"version": cast.family.version, "postcode": "B1 1AA", "address": "2 Example Road", "source": "self",
            "preferred_channel": "phone", "status": "open", "key_worker": sam.pk}
    response = key_worker_client.post(reverse("families:edit", args=[cast.family.pk]), data)
    assert response.status_code == 200
    assert field_errors(response.context["form"], "key_worker") == [NOT_IN_FAMILYS_TEAM]
    assert "Sam Jones" not in response.content.decode()  # not even offered
    cast.family.refresh_from_db()
    assert cast.family.key_worker == cast.key_worker


@pytest.mark.django_db
def test_new_family_form_refuses_a_key_worker_not_in_the_chosen_team(cast, northern, key_worker_client):
    team, _ = northern
    data = new_family_data(**{"family-team": team.pk, "family-key_worker": cast.teammate.pk})
    response = key_worker_client.post(reverse("families:create"), data)
    assert response.status_code == 200
    assert field_errors(response.context["family_form"], "key_worker") == [
        f"{cast.teammate} is not in the Northern team, so could not see this family. Choose someone in that team."
    ]
    assert Family.objects.count() == 1
    assert 'value="Whitfield"' in response.content.decode()


@pytest.mark.django_db
def test_new_family_form_names_sam_jones_when_he_is_not_in_the_chosen_team(cast, northern, key_worker_client):
    _, sam = northern
    data = new_family_data(**{"family-team": cast.family.team_id, "family-key_worker": sam.pk})
    response = key_worker_client.post(reverse("families:create"), data)
    assert field_errors(response.context["family_form"], "key_worker") == [
        f"Sam Jones is not in the {cast.family.team}, so could not see this family. Choose someone in that team."
    ]
    assert Family.objects.count() == 1


@pytest.mark.django_db
def test_new_family_form_groups_key_workers_by_team(cast, northern, key_worker_client):
    team, sam = northern
    page = key_worker_client.get(reverse("families:create")).content.decode()
    assert f'<optgroup label="{team.name}">' in page
    assert f'<optgroup label="{cast.family.team.name}">' in page
    assert "Sam Jones" in page
    # Still allowed: a key worker who is in the chosen team.
    data = new_family_data(**{"family-team": team.pk, "family-key_worker": sam.pk})
    assert key_worker_client.post(reverse("families:create"), data).status_code == 302
    assert Family.objects.exclude(pk=cast.family.pk).get().key_worker == sam


@pytest.mark.django_db
def test_follow_up_form_refuses_an_owner_from_another_team_and_keeps_the_text(cast, northern, key_worker_client):
    _, sam = northern
    data = {"description": "Ring the school about Tyler", "owner": sam.pk, "due_on": TOMORROW}
    response = key_worker_client.post(reverse("families:follow_up_add", args=[cast.family.pk]), data)
    assert response.status_code == 200
    assert field_errors(response.context["form"], "owner") == [NOT_IN_FAMILYS_TEAM]
    assert "Ring the school about Tyler" in response.content.decode()
    assert not FollowUp.objects.exists()


@pytest.mark.django_db
def test_call_page_refuses_a_follow_up_owner_from_another_team_and_keeps_the_text(cast, northern, key_worker_client):
    _, sam = northern
    when = timezone.localtime().replace(second=0, microsecond=0) - datetime.timedelta(minutes=30)
    response = key_worker_client.post(
        reverse("families:contact_log", args=[cast.family.pk]),
        {
            "contact-occurred_at": when.strftime("%Y-%m-%dT%H:%M"),
            "contact-duration_minutes": "25",
            "contact-channel": "phone",
            "contact-spoke_with": cast.carer.pk,
            "contact-summary": "Joanne told us about the car outside school.",
            "follow_up-description": "Ring Joanne after she has spoken to police",
            "follow_up-owner": sam.pk,
            "follow_up-due_on": TOMORROW,
        },
    )
    assert response.status_code == 200
    assert field_errors(response.context["follow_up_form"], "owner") == [NOT_IN_FAMILYS_TEAM]
    page = response.content.decode()
    assert "Joanne told us about the car outside school." in page
    assert "Ring Joanne after she has spoken to police" in page
    assert not Contact.objects.exists()
    assert not FollowUp.objects.exists()


@pytest.mark.django_db
def test_a_follow_up_given_to_a_teammate_is_on_their_my_work(cast, key_worker_client):
    data = {"description": "Ring the school about Tyler", "owner": cast.teammate.pk,
            "due_on": timezone.localdate().isoformat()}
    assert key_worker_client.post(reverse("families:follow_up_add", args=[cast.family.pk]), data).status_code == 302
    assert [f.description for f in my_work(cast.teammate).follow_ups_due] == ["Ring the school about Tyler"]


@pytest.mark.django_db
def test_edit_form_says_when_the_key_worker_has_left_the_team(cast, key_worker_client):
    cast.family.key_worker = cast.outsider
    cast.family.save()
    page = unescape(key_worker_client.get(reverse("families:edit", args=[cast.family.pk])).content.decode())
    assert f"{cast.outsider} is no longer in the {cast.family.team} and cannot see this family" in page


# --------------------------------------------------------------- services, called directly


def refused(call, field):
    with pytest.raises(UserFixableError) as raised:
        call()
    assert raised.value.field == field
    return raised.value.message


@pytest.mark.django_db
def test_family_create_refuses_a_key_worker_outside_the_team(cast):
    family = Family(team=cast.family.team, key_worker=cast.outsider, source=Family.Source.SELF)
    message = refused(
        lambda: services.family_create(
            user=cast.key_worker,
            family=family,
            carer=Person(first_name="Lee", last_name="Brown"),
            child=Person(first_name="Ava", last_name="Brown"),
            relationship_kind="mother",
        ),
        "key_worker",
    )
    assert message.startswith(f"{cast.outsider} is not in the {cast.family.team}")
    assert Family.objects.count() == 1


@pytest.mark.django_db
def test_family_update_refuses_a_new_key_worker_outside_the_team(cast):
    family = Family.objects.get(pk=cast.family.pk)
    family.key_worker = cast.outsider
    refused(lambda: services.family_update(user=cast.key_worker, family=family, expected_version=family.version),
            "key_worker")
    cast.family.refresh_from_db()
    assert cast.family.key_worker == cast.key_worker


@pytest.mark.django_db
def test_family_update_still_saves_other_edits_when_the_key_worker_has_left_the_team(cast):
    cast.key_worker.memberships.all().delete()
    family = Family.objects.get(pk=cast.family.pk)
    family.address = "3 New Road"
    services.family_update(user=cast.manager, family=family, expected_version=family.version)
    cast.family.refresh_from_db()
    assert cast.family.address == "3 New Road"


@pytest.mark.django_db
def test_follow_up_create_refuses_an_owner_outside_the_team(cast):
    follow_up = FollowUp(description="Ring back", owner=cast.outsider, due_on=timezone.localdate())
    refused(lambda: calls.follow_up_create(user=cast.key_worker, family=cast.family, follow_up=follow_up), "owner")
    assert not FollowUp.objects.exists()


@pytest.mark.django_db
def test_contact_log_refuses_a_follow_up_owner_outside_the_team(cast):
    contact = Contact(occurred_at=timezone.now(), duration_minutes=10, summary="Checked in.")
    follow_up = FollowUp(description="Ring back", owner=cast.outsider, due_on=timezone.localdate())
    refused(
        lambda: calls.contact_log(user=cast.key_worker, family=cast.family, contact=contact, follow_up=follow_up),
        "owner",
    )
    assert not Contact.objects.exists()
    assert not FollowUp.objects.exists()


@pytest.mark.django_db
def test_deactivated_team_member_cannot_be_given_a_follow_up(cast):
    cast.teammate.is_active = False
    cast.teammate.save()
    follow_up = FollowUp(description="Ring back", owner=cast.teammate, due_on=timezone.localdate())
    refused(lambda: calls.follow_up_create(user=cast.key_worker, family=cast.family, follow_up=follow_up), "owner")


# --------------------------------------------------------------- transfer


def transfer(client, cast, to_team):
    return client.post(reverse("families:transfer", args=[cast.family.pk]),
                       {"to_team": to_team.pk, "reason": "The family moved north.", "version": cast.family.version})


def success_message(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def follow_ups(cast):
    """Open follow-ups of the key worker and the teammate, and one the teammate has done."""
    mine = FollowUpFactory(family=cast.family, owner=cast.key_worker, created_by=cast.key_worker)
    theirs = FollowUpFactory(family=cast.family, owner=cast.teammate, created_by=cast.key_worker)
    done = FollowUpFactory(family=cast.family, owner=cast.teammate, created_by=cast.teammate,
                           done_at=timezone.now(), done_by=cast.teammate)
    return mine, theirs, done


@pytest.mark.django_db
def test_transfer_clears_the_key_worker_and_gives_open_follow_ups_to_the_mover(cast, follow_ups, manager_client):
    northern = TeamFactory(name="Northern team")
    MembershipFactory(team=northern, user=cast.manager, role=Role.MANAGER)
    response = transfer(manager_client, cast, northern)
    assert response.status_code == 302
    assert success_message(response) == [
        f"Family {cast.family.reference} moved to the Northern team. {cast.key_worker} is not in that team and "
        "is no longer its key worker; 2 open follow-ups were given to you."
    ]
    cast.family.refresh_from_db()
    assert cast.family.key_worker is None
    mine, theirs, done = (FollowUp.objects.get(pk=f.pk) for f in follow_ups)
    assert (mine.owner, theirs.owner, done.owner) == (cast.manager, cast.manager, cast.teammate)
    # And so they are on the My work of someone who can open them.
    assert {f.pk for f in my_work(cast.manager).follow_ups_due} == {mine.pk, theirs.pk}
    assert list(my_work(cast.key_worker).follow_ups_due) == []


@pytest.mark.django_db
def test_transfer_gives_follow_ups_to_the_key_worker_who_stays(cast, follow_ups, manager_client):
    northern = TeamFactory(name="Northern team")
    MembershipFactory(team=northern, user=cast.key_worker)
    MembershipFactory(team=northern, user=cast.manager, role=Role.MANAGER)
    response = transfer(manager_client, cast, northern)
    assert success_message(response) == [
        f"Family {cast.family.reference} moved to the Northern team. 1 open follow-up was given to "
        f"{cast.key_worker}, its key worker, as its owner is not in that team."
    ]
    cast.family.refresh_from_db()
    assert cast.family.key_worker == cast.key_worker
    assert {f.owner for f in cast.family.follow_ups.filter(done_at__isnull=True)} == {cast.key_worker}


@pytest.mark.django_db
def test_transfer_by_someone_outside_the_new_team_gives_follow_ups_to_its_manager(cast, follow_ups, manager_client):
    northern = TeamFactory(name="Northern team")
    priya = MembershipFactory(team=northern, user=UserFactory(full_name="Priya Shah"), role=Role.MANAGER).user
    MembershipFactory(team=northern, role=Role.MANAGER)  # joined later: the longest-standing manager is chosen
    response = transfer(manager_client, cast, northern)
    assert response["Location"] == reverse("home")  # the mover can no longer see the family
    assert success_message(response) == [
        f"Family {cast.family.reference} moved to the Northern team. {cast.key_worker} is not in that team and "
        "is no longer its key worker; 2 open follow-ups were given to Priya Shah, a manager of that team."
    ]
    assert {f.owner for f in cast.family.follow_ups.filter(done_at__isnull=True)} == {priya}


@pytest.mark.django_db
def test_transfer_is_refused_when_nobody_in_the_new_team_could_take_the_follow_ups(cast, follow_ups, manager_client):
    northern = TeamFactory(name="Northern team")
    MembershipFactory(team=northern, role=Role.CASEWORKER)
    response = transfer(manager_client, cast, northern)
    assert response.status_code == 200
    assert "Nobody in the Northern team" in " ".join(field_errors(response.context["form"], "to_team"))
    cast.family.refresh_from_db()
    assert (cast.family.team_id, cast.family.key_worker) == (cast.key_worker.memberships.get().team_id,
                                                             cast.key_worker)
    assert not cast.family.transfers.exists()
    assert FollowUp.objects.filter(owner=cast.key_worker).count() == 1


@pytest.mark.django_db
def test_transfer_service_reports_what_it_did(cast, follow_ups):
    northern = TeamFactory(name="Northern team")
    MembershipFactory(team=northern, user=cast.manager, role=Role.MANAGER)
    family = Family.objects.get(pk=cast.family.pk)
    outcome = services.family_transfer(user=cast.manager, family=family, to_team=northern, reason="Moved.",
                                       expected_version=family.version)
    assert outcome.transfer.to_team == northern
    assert outcome.key_worker_removed == cast.key_worker
    assert (outcome.follow_ups_reassigned, outcome.follow_ups_given_to) == (2, cast.manager)
