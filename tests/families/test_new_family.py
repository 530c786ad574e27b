"""The new-family form: only what a first call always gives is required, what the search was given
is carried over, and a family that may already be known is shown before a second one is made."""

import datetime
import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from families import selectors
from families.forms import NewCarerForm, NewChildForm, NewFamilyForm
from families.models import ExploitationType, Family, Person, Relationship, Team
from tests.conftest import client_for
from tests.factories import ChildFactory, FamilyFactory, MembershipFactory, PersonFactory

CREATE = reverse("families:create")
WARNING = "These families may be the same"


def required_only(cast, **extra):
    data = {
        "carer-first_name": "Precious",
        "child-first_name": "Kai",
        "family-source": Family.Source.SELF,
        "family-team": cast.family.team_id,
    }
    data.update(extra)
    return data


def new_families(cast):
    return Family.objects.exclude(pk=cast.family.pk)


def page_of(response):
    return unescape(response.content.decode())


# ------------------------------------------------------------------ what is required


@pytest.mark.django_db
def test_a_family_is_saved_with_only_the_required_fields(cast, key_worker_client):
    response = key_worker_client.post(CREATE, required_only(cast))
    family = new_families(cast).get()
    assert response.status_code == 302
    assert response["Location"] == family.get_absolute_url()
    carer, child = family.people.get(kind=Person.Kind.CARER), family.people.get(kind=Person.Kind.CHILD)
    assert (carer.first_name, carer.last_name, carer.full_name) == ("Precious", "", "Precious")
    assert (child.first_name, child.last_name, child.full_name) == ("Kai", "", "Kai")
    assert family.preferred_channel == Family.Channel.PHONE
    assert child.relationships_as_child.get().kind == Relationship.Kind.OTHER
    assert family.team == cast.family.team


@pytest.mark.django_db
def test_surnames_are_optional_for_the_parent_and_the_child(cast, key_worker_client):
    data = required_only(cast, **{"carer-last_name": "", "child-last_name": "", "carer-phone": "07700 900444",
                                  "family-postcode": "LS1 4AP", "carer-relationship_kind": "grandparent"})
    assert key_worker_client.post(CREATE, data).status_code == 302
    family = new_families(cast).get()
    assert sorted(family.people.values_list("last_name", flat=True)) == ["", ""]
    assert family.people.get(kind=Person.Kind.CHILD).relationships_as_child.get().kind == "grandparent"


@pytest.mark.django_db
@pytest.mark.parametrize("missing", ["carer-first_name", "child-first_name", "family-source"])
def test_each_required_field_is_asked_for(cast, key_worker_client, missing):
    response = key_worker_client.post(CREATE, required_only(cast, **{missing: ""}))
    assert response.status_code == 200
    assert not new_families(cast).exists()
    prefix, name = missing.split("-", 1)
    assert response.context[f"{prefix}_form"].errors[name]


@pytest.mark.django_db
def test_only_the_truly_needed_fields_are_required(cast):
    teams = Team.objects.filter(pk=cast.family.team_id)
    family_form = NewFamilyForm(teams=teams, colleagues=cast.family.team.memberships.none())
    assert {name for name, field in family_form.fields.items() if field.required} == {"source", "team"}
    assert {name for name, field in NewCarerForm().fields.items() if field.required} == {"first_name"}
    assert {name for name, field in NewChildForm().fields.items() if field.required} == {"first_name"}


@pytest.mark.django_db
def test_the_team_is_required_when_there_is_a_choice(cast):
    MembershipFactory(user=cast.key_worker)  # now in two teams
    client = client_for(cast.key_worker)
    data = required_only(cast)
    del data["family-team"]
    response = client.post(CREATE, data)
    assert response.status_code == 200
    assert response.context["family_form"].errors["team"]
    assert not new_families(cast).exists()


