"""Hostile input posted through the forms caseworkers use most, through their real views.

Each example is one whole submission (tests.hostile.submission): the form's own valid data with one
or two fields replaced by hostile text, dates, numbers, choices or another team's ids. Whatever is
posted, the page never fails (no 500); input that is refused is shown again and writes no case
record; input that is accepted is saved as the form cleaned it, with no control character in one-line
text and every date within its bounds. Each example runs in a savepoint that is rolled back.
"""

import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from core.forms import UKDateField, UKDateTimeField
from families import permissions
from families.call_forms import ContactAmendForm, ContactForm, FollowUpForm
from families.models import Contact, Family, FollowUp
from meetings.forms import MeetingForm
from meetings.models import Meeting
from referrals import services as referral_services
from referrals.forms import MilestoneForm, ReferralForm
from referrals.models import MilestoneRecord, Referral
from safety_plans import services as plan_services
from safety_plans.forms import SafetyPlanForm
from safety_plans.intelligence_forms import IntelligenceEntryForm
from safety_plans.missing_forms import WentMissingForm
from safety_plans.models import IntelligenceEntry, MissingEpisode, SafetyPlan
from tests.factories import ChildFactory, ContactFactory, FamilyFactory, FollowUpFactory, PersonFactory, ReferralFactory
from tests.hostile import (
    EXAMPLES,
    changed_counts,
    differences_from_cleaned,
    hostile,
    rolled_back,
    row_counts,
    submission,
    unclean_values,
    valid_data,
)


@dataclass
class FormPage:
    """A page with a form, as the tests post to it. ``make_forms(data)`` builds the view's forms as the
    view does (bound to ``data``, or unbound for None); ``written(forms)`` finds, after an accepted post,
    the row each form saved (None where a form saved nothing)."""

    url: str
    make_forms: Callable
    written: Callable
    overrides: dict = field(default_factory=dict)


def _failure(response):
    if getattr(response, "exc_info", None):
        return "".join(traceback.format_exception(*response.exc_info))
    return response.content.decode(errors="replace")[:2000]


def _forms_in(response):
    found = []
    for context in response.context or []:
        for value in context.flatten().values():
            if isinstance(value, forms.BaseForm) and value.is_bound:
                found.append(value)
    return found


def as_posted(data):
    """``data`` as the view reads it: a QueryDict, in which a name posted several times has all its values."""
    posted = QueryDict(mutable=True)
    for key, value in data.items():
        posted.setlist(key, [str(item) for item in value] if isinstance(value, list) else [str(value)])
    return posted


def post_and_check(client, page, data):
    """Post ``data``; assert no server error, nothing written when refused, and what was written
    when accepted is the cleaned input."""
    client.raise_request_exception = False

    def check():
        expected = page.make_forms(as_posted(data))
        before = row_counts()
        # The token a page's form always sends: an empty POST would be read as no form sent at all.
        response = client.post(page.url, {"csrfmiddlewaretoken": "from the page", **data})
        assert response.status_code < 500, _failure(response)
        assert response.status_code in (200, 302), response.status_code
        if response.status_code == 200:
            assert changed_counts(before, row_counts()) == {}, "refused input wrote rows"
            shown = _forms_in(response)
            assert any(form.errors for form in shown) or (response.context.get("conflict") is not None), (
                "the form came back without saying what is wrong"
            )
            return
        assert "/login" not in response["Location"]
        for form, row in zip(expected, page.written(expected), strict=True):
            if row is None:
                continue
            assert form.is_valid(), f"the view saved what the form refuses: {form.errors}"
            assert unclean_values(row) == []
            assert differences_from_cleaned(row, form.cleaned_data) == []

    rolled_back(check)


def _check_baseline(client, page):
    """The valid data the examples start from is accepted, so that hostile values reach deep."""
    data = valid_data(page.make_forms(None), page.overrides)
    response = client.post(page.url, data)
    assert response.status_code == 302, _forms_in(response) and [form.errors for form in _forms_in(response)]


@pytest.fixture
def elsewhere(cast):
    """Another team's family with the records its ids could be tried for."""
    family = FamilyFactory()
    carer = PersonFactory(family=family)
    ChildFactory(family=family)
    ContactFactory(family=family, worker=cast.outsider, spoke_with=carer)
    FollowUpFactory(family=family, owner=cast.outsider)
    ReferralFactory(family=family, created_by=cast.outsider)
    return family


