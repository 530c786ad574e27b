"""The remaining forms: bad input is refused next to the field, nothing is saved, input is kept."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from families.models import Consent, FamilyTransfer, FollowUp, Person
from tests.factories import TeamFactory
from tests.typed import shown_as_typed

TOMORROW = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()


def family_edit_data(cast, **changes):
    data = {"version": cast.family.version, "postcode": "B1 1AA", "address": "2 Example Road", "source": "self",
            "preferred_channel": "phone", "status": "open", "safe_contact_times": "Evenings"}
    data.update(changes)
    return data


CASES = [
    ("families:edit", family_edit_data, "postcode", "NOT A POSTCODE", "full UK postcode"),
    ("families:edit", family_edit_data, "address", "<b>bold</b> street", "angle-bracket"),
    ("families:edit", family_edit_data, "safe_contact_times", "x" * 201, "at most 200 characters"),
    ("families:edit", family_edit_data, "source", "", "Choose how they reached us."),
    ("person_add_carer", lambda cast, **c: {"first_name": "Lee", "last_name": "Okafor", **c}, "phone", "0770",
     "10 or 11"),
    ("person_add_carer", lambda cast, **c: {"first_name": "Lee", "last_name": "Okafor", **c}, "email", "lee@",
     "Enter an e-mail address in the right form"),
    ("person_add_carer", lambda cast, **c: {"first_name": "", "last_name": "Okafor", **c}, "pronouns", "she/her",
     "Enter the first name."),
    ("person_add_child", lambda cast, **c: {"first_name": "Ava", "last_name": "Okafor", **c}, "date_of_birth", TOMORROW,
     "cannot be in the future"),
    ("person_add_child", lambda cast, **c: {"first_name": "Ava", "last_name": "Okafor", **c}, "date_of_birth",
     "1960-01-01", "over 25"),
    ("families:follow_up_add", lambda cast, **c: {"description": "Ring back", "owner": cast.key_worker.pk, **c},
     "due_on", "2000-01-01", "cannot be in the past"),
    ("families:follow_up_add", lambda cast, **c: {"description": "Ring back", "owner": cast.key_worker.pk, **c},
     "due_on", "", "Enter the date."),
    ("families:consent_add", lambda cast, **c: {"kind": "store", "given_by": cast.carer.pk, **c}, "given_on", TOMORROW,
     "cannot be dated in the future"),
    ("families:transfer", lambda cast, **c: {"to_team": TeamFactory().pk, "version": cast.family.version, **c},
     "reason", "", "Enter the reason."),
]


def url_for(name, cast):
    if name.startswith("person_add_"):
        return reverse("families:person_add", args=[cast.family.pk, name.removeprefix("person_add_")])
    return reverse(name, args=[cast.family.pk])


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "build", "field", "value", "message"), CASES,
                         ids=[f"{case[0]}-{case[2]}-{i}" for i, case in enumerate(CASES)])
def test_bad_input_is_refused_and_kept(cast, manager_client, name, build, field, value, message):
    before = (Person.objects.count(), FollowUp.objects.count(), Consent.objects.count(), FamilyTransfer.objects.count())
    cast.family.refresh_from_db()
    saved_address = cast.family.address
    data = build(cast, **{field: value})
    response = manager_client.post(url_for(name, cast), data)
    assert response.status_code == 200
    errors = " ".join(str(e) for e in response.context["form"].errors.get(field, []))
    errors += " ".join(str(e) for e in response.context["form"].errors.get("first_name", []))
    assert message in errors, response.context["form"].errors
    after = (Person.objects.count(), FollowUp.objects.count(), Consent.objects.count(), FamilyTransfer.objects.count())
    assert before == after
    cast.family.refresh_from_db()
    assert cast.family.address == saved_address
    page = response.content.decode()
    for key, typed in data.items():
        if isinstance(typed, str) and typed and "<" not in typed and len(typed) < 100 and key != "version":
            assert shown_as_typed(page, typed), key