@pytest.mark.django_db
def test_required_fields_come_first_and_the_others_say_they_are_optional(cast, key_worker_client):
    form = re.search(r"<form method=\"post\" novalidate data-submit-shortcut>(.*?)</form>",
                     page_of(key_worker_client.get(CREATE)), re.S).group(1)
    # The text of each label; crispy's hidden asterisk on a required field left out.
    texts = re.findall(r"<(?:label|legend)[^>]*>(.*?)</(?:label|legend)>", form, re.S)
    labels = [" ".join(re.sub(r"<[^>]+>|\*", "", text).split()) for text in texts]
    sections = {"Needed to add the family", "Parent or carer", "Child", "Family"}
    labels = [label for label in labels if label not in sections]
    first = ["Parent or carer's first name", "Child's first name", "How they reached us"]
    assert labels[:3] == first
    rest = [label for label in labels[3:] if label not in {"Day", "Month", "Year"}]
    ticks = {"OK to leave a voicemail", "OK to send texts"}
    exploitation_types = set(ExploitationType.objects.values_list("name", flat=True))
    for label in rest:
        if label in ticks or label in exploitation_types:
            continue
        assert label.endswith("(optional)"), label
    assert "Last name (optional)" in rest
    assert "Date of birth (optional)" in rest
    assert "Postcode (optional)" in rest


# ------------------------------------------------------------------ what the search was given


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("+447700900555", {"carer-phone": "07700 900555"}),
        ("07700 900555", {"carer-phone": "07700 900555"}),
        ("so16 3qb", {"family-postcode": "SO16 3QB"}),
        ("Sandra Whitfield", {"carer-first_name": "Sandra", "carer-last_name": "Whitfield"}),
        ("Mary Ann Whitfield", {"carer-first_name": "Mary Ann", "carer-last_name": "Whitfield"}),
        ("Siobhán", {"carer-first_name": "Siobhán"}),
    ],
)
def test_what_the_search_was_given_fills_in_the_new_form(cast, key_worker_client, typed, expected):
    response = key_worker_client.post(CREATE, {"from_search": "1", "q": typed})
    assert response.status_code == 200
    assert not new_families(cast).exists()
    assert not response.context["family_form"].is_bound  # nothing is checked, so no errors are shown
    page = page_of(response)
    assert "There is a problem" not in page
    for name, value in expected.items():
        assert re.search(rf'name="{name}"[^>]*value="{re.escape(value)}"', page), (name, value)


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["F-000123", "000123", "f123"])
def test_a_reference_carries_nothing_over(cast, key_worker_client, typed):
    response = key_worker_client.post(CREATE, {"from_search": "1", "q": typed})
    assert response.context["carer_form"].initial == {}
    assert response.context["family_form"].initial == {"key_worker": cast.key_worker}
    # The boxes a person types in (not the ids that choices carry as their values), empty or not.
    boxes = [tag for tag in re.findall(r"<input[^>]*>", page_of(response))
             if not re.search(r'type="(checkbox|radio|hidden)"', tag)
             and re.search(r'name="(carer|child|family)-', tag)]
    typed_in = [re.search(r'value="([^"]*)"', tag).group(1) if 'value="' in tag else "" for tag in boxes]
    assert typed_in, "the form's boxes were not found"
    assert not any("123" in value for value in typed_in), typed_in


# ------------------------------------------------------------------ possible duplicates


def assert_warned(response, family, reason):
    assert response.status_code == 200
    page = page_of(response)
    assert WARNING in page
    names = ", ".join(person.full_name for person in family.people.order_by("kind", "first_name"))
    assert f"{family.reference}</strong>\n        ({names}, {family.postcode}): {reason}" in page
    link = f'href="{family.get_absolute_url()}" target="_blank" rel="noopener">Open {family.reference} in a new tab'
    assert link in page
    assert "what you typed here stays as it is" in page
    assert 'name="family-different_family"' in page


@pytest.mark.django_db
def test_same_phone_number_however_written_warns_and_keeps_what_was_typed(cast, key_worker_client):
    international = "+44 " + cast.carer.phone.replace(" ", "")[1:]
    data = required_only(cast, **{"carer-phone": international, "carer-last_name": "Adeyemi"})
    response = key_worker_client.post(CREATE, data)
    assert_warned(response, cast.family, "same phone number")
    assert not new_families(cast).exists()
    page = page_of(response)
    assert f'value="{international}"' in page and 'value="Adeyemi"' in page and 'value="Precious"' in page


@pytest.mark.django_db
@pytest.mark.parametrize("surname", ["Okafor", "OKAFOR", ""])
def test_a_child_with_the_same_names_and_date_of_birth_warns(cast, key_worker_client, surname):
    data = required_only(cast, **{
        "child-first_name": "tyler", "child-last_name": surname,
        "child-date_of_birth": cast.child.date_of_birth.isoformat(),
    })
    assert_warned(key_worker_client.post(CREATE, data), cast.family, "a child with the same name and date of birth")
    assert not new_families(cast).exists()


