"""Creating a family, logging a call, editing: what is saved, and what bad input does."""

import datetime
from html import unescape

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from families.models import Contact, Family, FollowUp, Person
from tests.factories import exploitation_type, support_category
from tests.typed import shown_as_typed


def new_family_data(**overrides):
    data = {
        "carer-first_name": "Sandra",
        "carer-last_name": "Whitfield",
        "carer-phone": "07700 900123",
        "carer-email": "",
        "carer-relationship_kind": "mother",
        "child-first_name": "Kai",
        "child-last_name": "Whitfield",
        "child-date_of_birth": "2011-03-14",
        "child-exploitation_types": [exploitation_type("cce").pk, exploitation_type("county_lines").pk],
        "child-risk_level": "high",
        "family-postcode": "b1 1aa",
        "family-address": "1 Example Street",
        "family-local_authority": "",
        "family-source": "self",
        "family-preferred_channel": "phone",
        "family-safe_contact_times": "Weekdays after 10am",
    }
    data.update(overrides)
    return data


NEXT_MONTH = (timezone.localdate() + datetime.timedelta(days=31)).isoformat()


@pytest.mark.django_db
def test_create_family_with_first_carer_and_child(cast, key_worker_client):
    data = new_family_data(**{"family-team": cast.family.team_id, "family-key_worker": cast.key_worker.pk})
    response = key_worker_client.post(reverse("families:create"), data)
    family = Family.objects.exclude(pk=cast.family.pk).get()
    assert response.status_code == 302
    assert response["Location"] == family.get_absolute_url()
    assert family.reference == f"F-{family.pk:06d}"
    assert family.postcode == "B1 1AA"
    assert family.local_authority.code == "E08000025"  # Birmingham, from the postcode
    carer, child = family.people.get(kind="carer"), family.people.get(kind="child")
    assert carer.phone_digits == "7700900123"  # the national significant number, as the search compares it
    assert set(child.exploitation_types.values_list("code", flat=True)) == {"cce", "county_lines"}
    assert child.relationships_as_child.get().carer == carer
    assert child.risk_history.get().level == "high"
    entry = LogEntry.objects.get_for_object(family).filter(action=LogEntry.Action.CREATE).get()
    assert entry.actor == cast.key_worker


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("carer-first_name", "", "Enter the parent or carer's first name."),
        ("carer-first_name", "x" * 81, "at most 80 characters"),
        ("carer-last_name", "<script>alert(1)</script>", "Remove the angle-bracket tags"),
        ("carer-phone", "12345", "UK phone number"),
        ("carer-phone", "call me maybe", "using digits"),
        ("child-date_of_birth", "2099-01-01", "check the year"),
        ("child-date_of_birth", NEXT_MONTH, "cannot be in the future"),
        ("child-date_of_birth", "not a date", "must be a real date"),
        ("child-date_of_birth_day", "31", "must include a month and year"),
        ("family-postcode", "QQ1 1QQQ", "full UK postcode"),
        ("family-address", "<img src=x onerror=alert(1)>", "Remove the angle-bracket tags"),
    ],
)
def test_new_family_bad_input_is_shown_next_to_the_field_and_kept(cast, key_worker_client, field, value, message):
    data = new_family_data(**{"family-team": cast.family.team_id, field: value})
    response = key_worker_client.post(reverse("families:create"), data)
    assert response.status_code == 200
    assert Family.objects.count() == 1
    form_name = field.split("-")[0] + "_form"
    errors = response.context[form_name].errors[field.split("-", 1)[1].removesuffix("_day")]
    assert any(message in error for error in errors), errors
    page = response.content.decode()
    # What the user typed is still there (escaped where it is markup).
    assert 'value="Whitfield"' in page
    # ("not a date" in one value cannot come from the page's day, month and year boxes.)
    if value and "<" not in value and value != "not a date":
        assert shown_as_typed(page, value)


@pytest.mark.django_db
def test_log_call_with_follow_up(cast, key_worker_client):
    when = timezone.localtime().replace(second=0, microsecond=0) - datetime.timedelta(minutes=30)
    due = timezone.localdate() + datetime.timedelta(days=2)
    response = key_worker_client.post(
        reverse("families:contact_log", args=[cast.family.pk]),
        {
            "contact-occurred_at": when.strftime("%Y-%m-%dT%H:%M"),
            "contact-duration_minutes": "25",
            "contact-channel": "phone",
            "contact-spoke_with": cast.carer.pk,
            "contact-summary": "Joanne told us about the car outside school.",
            "contact-support_given": [support_category("listening").pk, support_category("police").pk],
            "follow_up-description": "Ring Joanne after she has spoken to police",
            "follow_up-owner": cast.teammate.pk,
            "follow_up-due_on": due.isoformat(),
        },
    )
    assert response.status_code == 302
    contact = Contact.objects.get()
    assert contact.worker == cast.key_worker
    assert contact.occurred_at == when
    assert contact.support_given.count() == 2
    follow_up = FollowUp.objects.get()
    assert (follow_up.contact, follow_up.owner, follow_up.due_on) == (contact, cast.teammate, due)
    page = key_worker_client.get(cast.family.get_absolute_url()).content.decode()
    assert "Joanne told us about the car outside school." in page
    assert "Ring Joanne after she has spoken to police" in page


