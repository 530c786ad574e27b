"""The call form's "Ratings": the parent spoken with answers during the call, and the answers are
saved with the call in one transaction, or nothing is saved."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from families.models import Contact, FollowUp
from outcomes.measures import MEASURES
from outcomes.models import CheckIn
from tests.families.test_calls import CALL_FORM_QUERIES, grow
from tests.outcomes.conftest import london, record
from tests.outcomes.test_check_ins import text_of

pytestmark = pytest.mark.django_db

D = datetime.date
SUMMARY = "Joanne talked through the week; she feels more able to speak to the school."


def log_url(family):
    return reverse("families:contact_log", args=[family.pk])


def call_data(cast, *, occurred_at=None, **changes):
    occurred_at = occurred_at or london(2026, 11, 30, 8, 30)
    data = {
        "contact-spoke_with": cast.carer.pk,
        "contact-summary": SUMMARY,
        "contact-occurred_at": timezone.localtime(occurred_at).strftime("%Y-%m-%dT%H:%M"),
        "contact-duration_minutes": "25",
        "contact-channel": "phone",
        "contact-opened_at": (timezone.now() - datetime.timedelta(minutes=20)).isoformat(),
        "follow_up-owner": cast.key_worker.pk,
        **{f"ratings-{measure.field}": "" for measure in MEASURES},
    }
    data.update(changes)
    return data


def test_the_call_form_asks_the_questions_with_not_asked_chosen(cast, family, key_worker_client):
    response = key_worker_client.get(log_url(family))
    html = response.content.decode()
    text = text_of(response)
    assert "Ratings (optional)" in text
    for measure in MEASURES:
        assert measure.question in text
        assert re.search(rf'<input type="radio"[^>]*name="ratings-{measure.field}" value=""[^>]*checked', html)
        assert f'name="ratings-{measure.field}" value="5"' in html
    # A group of native radio buttons under the question as its legend: arrow keys move within it.
    assert re.search(r"<fieldset[^>]*>\s*<legend[^>]*>How confident do you feel", html)
    # After the call's own fields (the note, the follow-up, the support given, the details), just
    # before the button: the keyboard path through a call stays as it was, and the ratings are there
    # for the calls that ask them.
    assert html.index('name="contact-support_given"') < html.index('name="ratings-confidence"')
    assert html.index('name="contact-duration_minutes"') < html.index('name="ratings-confidence"')
    assert html.index('name="ratings-csc_support"') < html.index('>Save call</button>')


def test_a_due_check_in_is_named_above_the_questions(cast, family, key_worker_client):
    record(cast, family, asked_on=D(2026, 8, 3))
    text = text_of(key_worker_client.get(log_url(family)))
    assert "Ask Joanne's ratings again: due by 3 November 2026" in text


def test_ratings_are_saved_with_the_call(cast, family, key_worker_client):
    data = call_data(cast, **{"ratings-confidence": "2", "ratings-wellbeing": "3", "ratings-csc_support": "1"})
    response = key_worker_client.post(log_url(family), data)
    assert response.status_code == 302
    contact = Contact.objects.get()
    check_in = CheckIn.objects.get()
    assert check_in.contact == contact
    assert (check_in.parent, check_in.asked_on, check_in.occasion) == (cast.carer, D(2026, 11, 30),
                                                                       CheckIn.Occasion.FIRST)
    assert check_in.scores() == {"confidence": 2, "understanding": None, "wellbeing": 3, "csc_support": 1}
    assert check_in.recorded_by == cast.key_worker


def test_ratings_are_asked_on_the_calls_day(cast, family, key_worker_client):
    data = call_data(cast, occurred_at=london(2026, 11, 27, 23, 30), **{"ratings-understanding": "4"})
    assert key_worker_client.post(log_url(family), data).status_code == 302
    assert CheckIn.objects.get().asked_on == D(2026, 11, 27)


def test_a_call_without_ratings_saves_no_check_in(cast, family, key_worker_client):
    assert key_worker_client.post(log_url(family), call_data(cast)).status_code == 302
    assert Contact.objects.count() == 1
    assert not CheckIn.objects.exists()


def test_an_answer_off_the_scale_saves_nothing_and_keeps_everything_typed(cast, family, key_worker_client):
    data = call_data(cast, **{"ratings-confidence": "4", "ratings-wellbeing": "7",
                              "follow_up-description": "Ring the school", "follow_up-due_on": "2026-12-04"})
    response = key_worker_client.post(log_url(family), data)
    assert response.status_code == 200
    form = next(part.form for part in response.context["call_parts"] if part.part.key == "ratings")
    assert form.errors["wellbeing"] == ["Choose one of the answers shown, from 1 to 5, or “Not asked”."]
    html = response.content.decode()
    assert 'id="id_ratings-wellbeing_error"' in html
    assert re.search(r'<input type="radio"[^>]*name="ratings-confidence" value="4"[^>]*checked', html)
    assert SUMMARY in html
    assert 'value="Ring the school"' in html
    assert not Contact.objects.exists()
    assert not FollowUp.objects.exists()
    assert not CheckIn.objects.exists()


def test_ratings_from_a_call_with_the_child_are_refused_next_to_them(cast, family, key_worker_client):
    data = call_data(cast, **{"contact-spoke_with": cast.child.pk, "ratings-confidence": "3"})
    response = key_worker_client.post(log_url(family), data)
    assert response.status_code == 200
    form = next(part.form for part in response.context["call_parts"])
    assert "Ratings are a parent's own" in form.errors["confidence"][0]
    assert not Contact.objects.exists()
    # The same call without the ratings is saved.
    data["ratings-confidence"] = ""
    assert key_worker_client.post(log_url(family), data).status_code == 302


def test_ratings_refused_while_saving_roll_the_call_back(cast, family, key_worker_client):
    # The parent's first ratings were asked on 20 November: ratings in a call dated before it are
    # refused by the service, inside the call's transaction, so the call and its follow-up go too.
    record(cast, family, asked_on=D(2026, 11, 20))
    data = call_data(cast, occurred_at=london(2026, 11, 19, 10, 0),
                     **{"ratings-confidence": "4", "follow_up-description": "Ring the school",
                        "follow_up-due_on": "2026-12-04"})
    response = key_worker_client.post(log_url(family), data)
    assert response.status_code == 200
    assert "first ratings were asked on Friday 20 November 2026" in response.context["contact_form"].errors[
        "occurred_at"][0]
    assert not Contact.objects.exists()
    assert not FollowUp.objects.exists()
    assert CheckIn.objects.count() == 1
    # Put right, the same form saves the call, once.
    data["contact-occurred_at"] = "2026-11-30T08:30"
    assert key_worker_client.post(log_url(family), data).status_code == 302
    assert Contact.objects.count() == 1
    assert CheckIn.objects.count() == 2


@pytest.mark.parametrize("count", [1, 10])
def test_the_call_form_costs_the_same_with_ratings_due(cast, family, key_worker_client, django_assert_num_queries,
                                                       count):
    grow(cast, count)
    for parent in family.people.filter(kind="carer"):
        record(cast, family, asked_on=D(2026, 8, 3), parent=parent)
    with django_assert_num_queries(CALL_FORM_QUERIES):
        response = key_worker_client.get(log_url(family))
    assert len(next(part.form for part in response.context["call_parts"]).due) == count + 1