@pytest.mark.django_db
def test_same_postcode_and_surname_warns(cast, key_worker_client):
    data = required_only(cast, **{"family-postcode": "b11aa", "carer-last_name": "Okafor"})
    assert_warned(key_worker_client.post(CREATE, data), cast.family, "same postcode and surname")


@pytest.mark.django_db
def test_this_is_a_different_family_lets_the_save_go_through(cast, key_worker_client):
    data = required_only(cast, **{"family-postcode": "B1 1AA", "carer-last_name": "Okafor"})
    assert WARNING in page_of(key_worker_client.post(CREATE, data))
    response = key_worker_client.post(CREATE, {**data, "family-different_family": "on"})
    family = new_families(cast).get()
    assert response.status_code == 302
    assert response["Location"] == family.get_absolute_url()
    assert family.people.get(kind=Person.Kind.CARER).full_name == "Precious Okafor"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "typed",
    [
        {"family-postcode": "LS1 4AP", "carer-last_name": "Okafor"},  # surname only
        {"family-postcode": "B1 1AA", "carer-last_name": "Whitfield"},  # postcode only
        {"child-first_name": "Tyler", "child-date_of_birth": "2011-03-14"},  # another date of birth
    ],
)
def test_what_only_looks_alike_is_not_a_possible_duplicate(cast, key_worker_client, typed):
    response = key_worker_client.post(CREATE, required_only(cast, **typed))
    assert response.status_code == 302
    assert new_families(cast).count() == 1


@pytest.fixture
def outsiders_family(cast):
    """A family of another team that matches by every rule."""
    team = cast.outsider.memberships.get().team
    family = FamilyFactory(team=team, postcode="LS1 4AP")
    PersonFactory(family=family, first_name="Grace", last_name="Mensah", phone="07700 900999")
    ChildFactory(family=family, first_name="Idris", last_name="Mensah", date_of_birth="2012-05-06")
    return family


@pytest.mark.django_db
@pytest.mark.parametrize(
    "typed",
    [
        {"carer-phone": "+447700900999"},
        {"child-first_name": "Idris", "child-last_name": "Mensah", "child-date_of_birth": "2012-05-06"},
        {"family-postcode": "LS14AP", "carer-last_name": "Mensah"},
    ],
)
def test_another_teams_family_is_never_mentioned(cast, key_worker_client, outsiders_family, typed):
    born = typed.get("child-date_of_birth")
    carer = Person(first_name="P", phone=typed.get("carer-phone", ""), last_name=typed.get("carer-last_name", ""))
    child = Person(first_name=typed.get("child-first_name", "Kai"), last_name=typed.get("child-last_name", ""),
                   date_of_birth=datetime.date.fromisoformat(born) if born else None)
    postcode = typed.get("family-postcode", "")
    assert selectors.possible_duplicates(cast.key_worker, carer=carer, child=child, postcode=postcode) == []
    # The outsider, who may see that family, is told of it.
    told = selectors.possible_duplicates(cast.outsider, carer=carer, child=child, postcode=postcode)
    assert [duplicate.family for duplicate in told] == [outsiders_family]

    response = key_worker_client.post(CREATE, required_only(cast, **typed))
    assert response.status_code == 302  # saved at once: no warning
    assert outsiders_family.reference not in page_of(key_worker_client.get(response["Location"]))


@pytest.mark.django_db
def test_possible_duplicates_run_a_fixed_number_of_queries(cast):
    carer = Person(first_name="Precious", last_name="Okafor", phone=cast.carer.phone)
    child = Person(first_name="Tyler", last_name="Okafor", date_of_birth=cast.child.date_of_birth)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            found = selectors.possible_duplicates(cast.key_worker, carer=carer, child=child, postcode="B1 1AA")
        return len(captured), len(found)

    small = queries()
    for n in range(8):
        family = FamilyFactory(team=cast.family.team, postcode="B1 1AA")
        PersonFactory(family=family, last_name="Okafor")
        ChildFactory(family=family, first_name="Tyler", last_name="Okafor",
                     date_of_birth=datetime.date(2012, 1, 1) + datetime.timedelta(days=n))
    large = queries()
    assert (small[0], large[0]) == (2, 2)
    assert (small[1], large[1]) == (1, 9)
