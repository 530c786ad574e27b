"""Dates typed in day, month and year boxes: every wrong or half-typed date is refused with a message
that says what is wrong, nothing is dropped, and what was typed is drawn again."""

import datetime

import pytest
import time_machine
from django import forms
from django.template import Context, Template
from django.utils import timezone

from core.forms import PlainTextMixin, UKDateField, UKDateTimeField, date_in_words
from families.call_forms import FollowUpForm
from tests.factories import UserFactory

LONDON = timezone.get_current_timezone()


class DateForm(forms.Form):
    day = UKDateField(label="Date of birth", required=False)
    due = UKDateField(label="By when")
    moment = UKDateTimeField(label="When", required=False)


def errors(data, field):
    form = DateForm({"due_day": "8", "due_month": "12", "due_year": "2026", **data})
    assert not form.is_valid()
    return form.errors[field]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"day_day": "31", "day_month": "2", "day_year": "2015"}, "day",
         "The date of birth must be a real date: there is no 31/2/2015."),
        ({"day_day": "31", "day_year": "2015"}, "day", "The date of birth must include a month."),
        ({"day_day": "31"}, "day", "The date of birth must include a month and year."),
        ({"day_month": "3"}, "day", "The date of birth must include a day and year."),
        ({"day_day": "1", "day_month": "3", "day_year": "15"}, "day", "Write the year in full, for example"),
        ({"day_day": "first", "day_month": "3", "day_year": "2015"}, "day", "must be written in numbers"),
        ({"day_day": "1", "day_month": "13", "day_year": "2015"}, "day", "there is no 1/13/2015"),
        ({"day_day": "1", "day_month": "1", "day_year": "0001"}, "day", "check the year"),
        ({"due_day": "", "due_month": "", "due_year": ""}, "due", "Enter the date."),
        ({"due_year": "9999"}, "due", "check the year"),
        ({"moment_day": "8", "moment_month": "12", "moment_year": "2026"}, "moment", "must include a time"),
        ({"moment_day": "8", "moment_month": "12", "moment_year": "2026", "moment_time": "25:00"}, "moment",
         "24-hour clock"),
        ({"moment_day": "8", "moment_month": "12", "moment_year": "2026", "moment_time": "13pm"}, "moment",
         "24-hour clock"),
        ({"day": "not a date"}, "day", "must be a real date, written as day, month and year"),
    ],
)
def test_a_wrong_or_half_typed_date_is_refused_with_what_is_wrong(data, field, message):
    assert any(message in error for error in errors(data, field)), errors(data, field)


def test_a_whole_date_and_a_moment_in_uk_time():
    form = DateForm({"due_day": "08", "due_month": "12", "due_year": "2026", "moment_day": "29",
                     "moment_month": "3", "moment_year": "2026", "moment_time": "2:30pm"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["due"] == datetime.date(2026, 12, 8)
    # 29 March 2026 is in British Summer Time: 14:30 in London is 13:30 UTC.
    assert form.cleaned_data["moment"] == datetime.datetime(2026, 3, 29, 13, 30, tzinfo=datetime.UTC)
    assert form.cleaned_data["day"] is None


def test_one_iso_or_uk_value_from_a_link_is_read():
    assert DateForm({"due": "2026-12-08"}).is_valid()
    form = DateForm({"due": "08/12/2026"})
    assert form.is_valid() and form.cleaned_data["due"] == datetime.date(2026, 12, 8)


def test_what_was_typed_is_drawn_again_and_a_date_is_read_back_in_words():
    form = DateForm({"due_day": "31", "due_month": "2", "due_year": "2027", "day_day": "8", "day_month": "12",
                     "day_year": "2015"})
    assert not form.is_valid()
    html = str(form["due"])
    assert all(f'value="{value}"' in html for value in ("31", "2", "2027"))
    assert "Tuesday 8 December 2015" in str(form["day"])
    assert date_in_words(datetime.date(2026, 12, 8)) == "Tuesday 8 December 2026"


def test_each_box_has_its_own_label_and_the_question_is_a_legend():
    html = Template("{% load crispy_forms_tags %}{{ form.due|as_crispy_field }}").render(Context({"form": DateForm()}))
    assert "<legend" in html and "By when" in html
    for part, label in (("0", "Day"), ("1", "Month"), ("2", "Year")):
        assert f'for="id_due_{part}">{label}</label>' in html
    assert 'inputmode="numeric"' in html


@pytest.mark.django_db
def test_a_follow_up_with_a_date_but_no_description_is_not_dropped():
    user = UserFactory()
    colleagues = type(user).objects.filter(pk=user.pk)
    form = FollowUpForm({"follow_up-due_on_day": "8", "follow_up-due_on_month": "12", "follow_up-due_on_year": "2030",
                         "follow_up-owner": user.pk}, prefix="follow_up", colleagues=colleagues, owner=user,
                        optional=True)
    assert not form.is_empty()
    assert not form.is_valid()
    assert form.errors["description"] == [
        "Say what the follow-up is, or clear its date to save the call without it."
    ]
    empty = FollowUpForm({"follow_up-owner": user.pk}, prefix="follow_up", colleagues=colleagues, owner=user,
                         optional=True)
    assert empty.is_empty()


class PlainForm(PlainTextMixin, forms.Form):
    reason = forms.CharField(max_length=5)
    what_was_discussed = forms.CharField(label="What was discussed")
    channel = forms.ChoiceField(choices=[("phone", "Phone")])
    minutes = forms.IntegerField(label="Duration (minutes)", min_value=1, max_value=600)
    kept = forms.CharField(error_messages={"required": "Say why."})


def test_messages_are_in_plain_words_that_name_the_field():
    form = PlainForm({"reason": "too long", "channel": "fax", "minutes": "0"})
    assert not form.is_valid()
    assert form.errors["reason"] == ["This can be at most 5 characters long; it has 8."]
    assert form.errors["what_was_discussed"] == ["Enter what was discussed."]
    assert form.errors["channel"] == ["Choose the channel from the list."]
    assert form.errors["minutes"] == ["The duration (minutes) must be 1 or more."]
    assert form.errors["kept"] == ["Say why."]
    assert PlainForm({"minutes": "ten"}).errors["minutes"] == [
        "Enter the duration (minutes) as a whole number, for example 25."
    ]


@time_machine.travel(datetime.datetime(2026, 12, 1, 12, tzinfo=LONDON))
def test_dates_more_than_ten_years_ahead_are_refused():
    assert DateForm({"due": "2036-12-31"}).is_valid()
    assert "check the year" in DateForm({"due": "2037-01-01"}).errors["due"][0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("parts", "message"),
    [
        (("31", "02", "2015"), "The date of birth must be a real date: there is no 31/02/2015."),
        (("14", "", "2015"), "The date of birth must include a month."),
    ],
)
def test_a_childs_impossible_date_of_birth_is_not_dropped_from_a_new_family(cast, key_worker_client, parts, message):
    from django.urls import reverse

    from families.models import Family
    from tests.families.test_pages import new_family_data

    data = new_family_data(**{"family-team": cast.family.team_id})
    del data["child-date_of_birth"]
    data.update(zip(("child-date_of_birth_day", "child-date_of_birth_month", "child-date_of_birth_year"), parts,
                    strict=True))
    response = key_worker_client.post(reverse("families:create"), data)
    assert response.status_code == 200
    assert Family.objects.count() == 1
    assert response.context["child_form"].errors["date_of_birth"] == [message]
