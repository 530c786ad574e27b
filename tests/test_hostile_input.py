"""Hostile input never gives a server error, and input that is refused writes nothing.

Property-based (Hypothesis): text with NUL bytes and other control characters, very long text,
markup and unusual Unicode, posted through the real views (the search, signing in, a new family)
and given to every text field of every form class. Each database example runs in a savepoint that
is rolled back, inside one pytest-django test: the simplest way that keeps the suite's database as
the other tests expect it. Run on PostgreSQL too, which refuses NUL in text where SQLite does not.
"""

import copy
import importlib
import inspect
from pathlib import Path

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from core.forms import PlainTextMixin
from families.models import Family
from tests.hostile import has_control, hostile, hostile_text, rolled_back

ROOT = Path(__file__).resolve().parent.parent
APPS = ["core", "staff", "families", "agencies", "deadlines", "referrals", "safety_plans", "meetings"]


# ------------------------------------------------------------------ through the real views


@pytest.mark.django_db
@hostile
@given(text=hostile_text())
def test_the_search_never_fails_whatever_is_typed(cast, key_worker_client, text):
    def check():
        response = key_worker_client.post(reverse("families:search"), {"q": text})
        assert response.status_code == 200

    rolled_back(check)


@pytest.mark.django_db
def test_a_nul_byte_in_the_search_still_finds_the_family(cast, key_worker_client):
    response = key_worker_client.post(reverse("families:search"), {"q": "Oka\x00for"})
    assert response.status_code == 200
    assert cast.family.reference in response.content.decode()


@pytest.mark.django_db
@hostile
@given(username=hostile_text(max_size=400), password=hostile_text())
def test_signing_in_never_fails_whatever_is_typed(client, username, password):
    def check():
        response = client.post(reverse("login"), {"username": username, "password": password})
        assert response.status_code in (200, 429)
        assert "_auth_user_id" not in client.session

    rolled_back(check)


@pytest.mark.django_db
def test_an_address_longer_than_the_lockout_table_holds_is_refused_and_counted(client):
    from axes.models import AccessAttempt

    username = "a" * 300 + "@pace.example.org"
    response = client.post(reverse("login"), {"username": username, "password": "not the password"})
    assert response.status_code == 200
    attempt = AccessAttempt.objects.get()
    assert attempt.username == username[:255]


NEW_FAMILY_TEXT_FIELDS = ["carer-first_name", "carer-last_name", "child-first_name", "carer-phone", "family-postcode"]


@pytest.mark.django_db
@hostile
@given(field=st.sampled_from(NEW_FAMILY_TEXT_FIELDS), text=hostile_text())
def test_a_new_family_with_hostile_text_is_refused_or_saved_clean(cast, key_worker_client, field, text):
    data = {
        "carer-first_name": "Precious",
        "child-first_name": "Kai",
        "family-source": Family.Source.SELF,
        "family-team": cast.family.team_id,
        field: text,
    }

    def check():
        before = Family.objects.count()
        response = key_worker_client.post(reverse("families:create"), data)
        assert response.status_code in (200, 302)
        if response.status_code == 200:
            assert Family.objects.count() == before, "a refused family was saved"
        else:
            saved = Family.objects.order_by("-pk").first()
            names = [f"{person.first_name} {person.last_name}" for person in saved.people.all()]
            assert not any(has_control(name) for name in [*names, saved.postcode])

    rolled_back(check)


def test_control_characters_in_a_name_are_refused_with_a_plain_message(cast, key_worker_client):
    data = {"carer-first_name": "Pre\x1bcious", "child-first_name": "Kai\x00",
            "family-source": Family.Source.SELF, "family-team": cast.family.team_id}
    response = key_worker_client.post(reverse("families:create"), data)
    assert response.status_code == 200
    assert not Family.objects.exclude(pk=cast.family.pk).exists()
    page = response.content.decode()
    assert page.count("Remove the hidden characters from this text") >= 2
    assert "Null characters are not allowed" not in page


# ------------------------------------------------------------------ every form class, directly


