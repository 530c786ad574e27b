"""A parent's ratings are theirs: gathered for their subject access request, with each question as
it was asked and the answer in the scale's words; never for anyone else's."""

import datetime

import pytest

from data_protection import response, services
from data_protection.models import SubjectAccessRequest
from data_protection.selectors import gather
from families.models import Role
from tests.factories import MembershipFactory, PersonFactory
from tests.outcomes.conftest import record

pytestmark = pytest.mark.django_db

D = datetime.date


def request_for(person):
    administrator = MembershipFactory(role=Role.ADMINISTRATOR).user
    return services.subject_access_record(
        user=administrator, family=person.family, person=person, asked_by=SubjectAccessRequest.AskedBy.THEMSELF,
        asked_by_name="", identity_check=SubjectAccessRequest.IdentityCheck.KNOWN_CONTACT,
        identity_details="Rang back on the number we hold.", received_on=D(2026, 11, 27))


def test_a_parents_ratings_are_in_their_reply_word_for_word(cast, family):
    record(cast, family, asked_on=D(2026, 3, 2), confidence=2, understanding=None, wellbeing=4)
    items = [item for item in gather(request_for(cast.carer)) if item.kind == "Ratings"]
    assert [(item.date, item.summary) for item in items] == [
        (D(2026, 3, 2), "At first contact: confidence 2 of 5, wellbeing 4 of 5.")]
    fields = {field.label: field.value for field in response.item_fields(items[0])}
    assert fields == {
        "Asked on": "2 March 2026",
        "When": "At first contact",
        "How confident do you feel that you can help keep your child safe?": "2 – A little confident",
        "How are you coping yourself at the moment?": "4 – Coping well",
    }


def test_nobody_elses_request_holds_them(cast, family):
    dad = PersonFactory(family=family)
    record(cast, family, asked_on=D(2026, 3, 2))
    for person in (dad, cast.child):
        assert not [item for item in gather(request_for(person)) if item.kind == "Ratings"]
