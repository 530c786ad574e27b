"""Calls: the call form starts warm, and a logged call can be put right (amended, moved to the right
family, struck through, reinstated) without anything being destroyed; "Mark done" can be undone."""

import datetime
import re
from html import unescape

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from core.errors import EditConflict, UserFixableError
from families import calls
from families.models import Contact, ContactRevision, FollowUp, Person
from tests.conftest import client_for
from tests.factories import (
    ChildFactory,
    ContactFactory,
    FamilyFactory,
    FollowUpFactory,
    MembershipFactory,
    PersonFactory,
    RelationshipFactory,
    support_category,
)

pytestmark = pytest.mark.django_db

SUMMARY = "Joanne said the car was outside school again; we talked about writing down the registration."


def html_of(response) -> str:
    return unescape(response.content.decode())


def text_of(response) -> str:
    """The page's words as people read them: without tags, spaces run together."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split()).replace(" :", ":")


def said(moment) -> str:
    """A moment as the call pages say it: "3 Dec 2026 at 14:05", UK time."""
    local = timezone.localtime(moment)
    return f"{local.day} {local:%b %Y} at {local:%H:%M}"


def a_minute_ago(minutes=60):
    return timezone.now().replace(second=0, microsecond=0) - datetime.timedelta(minutes=minutes)


def logged_call(cast, **fields):
    fields.setdefault("occurred_at", a_minute_ago())
    fields.setdefault("spoke_with", cast.carer)
    fields.setdefault("summary", SUMMARY)
    contact = ContactFactory(family=cast.family, worker=cast.key_worker, **fields)
    contact.support_given.set([support_category("listening")])
    return contact


def log_url(cast):
    return reverse("families:contact_log", args=[cast.family.pk])


def call_url(name, contact):
    return reverse(f"families:{name}", args=[contact.family_id, contact.pk])


def new_call_data(cast, **changes):
    data = {
        "contact-spoke_with": cast.carer.pk,
        "contact-summary": SUMMARY,
        "contact-occurred_at": timezone.localtime(a_minute_ago(30)).strftime("%Y-%m-%dT%H:%M"),
        "contact-duration_minutes": "",
        "contact-channel": "phone",
        "contact-opened_at": (timezone.now() - datetime.timedelta(minutes=20)).isoformat(),
        "follow_up-owner": cast.key_worker.pk,
    }
    data.update(changes)
    return data


def amend_data(contact, **changes):
    data = {
        "contact-spoke_with": contact.spoke_with_id or "",
        "contact-summary": contact.summary,
        "contact-support_given": [category.pk for category in contact.support_given.all()],
        "contact-occurred_at": timezone.localtime(contact.occurred_at).strftime("%Y-%m-%dT%H:%M"),
        "contact-duration_minutes": str(contact.duration_minutes),
        "contact-channel": contact.channel,
        "contact-reason": "",
        "contact-version": contact.version,
    }
    if contact.handle_with_care:
        data["contact-handle_with_care"] = "on"
    data.update(changes)
    return data


# --------------------------------------------------------------- the call form starts warm


def test_the_form_opens_on_who_we_spoke_with_then_what_was_discussed(cast, key_worker_client):
    response = key_worker_client.get(log_url(cast))
    form = response.context["contact_form"]
    visible = [field.name for field in form.visible_fields()]
    assert visible == [
        "spoke_with", "summary", "handle_with_care", "support_given", "occurred_at", "duration_minutes", "channel",
    ]
    html = html_of(response)
    assert re.search(r'<select name="contact-spoke_with"[^>]*autofocus', html)
    assert html.count("autofocus") == 1
    assert form["spoke_with"].value() == cast.carer.pk
    assert not form.fields["duration_minutes"].required
    # The follow-up comes after the conversation, and the call's details after both.
    assert html.index('name="contact-summary"') < html.index('name="follow_up-description"')
    assert html.index('name="follow_up-due_on_year"') < html.index('name="contact-support_given"')
    assert html.index('name="contact-summary"') < html.index('name="contact-occurred_at_day"')
    assert html.index('name="contact-occurred_at_day"') < html.index('name="contact-duration_minutes"')
    # The timer is there for JavaScript to start, and not read out every second.
    assert re.search(r'role="timer" aria-live="off"', html)
    assert "js/call_form.js" in html


def test_the_person_defaults_to_the_carer_last_spoken_with(cast, key_worker_client):
    dad = PersonFactory(family=cast.family, first_name="Marcus")
    logged_call(cast, spoke_with=dad, occurred_at=a_minute_ago(120))
    # A later call with the child does not change who the parent we talk to is.
    logged_call(cast, spoke_with=cast.child, occurred_at=a_minute_ago(60))
    assert key_worker_client.get(log_url(cast)).context["contact_form"]["spoke_with"].value() == dad.pk


def test_without_a_previous_call_the_person_is_the_first_carer_recorded(cast, key_worker_client):
    PersonFactory(family=cast.family, first_name="Aaron")  # first by name, but added later
    assert key_worker_client.get(log_url(cast)).context["contact_form"]["spoke_with"].value() == cast.carer.pk


def test_a_struck_through_call_is_not_the_last_call(cast, key_worker_client):
    dad = PersonFactory(family=cast.family, first_name="Marcus")
    logged_call(cast, spoke_with=cast.carer, occurred_at=a_minute_ago(120), summary="The real call")
    mistake = logged_call(cast, spoke_with=dad, occurred_at=a_minute_ago(60), summary="Logged by mistake")
    calls.contact_strike(user=cast.key_worker, contact=mistake, reason="Wrong family.", expected_version=1)
    response = key_worker_client.get(log_url(cast))
    assert response.context["panel"].last_call.summary == "The real call"
    assert response.context["contact_form"]["spoke_with"].value() == cast.carer.pk


def test_the_side_panel_shows_people_safe_contact_and_the_last_call(cast, key_worker_client):
    cast.family.voicemail_ok = False
    cast.family.texts_ok = True
    cast.family.safe_contact_times = "Weekdays after 10am"
    cast.family.contact_notes = "Ring the mobile, never the landline."
    cast.family.save()
    logged_call(cast, summary="Talked through the meeting with school.")
    html = html_of(key_worker_client.get(log_url(cast)))
    panel = html[html.index('<aside'):html.index('</aside>')]
    assert 'aria-labelledby="family-panel-heading"' in panel
    assert "Joanne Okafor" in panel and "Mother of Tyler" in panel
    assert f"Tyler Okafor</strong>: child, {cast.child.age}" in panel
    assert '<strong class="text-danger">Do not leave voicemail</strong>' in panel
    assert "OK to send" in panel and "Weekdays after 10am" in panel and "never the landline" in panel
    assert "Talked through the meeting with school." in panel
    assert f"by {cast.key_worker}, with Joanne Okafor" in panel
    # The family page uses the same block.
    family_html = html_of(key_worker_client.get(cast.family.get_absolute_url()))
    assert '<strong class="text-danger">Do not leave voicemail</strong>' in family_html
    assert "Reached us through" in family_html and "Reached us through" not in panel


def test_the_side_panel_does_not_show_a_distressing_last_call(cast, key_worker_client):
    logged_call(cast, summary="What he told us about that night", handle_with_care=True)
    html = html_of(key_worker_client.get(log_url(cast)))
    assert "What he told us about that night" not in html
    assert "This call holds distressing detail, so it is not shown here." in html


def test_opening_the_call_form_is_in_the_audit_log(cast, key_worker_client):
    key_worker_client.get(log_url(cast))
    viewed = LogEntry.objects.filter(action=LogEntry.Action.ACCESS, additional_data__family_id=cast.family.pk)
    assert viewed.filter(actor=cast.key_worker).exists()


def grow(cast, count):
    for n in range(count):
        carer = PersonFactory(family=cast.family)
        child = ChildFactory(family=cast.family)
        RelationshipFactory(carer=carer, child=child)
        contact = ContactFactory(family=cast.family, worker=cast.teammate, spoke_with=carer,
                                 occurred_at=a_minute_ago(n + 5))
        contact.support_given.add(1, 2)
        MembershipFactory(team=cast.family.team)


# Reading the session (1) and renewing it (3: the update in a savepoint), the user (1), the second
# factor's device (1), the navigation bar (1); the family (1); the panel: people, their
# relationships, the last call, the carer last spoken with (4); recording the view (1); the form:
# who we spoke with, support categories, who may own the follow-up (3); the parts other apps add
# (families.call_parts): the ratings' parents due to be asked again (1).
CALL_FORM_QUERIES = 17


@pytest.mark.parametrize("count", [1, 10])
def test_the_call_form_runs_the_same_queries_however_big_the_family(cast, key_worker_client,
                                                                    django_assert_num_queries, count):
    grow(cast, count)
    with django_assert_num_queries(CALL_FORM_QUERIES):
        response = key_worker_client.get(log_url(cast))
    assert response.status_code == 200
    assert len(response.context["panel"].carers) == count + 1


# --------------------------------------------------------------- the duration, without JavaScript


def test_a_blank_duration_is_the_time_since_the_form_was_opened(cast, key_worker_client):
    opened = timezone.now() - datetime.timedelta(minutes=12, seconds=30)
    response = key_worker_client.post(log_url(cast), new_call_data(cast, **{"contact-opened_at": opened.isoformat()}))
    assert response.status_code == 302
    assert Contact.objects.get().duration_minutes == 12


def test_a_duration_the_worker_typed_is_kept(cast, key_worker_client):
    data = new_call_data(cast, **{"contact-duration_minutes": "45"})
    assert key_worker_client.post(log_url(cast), data).status_code == 302
    assert Contact.objects.get().duration_minutes == 45


def test_a_call_shorter_than_a_minute_lasts_one(cast, key_worker_client):
    data = new_call_data(cast, **{"contact-opened_at": (timezone.now() - datetime.timedelta(seconds=20)).isoformat()})
    assert key_worker_client.post(log_url(cast), data).status_code == 302
    assert Contact.objects.get().duration_minutes == 1


@pytest.mark.parametrize(
    ("opened_at", "message"),
    [
        (lambda now: now - datetime.timedelta(hours=10, minutes=1), "opened more than 10 hours ago"),
        (lambda now: now + datetime.timedelta(hours=1), "in the future"),
        (lambda now: "yesterday", "Enter how long the call took"),
        (lambda now: "", "Enter how long the call took"),
        (lambda now: (now - datetime.timedelta(minutes=5)).replace(tzinfo=None), "Enter how long the call took"),
    ],
)
def test_an_implausible_opening_time_is_refused(cast, key_worker_client, opened_at, message):
    value = opened_at(timezone.now())
    data = new_call_data(cast, **{"contact-opened_at": value if isinstance(value, str) else value.isoformat()})
    response = key_worker_client.post(log_url(cast), data)
    assert response.status_code == 200
    assert not Contact.objects.exists()
    errors = response.context["contact_form"].errors["duration_minutes"]
    assert any(message in error for error in errors), errors
    assert SUMMARY in html_of(response)


def test_the_timer_goes_on_from_when_the_form_was_first_opened(cast, key_worker_client):
    opened = timezone.now() - datetime.timedelta(minutes=7)
    data = new_call_data(cast, **{"contact-opened_at": opened.isoformat(), "contact-summary": ""})
    response = key_worker_client.post(log_url(cast), data)
    assert response.status_code == 200
    assert 7 * 60 <= response.context["elapsed_seconds"] <= 7 * 60 + 60
    assert f'value="{opened.isoformat()}"' in html_of(response)


# --------------------------------------------------------------- amending a call


def test_an_amendment_keeps_the_previous_version_and_shows_who_when_and_what(cast, key_worker_client):
    contact = logged_call(cast, duration_minutes=20)
    response = key_worker_client.post(call_url("call_amend", contact), amend_data(
        contact, **{"contact-summary": "Joanne said the grey car was outside school again.",
                    "contact-duration_minutes": "35", "contact-reason": "Added the car's colour."}))
    assert response.status_code == 302
    assert response["Location"] == call_url("call_detail", contact)
    contact.refresh_from_db()
    assert (contact.summary, contact.duration_minutes, contact.version) == (
        "Joanne said the grey car was outside school again.", 35, 2)
    assert contact.worker == cast.key_worker  # who logged it stays as it was
    revision = contact.revisions.get()
    assert revision.kind == ContactRevision.Kind.AMEND
    assert (revision.summary, revision.duration_minutes, revision.channel) == (SUMMARY, 20, "phone")
    assert revision.spoke_with == cast.carer
    assert revision.support_given == ["Listening and emotional support"]
    assert revision.changed_fields == ["summary", "duration_minutes"]
    assert (revision.changed_by, revision.reason, revision.family) == (cast.key_worker, "Added the car's colour.",
                                                                       cast.family)

    response = client_for(cast.teammate).get(call_url("call_detail", contact))
    html = html_of(response)
    assert f"Amended by {cast.key_worker} on {said(revision.changed_at)}: what was discussed, duration." in text_of(
        response)
    assert SUMMARY in html  # the earlier text, readable
    assert "20 min" in html
    assert "Why: Added the car's colour." in html


def test_an_amendment_records_support_and_person_changes(cast, key_worker_client):
    contact = logged_call(cast)
    data = amend_data(contact, **{"contact-spoke_with": cast.child.pk,
                                  "contact-support_given": [support_category("police").pk]})
    assert key_worker_client.post(call_url("call_amend", contact), data).status_code == 302
    revision = contact.revisions.get()
    assert revision.changed_fields == ["spoke_with", "support_given"]
    assert list(contact.support_given.values_list("code", flat=True)) == ["police"]
    html = html_of(key_worker_client.get(call_url("call_detail", contact)))
    assert "who we spoke with, support given" in html
    assert "Joanne Okafor" in html and "Listening and emotional support" in html


def test_an_amendment_that_changes_nothing_is_refused(cast, key_worker_client):
    contact = logged_call(cast)
    response = key_worker_client.post(call_url("call_amend", contact), amend_data(contact))
    assert response.status_code == 200
    assert "Nothing has been changed" in html_of(response)
    assert not ContactRevision.objects.exists()


def test_a_stale_amendment_is_refused_and_keeps_what_was_typed(cast, key_worker_client):
    contact = logged_call(cast)
    stale = amend_data(contact, **{"contact-summary": "My version of the call."})
    # A colleague amends it first.
    first = client_for(cast.teammate).post(call_url("call_amend", contact), amend_data(
        contact, **{"contact-summary": "Their version of the call."}))
    assert first.status_code == 302
    response = key_worker_client.post(call_url("call_amend", contact), stale)
    assert response.status_code == 200
    assert EditConflict().message in html_of(response)
    assert "My version of the call." in html_of(response)
    contact.refresh_from_db()
    assert contact.summary == "Their version of the call."
    assert contact.revisions.count() == 1


def test_who_we_spoke_with_must_be_in_the_family(cast, key_worker_client):
    contact = logged_call(cast)
    stranger = PersonFactory()
    response = key_worker_client.post(call_url("call_amend", contact),
                                      amend_data(contact, **{"contact-spoke_with": stranger.pk}))
    assert response.status_code == 200
    assert "spoke_with" in response.context["form"].errors
    contact.spoke_with = stranger
    with pytest.raises(UserFixableError):
        calls.contact_amend(user=cast.key_worker, contact=contact, expected_version=1, support_given=[])


def test_a_struck_call_cannot_be_amended_or_moved(cast, key_worker_client):
    contact = logged_call(cast)
    calls.contact_strike(user=cast.key_worker, contact=contact, reason="Logged twice.", expected_version=1)
    response = key_worker_client.post(call_url("call_amend", contact), amend_data(
        contact, **{"contact-summary": "Changed"}))
    assert "struck through, so it cannot be amended" in html_of(response)
    other = FamilyFactory(team=cast.family.team)
    response = key_worker_client.post(call_url("call_move", contact), {
        "to_family": other.reference, "reason": "Wrong family.", "version": contact.version})
    assert "struck through, so it cannot be moved" in html_of(response)
    contact.refresh_from_db()
    assert (contact.summary, contact.family) == (SUMMARY, cast.family)


# --------------------------------------------------------------- moving a call to the right family


@pytest.fixture
def right_family(cast):
    """The family the call belongs to: in the same team, with its own parent."""
    family = FamilyFactory(team=cast.family.team, key_worker=cast.teammate)
    PersonFactory(family=family, first_name="Lena", last_name="Marsh")
    return family


def move(client, contact, reference, reason="Logged on the wrong family: both pages were open."):
    return client.post(call_url("call_move", contact),
                       {"to_family": reference, "reason": reason, "version": contact.version})


def test_a_call_moves_with_its_follow_ups_and_both_timelines_say_so(cast, key_worker_client, right_family):
    contact = logged_call(cast)
    follow_up = FollowUpFactory(family=cast.family, contact=contact, owner=cast.key_worker)
    done = FollowUpFactory(family=cast.family, contact=contact, owner=cast.teammate, done_at=timezone.now(),
                           done_by=cast.teammate)
    other_call_follow_up = FollowUpFactory(family=cast.family, owner=cast.key_worker)

    response = move(key_worker_client, contact, right_family.reference.lower().replace("-", ""))
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.family == right_family
    assert response["Location"] == call_url("call_detail", contact)
    assert contact.spoke_with is None  # Joanne is not in the right family
    follow_up.refresh_from_db()
    done.refresh_from_db()
    other_call_follow_up.refresh_from_db()
    assert (follow_up.family, done.family, other_call_follow_up.family) == (right_family, right_family, cast.family)
    assert (follow_up.owner, done.done_by) == (cast.key_worker, cast.teammate)
    revision = contact.revisions.get()
    assert (revision.kind, revision.family, revision.to_family, revision.spoke_with) == (
        ContactRevision.Kind.MOVE, cast.family, right_family, cast.carer)

    message = html_of(key_worker_client.get(call_url("call_detail", contact)))
    assert f"Call moved to {right_family.reference}. Its 2 follow-ups went with it." in message
    assert f"Who we spoke with has been cleared: Joanne Okafor is not in {right_family.reference}." in message
    assert f"Moved here from {cast.family.reference} by {cast.key_worker}" in message

    old = html_of(key_worker_client.get(reverse("families:timeline", args=[cast.family.pk])))
    assert f"A call was moved to {right_family.reference}" in old
    assert "both pages were open" in old
    assert SUMMARY not in old
    new = html_of(key_worker_client.get(reverse("families:timeline", args=[right_family.pk])))
    assert f"A call was moved here from {cast.family.reference}" in new
    assert SUMMARY in new
    # The call is no longer at its old address.
    assert key_worker_client.get(reverse("families:call_detail", args=[cast.family.pk, contact.pk])).status_code == 404


def test_a_moved_call_is_never_shown_on_a_family_the_person_cannot_see(cast, key_worker_client):
    """Moved to a family of a team the key worker is also in: the key worker's colleague who is only
    in the first team sees that it went, and nothing of what it said."""
    northern = MembershipFactory(user=cast.key_worker).team
    their_family = FamilyFactory(team=northern)
    contact = logged_call(cast)
    assert move(key_worker_client, contact, their_family.reference).status_code == 302
    teammate = client_for(cast.teammate)
    old = html_of(teammate.get(cast.family.get_absolute_url()))
    assert f"A call was moved to {their_family.reference}" in old
    assert SUMMARY not in old
    assert teammate.get(reverse("families:call_detail", args=[their_family.pk, contact.pk])).status_code == 404
    assert teammate.get(reverse("families:call_detail", args=[cast.family.pk, contact.pk])).status_code == 404


def test_an_open_follow_up_whose_owner_cannot_see_the_new_family_goes_to_the_mover(cast, key_worker_client):
    northern = MembershipFactory(user=cast.key_worker).team
    their_family = FamilyFactory(team=northern)
    contact = logged_call(cast)
    follow_up = FollowUpFactory(family=cast.family, contact=contact, owner=cast.teammate)
    response = move(key_worker_client, contact, their_family.reference)
    assert response.status_code == 302
    follow_up.refresh_from_db()
    assert (follow_up.family, follow_up.owner) == (their_family, cast.key_worker)
    html = html_of(key_worker_client.get(response["Location"]))
    assert "1 open follow-up was given to you, as its owner is not in that family's team." in html


@pytest.mark.parametrize("whose", ["another team's", "nobody's"])
def test_a_family_the_person_may_not_see_is_not_found(cast, key_worker_client, whose):
    contact = logged_call(cast)
    reference = FamilyFactory().reference if whose == "another team's" else "F-987654"
    response = move(key_worker_client, contact, reference)
    assert response.status_code == 200
    errors = response.context["form"].errors["to_family"]
    assert errors == [f"There is no family {reference} among the families you can see: check the reference."]
    contact.refresh_from_db()
    assert contact.family == cast.family
    assert not ContactRevision.objects.exists()


def test_a_move_needs_a_reason_and_a_reference(cast, key_worker_client, right_family):
    contact = logged_call(cast)
    response = move(key_worker_client, contact, right_family.reference, reason="")
    assert response.context["form"].errors["reason"] == ["Say why the call belongs to that family."]
    response = move(key_worker_client, contact, "", reason="Wrong family.")
    assert response.context["form"].errors["to_family"] == ["Enter the reference of the family the call belongs to."]
    response = move(key_worker_client, contact, cast.family.reference)
    assert "already on" in response.context["form"].errors["to_family"][0]
    contact.refresh_from_db()
    assert contact.family == cast.family
    with pytest.raises(UserFixableError, match="no family"):
        calls.contact_move(user=cast.key_worker, contact=contact, to_family=FamilyFactory(), reason="Wrong.",
                           expected_version=contact.version)


def test_who_we_spoke_with_stays_when_they_are_in_the_new_family(cast, key_worker_client, right_family):
    contact = logged_call(cast, spoke_with=None)
    assert move(key_worker_client, contact, right_family.reference).status_code == 302
    contact.refresh_from_db()
    assert contact.revisions.get().changed_fields == ["family"]
    html = html_of(key_worker_client.get(call_url("call_detail", contact)))
    assert "has been cleared" not in html


# --------------------------------------------------------------- striking a call through


def test_striking_through_needs_a_reason_and_keeps_the_text(cast, key_worker_client):
    contact = logged_call(cast)
    url = call_url("call_strike", contact)
    response = key_worker_client.post(url, {"reason": " ", "version": contact.version})
    assert response.status_code == 200
    assert response.context["form"].errors["reason"] == ["Say why the call is being struck through."]
    response = key_worker_client.post(url, {"reason": "Logged twice.", "version": contact.version})
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.summary == SUMMARY
    assert (contact.struck_by, contact.struck_reason) == (cast.key_worker, "Logged twice.")
    assert contact.revisions.get().kind == ContactRevision.Kind.STRIKE
    expected = f"Struck through by {cast.key_worker} on {said(contact.struck_at)} because: Logged twice."
    response = key_worker_client.get(call_url("call_detail", contact))
    assert expected in text_of(response) and SUMMARY in text_of(response) and "<del" in html_of(response)
    response = key_worker_client.get(reverse("families:timeline", args=[cast.family.pk]))
    assert expected in text_of(response) and f"<del>Logged by {cast.key_worker}." in html_of(response)
    assert SUMMARY in text_of(response)
    # Still listed in My work's recent calls, marked.
    home = html_of(key_worker_client.get(reverse("home")))
    assert "struck through" in home
    again = key_worker_client.post(url, {"reason": "Again.", "version": contact.version})
    assert "already been struck through" in html_of(again)


def test_a_strike_can_be_undone_and_stays_in_the_history(cast, key_worker_client):
    contact = logged_call(cast)
    calls.contact_strike(user=cast.key_worker, contact=contact, reason="Logged twice.", expected_version=1)
    response = key_worker_client.post(call_url("call_reinstate", contact),
                                      {"reason": "It was the other one.", "version": contact.version})
    assert response.status_code == 302
    contact.refresh_from_db()
    assert not contact.is_struck
    assert list(contact.revisions.values_list("kind", flat=True)) == ["reinstate", "strike"]
    html = html_of(key_worker_client.get(call_url("call_detail", contact)))
    assert "because: Logged twice." in html and "because: It was the other one." in html


def test_nothing_is_ever_deleted(cast, key_worker_client, right_family):
    contact = logged_call(cast)
    key_worker_client.post(call_url("call_amend", contact), amend_data(contact, **{"contact-summary": "Second"}))
    contact.refresh_from_db()
    move(key_worker_client, contact, right_family.reference)
    contact.refresh_from_db()
    key_worker_client.post(call_url("call_strike", contact), {"reason": "Logged twice.", "version": contact.version})
    assert Contact.objects.filter(pk=contact.pk).exists()
    assert ContactRevision.objects.count() == 3
    assert not LogEntry.objects.filter(action=LogEntry.Action.DELETE).exists()


# --------------------------------------------------------------- the audit log


def test_every_change_to_a_call_is_in_the_audit_log_of_its_family(cast, key_worker_client, right_family):
    contact = logged_call(cast)
    key_worker_client.post(call_url("call_amend", contact), amend_data(contact, **{"contact-summary": "Second"}))
    contact.refresh_from_db()
    move(key_worker_client, contact, right_family.reference)
    revisions = LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(ContactRevision))
    assert revisions.count() == 2
    assert set(revisions.values_list("actor", flat=True)) == {cast.key_worker.pk}
    assert {entry.additional_data["family_id"] for entry in revisions} == {cast.family.pk}
    # The call's own change (its family) is in the history of the family it went to.
    contact_entries = LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Contact),
                                              action=LogEntry.Action.UPDATE)
    moved = contact_entries.filter(additional_data__family_id=right_family.pk).get()
    assert "family" in moved.changes_dict and "version" not in moved.changes_dict
    # Joanne is named only in the history of her own family.
    assert "spoke_with" not in moved.changes_dict
    cleared = contact_entries.filter(additional_data__family_id=cast.family.pk).latest("timestamp")
    assert list(cleared.changes_dict) == ["spoke_with"]
    viewed = LogEntry.objects.filter(action=LogEntry.Action.ACCESS, content_type__model="contact")
    key_worker_client.get(call_url("call_detail", Contact.objects.get()))
    assert viewed.filter(actor=cast.key_worker, additional_data__family_id=right_family.pk).exists()


# --------------------------------------------------------------- the timeline's ways to put a call right


def test_each_call_on_the_timeline_links_to_its_page_and_corrections(cast, key_worker_client):
    contact = logged_call(cast)
    html = html_of(key_worker_client.get(cast.family.get_absolute_url()))
    for name in ("call_detail", "call_amend", "call_move", "call_strike"):
        assert f'href="{call_url(name, contact)}"' in html
    calls.contact_strike(user=cast.key_worker, contact=contact, reason="Logged twice.", expected_version=1)
    html = html_of(key_worker_client.get(cast.family.get_absolute_url()))
    assert f'href="{call_url("call_amend", contact)}"' not in html
    assert "Struck through: Phone with Joanne Okafor" in html


def test_an_amended_call_says_so_on_the_timeline(cast, key_worker_client):
    contact = logged_call(cast)
    key_worker_client.post(call_url("call_amend", contact), amend_data(contact, **{"contact-summary": "Second"}))
    html = html_of(key_worker_client.get(reverse("families:timeline", args=[cast.family.pk])))
    assert "Amended since: see the call's history." in html


# --------------------------------------------------------------- who may do it


def every_new_url(cast):
    contact = logged_call(cast)
    follow_up = FollowUpFactory(family=cast.family, owner=cast.key_worker, done_at=timezone.now(),
                                done_by=cast.key_worker)
    urls = [call_url(name, contact) for name in ("call_detail", "call_amend", "call_move", "call_strike",
                                                 "call_reinstate")]
    return contact, follow_up, [*urls, reverse("families:follow_up_reopen", args=[cast.family.pk, follow_up.pk])]


def test_someone_outside_the_team_gets_404_on_every_new_page(cast, outsider_client, anonymous_client):
    contact, follow_up, urls = every_new_url(cast)
    for url in urls:
        for method in ("get", "post"):
            response = getattr(outsider_client, method)(url, {"reason": "Mine now.", "version": 1,
                                                               "to_family": cast.family.reference})
            assert response.status_code == 404, (method, url)
            assert anonymous_client.get(url).status_code == 302
    contact.refresh_from_db()
    follow_up.refresh_from_db()
    assert (contact.version, contact.is_struck, follow_up.is_done) == (1, False, True)
    assert not ContactRevision.objects.exists()


def test_a_call_of_another_family_is_not_found_under_this_one(cast, key_worker_client):
    other = FamilyFactory(team=cast.family.team)
    contact = logged_call(cast)
    url = reverse("families:call_detail", args=[other.pk, contact.pk])
    assert key_worker_client.get(url).status_code == 404


# --------------------------------------------------------------- "Mark done" can be undone


def test_mark_done_can_be_undone(cast, key_worker_client):
    follow_up = FollowUpFactory(family=cast.family, owner=cast.key_worker, description="Ring the school")
    done = key_worker_client.post(reverse("families:follow_up_done", args=[cast.family.pk, follow_up.pk]),
                                  follow=True)
    html = html_of(done)
    reopen_url = reverse("families:follow_up_reopen", args=[cast.family.pk, follow_up.pk])
    status = html[html.index('role="status"'):]
    assert "Marked done: Ring the school." in status
    assert f'action="{reopen_url}"' in status and ">Undo<" in status
    # The done follow-up on the family page has its own Undo.
    follow_ups = html[html.index('id="follow-up-heading"'):]
    assert f'action="{reopen_url}"' in follow_ups
    follow_up.refresh_from_db()
    assert follow_up.is_done

    response = key_worker_client.post(reopen_url)
    assert response["Location"] == cast.family.get_absolute_url()
    follow_up.refresh_from_db()
    assert (follow_up.done_at, follow_up.done_by) == (None, None)
    changes = LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(FollowUp),
                                      object_pk=str(follow_up.pk), action=LogEntry.Action.UPDATE)
    assert changes.count() == 2
    assert changes.latest("timestamp").actor == cast.key_worker
    # A second click changes nothing.
    key_worker_client.post(reopen_url)
    assert changes.count() == 2


def test_undo_from_my_work_goes_back_to_my_work(cast, key_worker_client):
    follow_up = FollowUpFactory(family=cast.family, owner=cast.key_worker, description="Ring the school")
    done = key_worker_client.post(reverse("families:follow_up_done", args=[cast.family.pk, follow_up.pk]),
                                  {"next": "home"}, follow=True)
    assert '<input type="hidden" name="next" value="home">' in html_of(done)
    response = key_worker_client.post(reverse("families:follow_up_reopen", args=[cast.family.pk, follow_up.pk]),
                                      {"next": "home"})
    assert response["Location"] == reverse("home")
    follow_up.refresh_from_db()
    assert not follow_up.is_done


def test_the_undo_message_escapes_the_description(cast, key_worker_client):
    follow_up = FollowUpFactory(family=cast.family, owner=cast.key_worker, description="Ring <b>school</b>")
    done = key_worker_client.post(reverse("families:follow_up_done", args=[cast.family.pk, follow_up.pk]),
                                  follow=True)
    assert "Ring &lt;b&gt;school&lt;/b&gt;" in done.content.decode()


# --------------------------------------------------------------- the demo shows each of these


def test_the_demo_has_an_amended_a_moved_and_a_struck_through_call(settings):
    from io import StringIO

    from django.core.management import call_command

    settings.DEBUG = True
    call_command("seed_demo", "--families", "12", stdout=StringIO())
    kinds = set(ContactRevision.objects.values_list("kind", flat=True))
    assert {"amend", "move", "strike"} <= kinds
    moved = ContactRevision.objects.get(kind="move")
    assert moved.contact.family == moved.to_family
    assert moved.contact.follow_ups.get().family == moved.to_family
    assert Contact.objects.filter(struck_at__isnull=False).count() == 1
    assert Person.objects.exists()