def _family(cast):
    return Family.objects.select_related("local_authority").get(pk=cast.family.pk)


def _today(key):
    today = timezone.localdate()
    return {f"{key}_day": str(today.day), f"{key}_month": str(today.month), f"{key}_year": str(today.year)}


def _newest(queryset):
    return queryset.order_by("-pk").first()


# ------------------------------------------------------------------ the pages


@pytest.fixture
def call_page(cast, elsewhere):
    def make_forms(data):
        family = _family(cast)
        colleagues = permissions.people_who_may_see(family.team_id)
        return [
            ContactForm(data, prefix="contact", family=family, default_spoke_with=cast.carer),
            FollowUpForm(data, prefix="follow_up", colleagues=colleagues, owner=cast.key_worker, optional=True),
        ]

    def written(made):
        follow_up = None if made[1].is_empty() else _newest(FollowUp.objects.filter(family=cast.family))
        return [_newest(Contact.objects.filter(family=cast.family)), follow_up]

    return FormPage(reverse("families:contact_log", args=[cast.family.pk]), make_forms, written,
                    overrides={"contact-summary": "Talked about school.", "follow_up-description": "Ring back",
                               "follow_up-owner": str(cast.key_worker.pk), **_today("follow_up-due_on")})


@pytest.fixture
def follow_up_page(cast, elsewhere):
    def make_forms(data):
        colleagues = permissions.people_who_may_see(cast.family.team_id)
        return [FollowUpForm(data, colleagues=colleagues, owner=cast.key_worker)]

    return FormPage(reverse("families:follow_up_add", args=[cast.family.pk]), make_forms,
                    lambda made: [_newest(FollowUp.objects.filter(family=cast.family))],
                    overrides={"owner": str(cast.key_worker.pk)})


@pytest.fixture
def amend_page(cast, elsewhere):
    # Logged through the form, a call's time is to the minute.
    occurred_at = (timezone.now() - timedelta(hours=2)).replace(second=0, microsecond=0)
    contact = ContactFactory(family=cast.family, worker=cast.key_worker, spoke_with=cast.carer, occurred_at=occurred_at)

    def make_forms(data):
        fresh = Contact.objects.get(pk=contact.pk)
        return [ContactAmendForm(data, instance=fresh, family=_family(cast), initial={"version": fresh.version},
                                 prefix="contact")]

    return FormPage(reverse("families:call_amend", args=[cast.family.pk, contact.pk]), make_forms,
                    lambda made: [Contact.objects.get(pk=contact.pk)],
                    overrides={"contact-summary": "Talked about school and the weekend.",
                               "contact-reason": "The wrong notes were copied in."})


@pytest.fixture
def referral_page(cast, elsewhere):
    return FormPage(reverse("referrals:create", args=[cast.family.pk]),
                    lambda data: [ReferralForm(data, family=_family(cast))],
                    lambda made: [_newest(Referral.objects.filter(family=cast.family))])


@pytest.fixture
def referral(cast):
    return referral_services.referral_create(
        user=cast.key_worker, family=cast.family,
        referral=Referral(local_authority=cast.family.local_authority, referred_by=Referral.ReferredBy.CHARITY),
        children=[cast.child], referral_made_at=timezone.now() - timedelta(days=3),
    )


@pytest.fixture
def milestone_page(cast, elsewhere, referral):
    return FormPage(reverse("referrals:milestone", args=[cast.family.pk, referral.pk]),
                    lambda data: [MilestoneForm(data, referral=Referral.objects.get(pk=referral.pk))],
                    lambda made: [_newest(MilestoneRecord.objects.filter(referral=referral))],
                    overrides={"decision": Referral.Decision.choices[0][0]})


@pytest.fixture
def meeting_page(cast, elsewhere, referral):
    def make_forms(data):
        family = _family(cast)
        return [MeetingForm(data, instance=Meeting(family=family), family=family)]

    return FormPage(reverse("meetings:create", args=[cast.family.pk]), make_forms,
                    lambda made: [_newest(Meeting.objects.filter(family=cast.family))])