@pytest.mark.django_db
def test_log_call_without_follow_up(cast, key_worker_client):
    response = key_worker_client.post(
        reverse("families:contact_log", args=[cast.family.pk]),
        {
            "contact-occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "contact-duration_minutes": "5",
            "contact-channel": "text",
            "contact-summary": "Checked in by text.",
            "follow_up-owner": cast.key_worker.pk,
        },
    )
    assert response.status_code == 302
    assert Contact.objects.count() == 1
    assert FollowUp.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("contact-summary", "", "Enter what was discussed."),
        ("contact-occurred_at", "2099-01-01T10:00", "check the year"),
        ("contact-occurred_at", f"{NEXT_MONTH}T10:00", "cannot be in the future"),
        ("contact-duration_minutes", "0", "must be 1 or more"),
        ("contact-duration_minutes", "5000", "must be 600 or less"),
        ("contact-summary", "<script>steal()</script>", "Remove the angle-bracket tags"),
        ("follow_up-due_on", "2001-01-01", "cannot be in the past"),
        ("follow_up-due_on", "", "Enter the date it is due by."),
    ],
)
def test_log_call_bad_input(cast, key_worker_client, field, value, message):
    data = {
        "contact-occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "contact-duration_minutes": "10",
        "contact-channel": "phone",
        "contact-summary": "Talked about the weekend and what school said.",
        "follow_up-description": "Call back",
        "follow_up-owner": cast.key_worker.pk,
        "follow_up-due_on": timezone.localdate().isoformat(),
    }
    data[field] = value
    response = key_worker_client.post(reverse("families:contact_log", args=[cast.family.pk]), data)
    assert response.status_code == 200
    assert Contact.objects.count() == 0
    assert FollowUp.objects.count() == 0
    form = response.context["contact_form" if field.startswith("contact") else "follow_up_form"]
    assert any(message in error for error in form.errors[field.split("-", 1)[1]])
    page = response.content.decode()
    assert "Call back" in page
    if "<" not in value:
        assert "Talked about the weekend" in page or field == "contact-summary"


@pytest.mark.django_db
def test_spoke_with_must_be_in_this_family(cast, key_worker_client):
    from tests.factories import PersonFactory

    stranger = PersonFactory()
    response = key_worker_client.post(
        reverse("families:contact_log", args=[cast.family.pk]),
        {
            "contact-occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "contact-duration_minutes": "10",
            "contact-channel": "phone",
            "contact-spoke_with": stranger.pk,
            "contact-summary": "Hello",
        },
    )
    assert response.status_code == 200
    assert "spoke_with" in response.context["contact_form"].errors
    assert Contact.objects.count() == 0


@pytest.mark.django_db
def test_edit_family_detects_a_concurrent_edit(cast, key_worker_client):
    url = reverse("families:edit", args=[cast.family.pk])
    form = key_worker_client.get(url).context["form"]
    data = {name: form.initial.get(name) or "" for name in form.fields}
    data.update({"version": cast.family.version, "source": "self", "preferred_channel": "phone", "status": "open"})
    data["safe_contact_times"] = "After 6pm"
    first = key_worker_client.post(url, data)
    assert first.status_code == 302
    # A second person saves from the page they loaded before the first save.
    data["safe_contact_times"] = "Mornings only"
    second = key_worker_client.post(url, data)
    assert second.status_code == 200
    assert "Someone else saved a change" in second.content.decode()
    assert "Mornings only" in second.content.decode()
    cast.family.refresh_from_db()
    assert cast.family.safe_contact_times == "After 6pm"


@pytest.mark.django_db
def test_closing_a_family_needs_a_reason(cast, key_worker_client):
    url = reverse("families:edit", args=[cast.family.pk])
    data = {"version": cast.family.version, "source": "self", "preferred_channel": "phone", "status": "closed",
            "postcode": "B1 1AA"}
    response = key_worker_client.post(url, data)
    assert response.status_code == 200
    assert "closure_reason" in response.context["form"].errors
    data["closure_reason"] = "support_complete"
    assert key_worker_client.post(url, data).status_code == 302
    cast.family.refresh_from_db()
    assert cast.family.status == "closed"
    assert cast.family.closed_on == timezone.localdate()