def project_form_classes():
    """Every form class the apps define, found by importing each app's forms modules."""
    classes = set()
    for app in APPS:
        for path in sorted((ROOT / app).glob("*forms*.py")):
            module = importlib.import_module(f"{app}.{path.stem}")
            for _, value in inspect.getmembers(module, inspect.isclass):
                # A mixin (AddPersonMixin) is checked in the forms that use it.
                if (issubclass(value, forms.BaseForm) and value.__module__ == module.__name__
                        and not value.__name__.endswith("Mixin")):
                    classes.add(value)
    return sorted(classes, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


FORM_CLASSES = project_form_classes()
# Forms whose text is never kept: filters read from the query string, and the postcode lookup, whose
# one field must be a postcode (postcodes.normalise_postcode) and so can hold no markup or control character.
WITHOUT_PLAIN_TEXT = {
    "agencies.forms.DirectoryFilterForm",
    "families.timeline_forms.TimelineFilterForm",
    "families.forms.PostcodeLookupForm",
}


def test_the_forms_were_all_found():
    names = {f"{cls.__module__}.{cls.__qualname__}" for cls in FORM_CLASSES}
    assert len(names) > 30
    for expected in ("families.forms.NewFamilyForm", "families.call_forms.ContactForm",
                     "families.call_forms.FollowUpForm", "referrals.forms.ReferralForm"):
        assert expected in names, names
    assert names >= WITHOUT_PLAIN_TEXT


@pytest.mark.parametrize("form_class", FORM_CLASSES, ids=lambda cls: f"{cls.__module__}.{cls.__qualname__}")
def test_every_form_with_text_refuses_markup_and_control_characters(form_class):
    name = f"{form_class.__module__}.{form_class.__qualname__}"
    text_fields = [field for field in form_class.base_fields.values() if isinstance(field, forms.CharField)]
    if name in WITHOUT_PLAIN_TEXT:
        # Django's own check still refuses NUL in any text these take.
        for field in text_fields:
            with pytest.raises(ValidationError):
                field.clean("a\x00b")
        return
    assert issubclass(form_class, PlainTextMixin), f"{name} takes text but does not use PlainTextMixin"


def _probe_fields(form_class):
    """The form's fields as PlainTextMixin sets them up, without the arguments (teams, family…) the
    form's own constructor needs: a form of the same fields, through the same mixin."""
    probe = type("Probe", (PlainTextMixin, forms.Form), {})
    probe.base_fields = copy.deepcopy(form_class.base_fields)
    return probe().fields


TEXT_FIELDS = [
    (form_class, name)
    for form_class in FORM_CLASSES
    if issubclass(form_class, PlainTextMixin)
    for name, field in form_class.base_fields.items()
    if isinstance(field, forms.CharField) and not isinstance(field, forms.ModelChoiceField)
]


@hostile
@given(data=st.data())
def test_every_text_field_refuses_or_keeps_clean_text(data):
    form_class, name = data.draw(st.sampled_from(TEXT_FIELDS), label="field")
    field = _probe_fields(form_class)[name]
    text = data.draw(hostile_text(), label="text")
    try:
        value = field.clean(text)
    except ValidationError:
        return
    allowed = "\t\n\r" if isinstance(field.widget, forms.Textarea) else ""
    assert not has_control(str(value), allowed), f"{form_class.__name__}.{name} kept {value!r}"
    assert "\x00" not in str(value)


@pytest.mark.parametrize(
    ("widget", "text", "refused"),
    [
        (forms.TextInput, "Joanne\x00", True),
        (forms.TextInput, "Joanne\tOkafor", True),
        (forms.TextInput, "Jo\x1b[31manne", True),
        (forms.TextInput, "Siobhán Ó Briain", False),
        (forms.Textarea, "Line one\r\nLine two\tindented", False),
        (forms.Textarea, "Call notes\x00", True),
        (forms.Textarea, "Bell\x07", True),
    ],
)
def test_one_line_text_refuses_every_control_character_and_writing_keeps_line_breaks(widget, text, refused):
    probe = type("Probe", (PlainTextMixin, forms.Form), {"text": forms.CharField(widget=widget, strip=False)})
    form = probe({"text": text})
    assert form.is_valid() is not refused
    if refused:
        assert form.errors["text"] == [
            "Remove the hidden characters from this text: they may have come with text copied from elsewhere. "
            "Retype it if you cannot see them."
        ]
