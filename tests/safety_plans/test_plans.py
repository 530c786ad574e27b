"""The safety plan pages: editing in place with and without htmx, two people editing at once,
versions, comparing and restoring, and who may see any of it."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from safety_plans import services
from safety_plans.models import PersonOfConcern, PlanVersion, SafetyPlan, SafetyRating, Worry
from tests.conftest import client_for
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def url(cast, name, *args):
    return reverse(f"safety_plans:{name}", args=[cast.family.pk, cast.child.pk, *args])


def start_plan(cast, **text):
    plan = SafetyPlan(child=cast.child, family=cast.family, **text)
    services.safety_plan_save(user=cast.key_worker, plan=plan, expected_version=0)
    return SafetyPlan.objects.get(pk=plan.pk)


def plan_form_data(plan=None, **changes):
    names = ["what_is_working_well", "protective_people_and_places", "peer_groups", "places_and_times",
             "online_platforms", "school", "warning_signs", "parent_words", "child_words", "emergency_contacts",
             "police_references", "agreed_by", "internal_notes"]
    data = {name: getattr(plan, name) if plan else "" for name in names}
    data.update(review_on="", agreed_on="", what_changed="", version=plan.version if plan else 0)
    data.update(changes)
    return data


# --------------------------------------------------------------- the page and the words


def test_a_child_without_a_plan_is_offered_one(cast, key_worker_client):
    response = key_worker_client.get(url(cast, "plan"))
    assert response.status_code == 200
    assert "Start a safety plan with Tyler's family" in response.content.decode()


def test_the_first_save_starts_the_plan(cast, key_worker_client):
    response = key_worker_client.post(url(cast, "plan"), plan_form_data(warning_signs="New trainers"))
    assert response.status_code == 302
    plan = SafetyPlan.objects.get(child=cast.child)
    assert plan.warning_signs == "New trainers"
    assert plan.created_by == cast.key_worker
    assert plan.versions.get().number == 1


def test_the_plan_page_shows_every_part(cast, key_worker_client):
    plan = start_plan(cast, what_is_working_well="Tyler talks to his nan", peer_groups="Year 10 boys",
                      warning_signs="Comes home with cash", child_words="I want to feel safe at the park",
                      emergency_contacts="Nan 07700 900123", police_references="WM-2026-1234",
                      internal_notes="Dad not to be contacted")
    services.plan_row_save(user=cast.key_worker, plan=plan, row=Worry(who_is_worried="Mum", worry="The park at night"),
                           expected_version=1)
    response = key_worker_client.get(url(cast, "plan"))
    page = response.content.decode()
    for text in ["Tyler talks to his nan", "Year 10 boys", "Comes home with cash", "I want to feel safe at the park",
                 "Nan 07700 900123", "WM-2026-1234", "Dad not to be contacted", "The park at night",
                 "The safety network", "People of concern", "If this happens, then we do that", "Version 2"]:
        assert text in page, text
    assert LogEntry.objects.filter(action=LogEntry.Action.ACCESS, object_id=cast.family.pk).exists()


def test_a_person_who_is_not_a_child_of_the_family_has_no_plan_page(cast, key_worker_client):
    carer_url = reverse("safety_plans:plan", args=[cast.family.pk, cast.carer.pk])
    other_child = PersonFactory(kind="child", date_of_birth=datetime.date(2012, 1, 1))
    elsewhere = reverse("safety_plans:plan", args=[cast.family.pk, other_child.pk])
    assert key_worker_client.get(carer_url).status_code == 404
    assert key_worker_client.get(elsewhere).status_code == 404


# --------------------------------------------------------------- two people at once


def test_the_second_of_two_saves_of_the_same_version_is_refused_and_nothing_is_lost(cast):
    plan = start_plan(cast, warning_signs="Late home", school="Year 9")
    first, second = client_for(cast.key_worker), client_for(cast.teammate)
    # Both open the plan at version 1.
    assert first.post(url(cast, "plan"), plan_form_data(plan, warning_signs="Late home; new phone")).status_code == 302
    response = second.post(url(cast, "plan"), plan_form_data(plan, warning_signs="Late home, with cash",
                                                             parent_words="I am frightened for him"))
    assert response.status_code == 200
    page = response.content.decode()
    plan.refresh_from_db()
    assert plan.warning_signs == "Late home; new phone"  # not overwritten
    assert plan.version == 2
    # Their own words are still in the form, the other person's saved words beside them.
    form = response.context["plan_form"]
    assert form["warning_signs"].value() == "Late home, with cash"
    assert form["parent_words"].value() == "I am frightened for him"
    assert "Late home; new phone" in page
    assert "saved meanwhile by" in page
    assert response.context["conflict"].saved_meanwhile == {"warning_signs": "Late home; new phone"}
    # The form now carries the current version, so saving the merged words is accepted.
    assert form["version"].value() == "2"
    assert second.post(url(cast, "plan"), form.data).status_code == 302
    plan.refresh_from_db()
    assert plan.warning_signs == "Late home, with cash"
    assert plan.version == 3


def test_a_part_only_the_other_person_changed_keeps_their_words(cast):
    plan = start_plan(cast, school="Year 9", warning_signs="Late home")
    first, second = client_for(cast.key_worker), client_for(cast.teammate)
    first.post(url(cast, "plan"), plan_form_data(plan, school="Moved to Oakfield Academy"))
    response = second.post(url(cast, "plan"), plan_form_data(plan, warning_signs="Late home and tired"))
    form = response.context["plan_form"]
    assert form["school"].value() == "Moved to Oakfield Academy"
    assert form["warning_signs"].value() == "Late home and tired"
    assert response.context["conflict"].kept_theirs == ["School"]


def test_an_inline_row_on_a_stale_version_is_refused_with_the_input_kept(cast):
    plan = start_plan(cast)
    client_for(cast.teammate).post(url(cast, "plan"), plan_form_data(plan, school="Year 10"))
    response = client_for(cast.key_worker).post(
        url(cast, "plan_row_add", "people"), {"name_or_description": "Man called Jay", "version": 1}, **HTMX)
    assert response.status_code == 200
    assert not PersonOfConcern.objects.exists()
    page = response.content.decode()
    assert 'value="Man called Jay"' in page
    assert "saved a change to this plan while you were working on it" in page
    assert "Year 10" in page  # what changed meanwhile, from the comparison


# --------------------------------------------------------------- lists edited in place


def test_adding_a_person_of_concern_with_htmx_returns_the_list(cast, key_worker_client):
    start_plan(cast)
    response = key_worker_client.post(url(cast, "plan_row_add", "people"),
                                      {"name_or_description": "Man in a silver Audi", "vehicles": "AB12 CDE",
                                       "version": 1}, **HTMX)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" not in page
    assert 'id="people-list"' in page
    assert "Man in a silver Audi" in page
    # Every other form on the page that was at version 1 is brought up to version 2.
    assert 'hx-swap-oob=\'outerHTML:input.plan-version[value="1"]\'' in page
    assert PersonOfConcern.objects.get().vehicles == "AB12 CDE"
    assert PlanVersion.objects.count() == 2


def test_adding_a_person_of_concern_without_javascript_goes_back_to_the_plan(cast, key_worker_client):
    start_plan(cast)
    response = key_worker_client.post(url(cast, "plan_row_add", "people"),
                                      {"name_or_description": "Man in a silver Audi", "version": 1})
    assert response.status_code == 302
    assert response["Location"] == url(cast, "plan") + "#people"
    assert PersonOfConcern.objects.count() == 1


def test_a_row_with_a_mistake_comes_back_with_the_error(cast, key_worker_client):
    start_plan(cast)
    response = key_worker_client.post(url(cast, "plan_row_add", "worries"),
                                      {"who_is_worried": "Mum", "worry": "", "version": 1}, **HTMX)
    assert response.status_code == 200
    assert "Enter what we are worried about." in response.content.decode()
    assert not Worry.objects.exists()
    response = key_worker_client.post(url(cast, "plan_row_add", "worries"),
                                      {"who_is_worried": "Mum", "worry": "", "version": 1})
    assert response.status_code == 200
    assert "<html" in response.content.decode()


def test_editing_and_removing_a_row_in_place(cast, key_worker_client):
    plan = start_plan(cast)
    services.plan_row_save(user=cast.key_worker, plan=plan, row=Worry(who_is_worried="Mum", worry="Park"),
                           expected_version=1)
    worry = Worry.objects.get()
    form = key_worker_client.get(url(cast, "plan_row_edit", "worries", worry.pk), **HTMX)
    assert form.status_code == 200
    assert 'name="version" value="2"' in form.content.decode()
    saved = key_worker_client.post(url(cast, "plan_row_edit", "worries", worry.pk),
                                   {"who_is_worried": "Mum", "worry": "The park after dark", "version": 2}, **HTMX)
    assert "The park after dark" in saved.content.decode()
    removed = key_worker_client.post(url(cast, "plan_row_remove", "worries", worry.pk), {"version": 3})
    assert removed.status_code == 302
    assert not Worry.objects.exists()
    assert list(PlanVersion.objects.order_by("number").values_list("number", flat=True)) == [1, 2, 3, 4]


def test_a_commitment_marked_done_from_the_page(cast, key_worker_client):
    from safety_plans.models import Commitment

    plan = start_plan(cast)
    services.plan_row_save(user=cast.key_worker, plan=plan, expected_version=1, row=Commitment(
        who="School", commitment="Meet Tyler at the gate", due_on=timezone.localdate()))
    commitment = Commitment.objects.get()
    response = key_worker_client.post(url(cast, "plan_commitment_done", commitment.pk), {"version": 2}, **HTMX)
    assert response.status_code == 200
    commitment.refresh_from_db()
    assert commitment.status == "done"


def test_a_safety_rating_is_added_and_drawn(cast, key_worker_client):
    start_plan(cast)
    for day, score in (("2026-01-05", 3), ("2026-02-05", 6)):
        response = key_worker_client.post(url(cast, "plan_rating_add"),
                                          {"rated_by": "Mum", "score": score, "rated_on": day, "note": ""})
        assert response.status_code == 302
    key_worker_client.post(url(cast, "plan_rating_add"), {"rated_by": "Tyler", "score": 5, "rated_on": "2026-02-05"})
    assert SafetyRating.objects.count() == 3
    assert PlanVersion.objects.count() == 1  # ratings are a history, not versions
    page = key_worker_client.get(url(cast, "plan")).content.decode()
    assert "<svg" in page and "<polyline" in page
    assert "Safety ratings over time" in page
    assert "Every rating, oldest first" in page
    assert page.count("<polyline") == 2  # one line for Mum, one for Tyler
    refused = key_worker_client.post(url(cast, "plan_rating_add"), {"rated_by": "Mum", "score": 11,
                                                                     "rated_on": "2026-02-05"})
    assert refused.status_code == 200
    assert SafetyRating.objects.count() == 3


# --------------------------------------------------------------- versions, comparing, restoring


def test_the_versions_list(cast, key_worker_client):
    plan = start_plan(cast, school="Year 9")
    plan.school = "Year 10"
    services.safety_plan_save(user=cast.teammate, plan=plan, expected_version=1, what_changed="New school year")
    page = key_worker_client.get(url(cast, "plan_versions")).content.decode()
    assert "New school year" in page
    assert "Safety plan started" in page
    assert escape(str(cast.teammate)) in page


def test_compare_shows_the_differences(cast, key_worker_client):
    plan = start_plan(cast, warning_signs="Late home with new trainers")
    plan.warning_signs = "Late home with a new phone"
    services.safety_plan_save(user=cast.key_worker, plan=plan, expected_version=1)
    plan.refresh_from_db()
    services.plan_row_save(user=cast.key_worker, plan=plan, expected_version=2,
                           row=PersonOfConcern(name_or_description="Older boy called K"))
    response = key_worker_client.get(url(cast, "plan_compare"), {"from": 1, "to": 3})
    page = response.content.decode()
    assert response.status_code == 200
    assert "<del><span class=\"visually-hidden\">[removed: </span>trainers" in page
    assert "<ins><span class=\"visually-hidden\">[added: </span>a" in page
    assert "Older boy called K" in page
    assert "Added" in page
    assert key_worker_client.get(url(cast, "plan_compare"), {"from": 1, "to": 9}).status_code == 404


def test_restore_from_the_page_makes_a_new_version(cast, key_worker_client):
    plan = start_plan(cast, school="Year 9")
    plan.school = "Year 10"
    services.safety_plan_save(user=cast.key_worker, plan=plan, expected_version=1)
    confirm = key_worker_client.get(url(cast, "plan_restore", 1))
    assert "Year 9" in confirm.content.decode()
    response = key_worker_client.post(url(cast, "plan_restore", 1), {"version": 2})
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.school == "Year 9"
    assert plan.version == 3
    assert plan.versions.get(number=3).what_changed == "Restored version 1"
    stale = key_worker_client.post(url(cast, "plan_restore", 2), {"version": 2})
    assert stale.status_code == 200
    assert "nothing was restored" in stale.content.decode()
    assert PlanVersion.objects.count() == 3


# --------------------------------------------------------------- who may see it


def plan_addresses(cast, plan):
    worry = Worry.objects.get(plan=plan)
    return [
        url(cast, "plan"),
        url(cast, "plan_versions"),
        url(cast, "plan_compare") + "?from=1&to=2",
        url(cast, "plan_restore", 1),
        url(cast, "plan_family_copy"),
        url(cast, "plan_family_copy_pdf"),
        url(cast, "plan_rating_add"),
        url(cast, "plan_list", "worries"),
        url(cast, "plan_row_add", "worries"),
        url(cast, "plan_row_edit", "worries", worry.pk),
        url(cast, "plan_row_remove", "worries", worry.pk),
        url(cast, "plan_commitment_done", worry.pk),
    ]


def test_outsiders_get_404_everywhere_whatever_the_method(cast, outsider_client):
    plan = start_plan(cast, school="Year 9")
    services.plan_row_save(user=cast.key_worker, plan=plan, row=Worry(who_is_worried="Mum", worry="Park"),
                           expected_version=1)
    for address in plan_addresses(cast, plan):
        assert outsider_client.get(address).status_code == 404, address
        assert outsider_client.post(address, {"version": 2, "school": "x", "worry": "x",
                                              "who_is_worried": "x"}).status_code == 404, address
        assert outsider_client.post(address, {"version": 2}, **HTMX).status_code == 404, address
    plan.refresh_from_db()
    assert plan.version == 2
    # Nothing was shown or changed; every attempt is in the family's history as refused.
    entries = LogEntry.objects.filter(actor=cast.outsider)
    assert entries.exists()
    assert {(entry.action, entry.additional_data["read"], entry.object_id) for entry in entries} == {
        (LogEntry.Action.ACCESS, "refused", cast.family.pk)}


def test_signed_out_visitors_are_sent_to_sign_in(cast, anonymous_client):
    start_plan(cast)
    response = anonymous_client.get(url(cast, "plan"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