@pytest.mark.django_db
def test_child_risk_change_keeps_history(cast, key_worker_client):
    url = reverse("families:person_edit", args=[cast.family.pk, cast.child.pk])
    data = {"version": cast.child.version, "first_name": "Tyler", "last_name": "Okafor", "risk_level": "high",
            "date_of_birth": cast.child.date_of_birth.isoformat()}
    response = key_worker_client.post(url, data)
    assert "risk_reason" in response.context["form"].errors
    data["risk_reason"] = "Seen with older boys from out of area."
    assert key_worker_client.post(url, data).status_code == 302
    change = cast.child.risk_history.get()
    assert (change.level, change.changed_by, change.reason) == ("high", cast.key_worker, data["risk_reason"])


@pytest.mark.django_db
def test_add_second_child_linked_to_carer(cast, key_worker_client):
    url = reverse("families:person_add", args=[cast.family.pk, "child"])
    response = key_worker_client.post(url, {
        "first_name": "Mia", "last_name": "Okafor", "date_of_birth": "2013-06-01",
        "related_people": [cast.carer.pk], "relationship_kind": "mother",
    })
    assert response.status_code == 302
    mia = Person.objects.get(first_name="Mia")
    assert mia.relationships_as_child.get().carer == cast.carer


@pytest.mark.django_db
def test_sharing_consent_names_the_agency_and_can_be_withdrawn(cast, key_worker_client):
    url = reverse("families:consent_add", args=[cast.family.pk])
    data = {"kind": "share", "agency": "", "given_by": cast.carer.pk, "given_on": timezone.localdate().isoformat()}
    response = key_worker_client.post(url, data)
    assert "agency" in response.context["form"].errors
    data.update(agency="West Midlands Police", agency_kind="police")
    assert key_worker_client.post(url, data).status_code == 302
    consent = cast.family.consents.get()
    withdraw = reverse("families:consent_withdraw", args=[cast.family.pk, consent.pk])
    future = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    assert "withdrawn_on" in key_worker_client.post(withdraw, {"withdrawn_on": future}).context["form"].errors
    assert key_worker_client.post(withdraw, {"withdrawn_on": timezone.localdate().isoformat()}).status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawn_on == timezone.localdate()


@pytest.mark.django_db
def test_viewing_a_family_is_recorded(cast, key_worker_client):
    key_worker_client.get(cast.family.get_absolute_url())
    entry = LogEntry.objects.get_for_object(cast.family).get(action=LogEntry.Action.ACCESS)
    assert entry.actor == cast.key_worker
    history = unescape(key_worker_client.get(reverse("families:history", args=[cast.family.pk])).content.decode())
    assert f"Viewed 2 times by {cast.key_worker}" in history


@pytest.mark.django_db
def test_manager_moves_family_and_it_is_recorded(cast, manager_client, key_worker_client):
    from tests.factories import TeamFactory

    other = TeamFactory()
    url = reverse("families:transfer", args=[cast.family.pk])
    response = manager_client.post(url, {"to_team": other.pk, "reason": "Moved to another area.",
                                         "version": cast.family.version})
    assert response.status_code == 302
    cast.family.refresh_from_db()
    assert cast.family.team == other
    assert cast.family.key_worker is None  # not a member of the new team
    transfer = cast.family.transfers.get()
    assert (transfer.transferred_by, transfer.to_team) == (cast.manager, other)
    assert key_worker_client.get(cast.family.get_absolute_url()).status_code == 404


@pytest.mark.django_db
def test_follow_up_done_from_home(cast, key_worker_client):
    from tests.factories import FollowUpFactory

    follow_up = FollowUpFactory(family=cast.family, owner=cast.key_worker)
    url = reverse("families:follow_up_done", args=[cast.family.pk, follow_up.pk])
    assert key_worker_client.post(url, {"next": "home"})["Location"] == reverse("home")
    follow_up.refresh_from_db()
    first_done_at = follow_up.done_at
    assert follow_up.done_by == cast.key_worker
    key_worker_client.post(url)
    follow_up.refresh_from_db()
    assert follow_up.done_at == first_done_at


@pytest.mark.django_db
def test_postcode_lookup_suggests_the_authority(cast, key_worker_client):
    response = key_worker_client.post(reverse("families:postcode_lookup"), {"postcode": "b11aa"})
    assert "Birmingham" in response.content.decode()
    response = key_worker_client.post(reverse("families:postcode_lookup"), {"postcode": "nonsense"})
    assert "full UK postcode" in response.content.decode()
