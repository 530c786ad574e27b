"""A parent's challenge to what a call says: recorded next to the call, then its outcome; the call
is put right only by amending it, so what it said before stays readable to staff."""

import datetime
import re
from html import unescape

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.errors import EditConflict, UserFixableError
from families import calls, rectification
from families.models import Challenge, Contact
from tests.conftest import client_for
from tests.factories import ContactFactory, FamilyFactory, PersonFactory

pytestmark = pytest.mark.django_db

SUMMARY = "Joanne said she had stopped Tyler going out at night and had rung the police about the car."
WRONG = "I never said I stopped him going out; I said I could not stop him."
SHOULD_SAY = "Joanne said she could not stop Tyler going out at night."


def text_of(response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def a_call(cast, **fields):
    fields.setdefault("summary", SUMMARY)
    fields.setdefault("spoke_with", cast.carer)
    fields.setdefault("occurred_at", timezone.now() - datetime.timedelta(days=2))
    return ContactFactory(family=cast.family, worker=cast.key_worker, **fields)


def a_challenge(cast, contact, **fields):
    fields.setdefault("what_is_wrong", WRONG)
    fields.setdefault("what_it_should_say", SHOULD_SAY)
    return rectification.challenge_record(
        user=cast.key_worker, family=cast.family, entry=contact,
        challenge=Challenge(raised_by=fields.pop("raised_by", cast.carer),
                            received_on=fields.pop("received_on", timezone.localdate()), **fields),
    )


def date_parts(name, day):
    return {f"{name}_day": day.day, f"{name}_month": day.month, f"{name}_year": day.year}


def new_url(contact):
    return reverse("families:challenge_new", args=[contact.family_id, contact.pk])


def outcome_url(challenge):
    return reverse("families:challenge_outcome", args=[challenge.family_id, challenge.entry_id, challenge.pk])


def call_url(contact):
    return reverse("families:call_detail", args=[contact.family_id, contact.pk])


def challenge_data(cast, **changes):
    data = {"raised_by": cast.carer.pk, **date_parts("received_on", timezone.localdate()),
            "what_is_wrong": WRONG, "what_it_should_say": SHOULD_SAY}
    data.update(changes)
    return data


def outcome_data(challenge, **changes):
    data = {"outcome": "not_changed", "reason": "", **date_parts("decided_on", timezone.localdate()),
            "amendment": "", "version": challenge.version}
    data.update(changes)
    return data


# --------------------------------------------------------------- recording a challenge


def test_a_challenge_is_recorded_next_to_the_call(cast, key_worker_client):
    contact = a_call(cast)
    page = key_worker_client.get(new_url(contact))
    assert page.status_code == 200
    # The form starts with the person the call was with, and today.
    assert page.context["form"].initial["raised_by"] == cast.carer.pk
    response = key_worker_client.post(new_url(contact), challenge_data(cast))
    assert response.status_code == 302
    challenge = Challenge.objects.get()
    assert (challenge.entry, challenge.family, challenge.raised_by, challenge.recorded_by, challenge.outcome) == (
        contact, cast.family, cast.carer, cast.key_worker, Challenge.Outcome.OPEN)
    text = text_of(key_worker_client.get(call_url(contact)))
    assert f"Challenged by Joanne Okafor on {timezone.localdate():%-d %b %Y}" in text
    assert f"What the parent says is wrong {WRONG}" in text
    assert f"What they say it should say {SHOULD_SAY}" in text
    assert "Outcome: not decided yet" in text
    # The call itself is not changed by the challenge.
    contact.refresh_from_db()
    assert (contact.summary, contact.version) == (SUMMARY, 1)


def test_the_call_page_offers_the_challenge_form(cast, key_worker_client):
    contact = a_call(cast)
    html = key_worker_client.get(call_url(contact)).content.decode()
    assert f'href="{new_url(contact)}">The parent says this is wrong</a>' in html


@pytest.mark.parametrize(("changes", "message"), [
    ({"what_is_wrong": ""}, "Say what the parent says is wrong."),
    ({"raised_by": ""}, "Choose who says the record is wrong."),
    (date_parts("received_on", timezone.localdate() + datetime.timedelta(days=1)),
     "The date they told us cannot be in the future."),
    (date_parts("received_on", timezone.localdate() - datetime.timedelta(days=10)),
     "they cannot have told us about it before then."),
])
def test_a_challenge_says_what_is_missing(cast, key_worker_client, changes, message):
    contact = a_call(cast)
    response = key_worker_client.post(new_url(contact), challenge_data(cast, **changes))
    assert response.status_code == 200
    assert message in unescape(response.content.decode())
    assert not Challenge.objects.exists()


def test_only_someone_in_the_family_can_raise_a_challenge(cast, key_worker_client):
    contact = a_call(cast)
    stranger = PersonFactory(family=FamilyFactory(team=cast.family.team))
    response = key_worker_client.post(new_url(contact), challenge_data(cast, raised_by=stranger.pk))
    assert response.status_code == 200
    assert not Challenge.objects.exists()
    with pytest.raises(UserFixableError, match="someone in this family"):
        a_challenge(cast, contact, raised_by=stranger)


def test_the_service_refuses_an_entry_of_another_family(cast):
    other_call = ContactFactory(family=FamilyFactory(team=cast.family.team))
    with pytest.raises(ValueError, match="not in this family"):
        a_challenge(cast, other_call)
    assert not Challenge.objects.exists()


# --------------------------------------------------------------- its outcome


def test_not_changed_needs_a_reason(cast, key_worker_client):
    challenge = a_challenge(cast, a_call(cast))
    response = key_worker_client.post(outcome_url(challenge), outcome_data(challenge))
    assert response.status_code == 200
    assert "Say why the record has not been changed." in unescape(response.content.decode())
    challenge.refresh_from_db()
    assert (challenge.outcome, challenge.version) == (Challenge.Outcome.OPEN, 1)

    reason = "The worker's note was read back to Joanne during the call and she agreed it."
    response = key_worker_client.post(outcome_url(challenge), outcome_data(challenge, reason=reason))
    assert response.status_code == 302
    challenge.refresh_from_db()
    assert (challenge.outcome, challenge.reason, challenge.decided_by, challenge.decided_on, challenge.version) == (
        Challenge.Outcome.NOT_CHANGED, reason, cast.key_worker, timezone.localdate(), 2)
    text = text_of(key_worker_client.get(call_url(challenge.entry)))
    assert f"Outcome: Not changed , decided by {cast.key_worker}" in text
    assert f"Why: {reason}" in text
    assert "rejected" not in text.lower()


def test_partly_corrected_needs_a_reason(cast, key_worker_client):
    challenge = a_challenge(cast, a_call(cast))
    response = key_worker_client.post(outcome_url(challenge), outcome_data(challenge, outcome="partly_corrected"))
    assert "Say what was corrected and why the rest has not been changed." in unescape(response.content.decode())
    with pytest.raises(UserFixableError, match="why the rest"):
        rectification.challenge_decide(user=cast.key_worker, challenge=challenge, outcome="partly_corrected",
                                       reason="  ", expected_version=1)
    challenge.refresh_from_db()
    assert challenge.is_open


def test_the_database_refuses_an_outcome_without_who_when_or_why(cast):
    challenge = a_challenge(cast, a_call(cast))
    undecided = Challenge.objects.filter(pk=challenge.pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        undecided.update(outcome=Challenge.Outcome.CORRECTED)
    with pytest.raises(IntegrityError), transaction.atomic():
        undecided.update(outcome=Challenge.Outcome.NOT_CHANGED, decided_by=cast.key_worker,
                         decided_on=timezone.localdate())
    undecided.update(outcome=Challenge.Outcome.CORRECTED, decided_by=cast.key_worker, decided_on=timezone.localdate())
    assert Challenge.objects.get().outcome == Challenge.Outcome.CORRECTED


def test_corrected_keeps_the_original_call_readable_in_its_history(cast, key_worker_client):
    contact = a_call(cast)
    challenge = a_challenge(cast, contact)
    # "Corrected" does not edit the call: the worker amends it, which keeps what it said before.
    contact.summary = SHOULD_SAY
    amendment = calls.contact_amend(user=cast.key_worker, contact=contact, expected_version=1, support_given=[],
                                    reason="Joanne said the note was wrong.")
    page = key_worker_client.get(outcome_url(challenge))
    assert list(page.context["form"].fields["amendment"].queryset) == [amendment]
    response = key_worker_client.post(outcome_url(challenge), outcome_data(
        challenge, outcome="corrected", amendment=amendment.pk))
    assert response.status_code == 302
    challenge.refresh_from_db()
    assert (challenge.outcome, challenge.amendment) == (Challenge.Outcome.CORRECTED, amendment)
    text = text_of(key_worker_client.get(call_url(contact)))
    assert f"What was discussed {SHOULD_SAY}" in text
    assert f"What it said before What was discussed {SUMMARY}" in text
    assert "Outcome: Corrected" in text and "The call was amended by" in text


def test_an_amendment_of_another_call_is_refused(cast):
    contact, other = a_call(cast), a_call(cast)
    challenge = a_challenge(cast, contact)
    other.summary = "Something else."
    elsewhere = calls.contact_amend(user=cast.key_worker, contact=other, expected_version=1, support_given=[])
    with pytest.raises(UserFixableError, match="this call's amendments"):
        rectification.challenge_decide(user=cast.key_worker, challenge=challenge, outcome="corrected", reason="",
                                       expected_version=1, amendment=elsewhere)
    challenge.refresh_from_db()
    assert challenge.is_open and challenge.amendment is None


def test_a_stale_outcome_is_refused_and_keeps_what_was_typed(cast, key_worker_client):
    challenge = a_challenge(cast, a_call(cast))
    mine = outcome_data(challenge, reason="My reason, typed while a colleague was deciding.")
    # A colleague records the outcome first.
    first = client_for(cast.teammate).post(outcome_url(challenge), outcome_data(
        challenge, reason="Their reason."))
    assert first.status_code == 302
    response = key_worker_client.post(outcome_url(challenge), mine)
    assert response.status_code == 200
    html = unescape(response.content.decode())
    assert EditConflict().message in html
    assert "My reason, typed while a colleague was deciding." in html
    challenge.refresh_from_db()
    assert (challenge.reason, challenge.decided_by, challenge.version) == ("Their reason.", cast.teammate, 2)


def test_the_decision_cannot_be_dated_before_the_challenge(cast, key_worker_client):
    challenge = a_challenge(cast, a_call(cast))
    before = timezone.localdate() - datetime.timedelta(days=1)
    response = key_worker_client.post(outcome_url(challenge), outcome_data(
        challenge, reason="Agreed at the time.", **date_parts("decided_on", before)))
    assert "the decision cannot be before then" in unescape(response.content.decode())
    challenge.refresh_from_db()
    assert challenge.is_open


# --------------------------------------------------------------- who may see it


def test_outsiders_get_404_on_every_url_and_method_and_write_nothing(cast, outsider_client, anonymous_client):
    contact = a_call(cast)
    challenge = a_challenge(cast, contact)
    for url, data in ((new_url(contact), challenge_data(cast)),
                      (outcome_url(challenge), outcome_data(challenge, reason="Mine."))):
        for method in ("get", "post", "put", "delete"):
            response = getattr(outsider_client, method)(url, data) if method == "post" else \
                getattr(outsider_client, method)(url)
            assert response.status_code == 404, (method, url)
        assert anonymous_client.get(url).status_code == 302
        assert anonymous_client.post(url, data).status_code == 302
    assert Challenge.objects.count() == 1
    challenge.refresh_from_db()
    assert (challenge.outcome, challenge.version) == (Challenge.Outcome.OPEN, 1)


def test_a_challenge_is_found_only_under_its_own_call(cast, key_worker_client):
    contact, other = a_call(cast), a_call(cast)
    challenge = a_challenge(cast, contact)
    url = reverse("families:challenge_outcome", args=[cast.family.pk, other.pk, challenge.pk])
    assert key_worker_client.get(url).status_code == 404
    assert key_worker_client.post(url, outcome_data(challenge, reason="Wrong call.")).status_code == 404
    assert Challenge.objects.get().is_open


def test_every_page_records_who_read_it(cast, key_worker_client):
    contact = a_call(cast)
    challenge = a_challenge(cast, contact)
    reads = LogEntry.objects.filter(action=LogEntry.Action.ACCESS)
    challenge_type = ContentType.objects.get_for_model(Challenge)
    for url in (new_url(contact), outcome_url(challenge), call_url(contact)):
        before = reads.count()
        assert key_worker_client.get(url).status_code == 200
        assert reads.count() > before, url
    assert reads.filter(content_type=challenge_type, object_pk=str(challenge.pk)).count() == 2


# --------------------------------------------------------------- the timeline and the audit trail


def timeline_html(client, cast):
    return unescape(client.get(reverse("families:timeline", args=[cast.family.pk])).content.decode())


BADGE = '<span class="badge text-bg-warning">Challenged</span>'


def test_the_timeline_marks_calls_with_an_open_challenge(cast, key_worker_client):
    challenged, other = a_call(cast), a_call(cast, summary="A quiet week at school.")
    challenge = a_challenge(cast, challenged)
    html = timeline_html(key_worker_client, cast)
    assert html.count(BADGE) == 1
    row = re.search(r'<li class="entry-call">(?:(?!</li>).)*' + re.escape(BADGE) + r"(?:(?!</li>).)*</li>", html,
                    re.DOTALL).group(0)
    assert SUMMARY in row and "The family says this record is wrong" in row
    rectification.challenge_decide(user=cast.key_worker, challenge=challenge, outcome="not_changed",
                                   reason="Read back and agreed at the time.", expected_version=1)
    assert BADGE not in timeline_html(key_worker_client, cast)
    assert Contact.objects.filter(pk=other.pk).exists()


def test_the_timeline_reads_challenges_in_one_query_whatever_their_number(cast, key_worker_client):
    url = reverse("families:timeline", args=[cast.family.pk])

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert key_worker_client.get(url).status_code == 200
        return len(captured)

    a_challenge(cast, a_call(cast))
    few = queries()
    for _ in range(8):
        a_challenge(cast, a_call(cast))
    assert queries() == few
    assert timeline_html(key_worker_client, cast).count(BADGE) == 9


def test_the_audit_trail_keeps_who_and_when_but_never_the_words(cast, key_worker_client):
    contact = a_call(cast)
    key_worker_client.post(new_url(contact), challenge_data(cast))
    challenge = Challenge.objects.get()
    reason = "Joanne agreed the note on the phone at the time."
    key_worker_client.post(outcome_url(challenge), outcome_data(challenge, reason=reason))
    challenge_type = ContentType.objects.get_for_model(Challenge)
    changes = LogEntry.objects.filter(content_type=challenge_type, object_pk=str(challenge.pk)).exclude(
        action=LogEntry.Action.ACCESS)
    assert [entry.action for entry in changes.order_by("pk")] == [LogEntry.Action.CREATE, LogEntry.Action.UPDATE]
    assert {entry.additional_data["family_id"] for entry in changes} == {cast.family.pk}
    assert {entry.actor for entry in changes} == {cast.key_worker}
    for entry in LogEntry.objects.all():
        written = " ".join(str(value) for value in (
            entry.changes, entry.changes_text, entry.object_repr, entry.additional_data, entry.serialized_data))
        for words in (WRONG, SHOULD_SAY, reason, "never said"):
            assert words not in written