@pytest.fixture
def plan_page(cast, elsewhere):
    plan_services.safety_plan_save(
        user=cast.key_worker, expected_version=0,
        plan=SafetyPlan(child=cast.child, family=cast.family, what_is_working_well="Tyler talks to his nan."),
    )

    def make_forms(data):
        plan = SafetyPlan.objects.get(child=cast.child)
        return [SafetyPlanForm(data, instance=plan, initial={"version": plan.version})]

    return FormPage(reverse("safety_plans:plan", args=[cast.family.pk, cast.child.pk]), make_forms,
                    lambda made: [SafetyPlan.objects.get(child=cast.child)],
                    overrides={"warning_signs": "New phone, late nights."})


@pytest.fixture
def missing_page(cast, elsewhere):
    return FormPage(reverse("safety_plans:missing_record", args=[cast.family.pk, cast.child.pk]),
                    lambda data: [WentMissingForm(data)],
                    lambda made: [_newest(MissingEpisode.objects.filter(child=cast.child))])


@pytest.fixture
def intelligence_page(cast, elsewhere):
    return FormPage(reverse("safety_plans:intelligence", args=[cast.family.pk]),
                    lambda data: [IntelligenceEntryForm(data, family=_family(cast))],
                    lambda made: [_newest(IntelligenceEntry.objects.filter(family=cast.family))],
                    overrides={"description": "A silver car waits outside school."})


# The pages and who posts to them: the family's key worker, and for intelligence (which caseworkers
# may not see) the team's manager.
PAGES = [
    ("call_page", "key_worker_client"),
    ("follow_up_page", "key_worker_client"),
    ("amend_page", "key_worker_client"),
    ("referral_page", "key_worker_client"),
    ("milestone_page", "key_worker_client"),
    ("meeting_page", "key_worker_client"),
    ("plan_page", "key_worker_client"),
    ("missing_page", "key_worker_client"),
    ("intelligence_page", "manager_client"),
]


def _page_and_client(request, page_name, client_name):
    return request.getfixturevalue(page_name), request.getfixturevalue(client_name)


@pytest.mark.django_db
@pytest.mark.parametrize(("page_name", "client_name"), PAGES)
def test_the_valid_data_the_examples_start_from_is_saved(request, page_name, client_name):
    page, client = _page_and_client(request, page_name, client_name)
    before = row_counts()
    _check_baseline(client, page)
    assert changed_counts(before, row_counts()) != {}


# A hundred whole submissions per page in CI (each renders the page): the module stays near a minute.
@pytest.mark.django_db
@pytest.mark.parametrize(("page_name", "client_name"), PAGES)
@settings(hostile, max_examples=min(EXAMPLES, 100))
@given(data=st.data())
def test_hostile_input_is_refused_without_writing_or_saved_clean(request, page_name, client_name, data):
    page, client = _page_and_client(request, page_name, client_name)
    posted = data.draw(submission(page.make_forms(None), overrides=page.overrides), label="posted")
    post_and_check(client, page, posted)


# ------------------------------------------------------------------ what the examples found


@pytest.mark.django_db
@pytest.mark.parametrize("opened_at", ["2026-12-08T25:00", "2026-02-30T10:00:00+00:00", "2026-12-08T10:60Z"])
def test_an_impossible_opening_time_asks_for_the_duration(cast, call_page, key_worker_client, opened_at):
    data = valid_data(call_page.make_forms(None), call_page.overrides)
    data["contact-opened_at"] = opened_at
    before = row_counts()
    response = key_worker_client.post(call_page.url, data)
    assert response.status_code == 200
    assert response.context["contact_form"].errors["duration_minutes"] == ["Enter how long the call took, in minutes."]
    assert changed_counts(before, row_counts()) == {}


@pytest.mark.django_db
def test_an_id_no_row_can_have_is_refused_as_not_in_the_list(cast, meeting_page, key_worker_client):
    data = valid_data(meeting_page.make_forms(None), meeting_page.overrides)
    data["children"] = [str(cast.child.pk), "99999999999999999999"]
    before = row_counts()
    response = key_worker_client.post(meeting_page.url, data)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["children"] == [form.fields["children"].error_messages["invalid_pk_value"]]
    assert changed_counts(before, row_counts()) == {}


@pytest.mark.parametrize("with_time", [False, True])
def test_a_day_or_month_too_long_for_its_box_is_not_a_real_date(with_time):
    field = UKDateTimeField() if with_time else UKDateField()
    parts = ["1", "99999999999999999999", "2026", "10:30"][: 4 if with_time else 3]
    with pytest.raises(ValidationError) as refused:
        field.clean(parts)
    assert refused.value.code == "impossible"
