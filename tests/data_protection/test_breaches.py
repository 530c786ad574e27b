"""The breach log: its 72-hour clock from discovery through the deadline engine (elapsed hours,
across the clock changes, flagged once to administrators only), the decision whether to report it to
the ICO with the reason either way, the report, corrections that move the clock, actions appended,
and the administrators' pages."""

import datetime
from html import unescape

import pytest
import time_machine
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.utils import IntegrityError
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.audit import TEXT_NOT_KEPT
from core.errors import EditConflict, UserFixableError
from core.working_days import LONDON
from data_protection import breach_clock, breaches, deadline_kinds
from data_protection import services as data_protection
from data_protection.models import Breach, BreachAction, SubjectAccessRequest
from deadlines.models import Deadline, Notification, OverdueFlag
from deadlines.services import raise_overdue_flags
from families.models import Role
from tests.conftest import client_for
from tests.factories import MembershipFactory

UTC = datetime.UTC
Decision = Breach.Decision


@pytest.fixture
def administrator(db):
    return MembershipFactory(role=Role.ADMINISTRATOR).user


@pytest.fixture
def admin_client(administrator):
    return client_for(administrator)


def london(*parts):
    return datetime.datetime(*parts, tzinfo=LONDON)


def record(user, *, discovered_at=None, now=None, **overrides):
    now = now or timezone.now()
    values = {
        "what_happened": "A family's safety plan was e-mailed to the wrong school.",
        "discovered_at": discovered_at or now - datetime.timedelta(hours=1),
        "how_discovered": "The school rang to say so.",
        "data_involved": "Names, address and the plan's contents.",
        "sensitive_data": Breach.SensitiveData.YES,
        "people_affected": 4,
        "risk": Breach.Risk.RISK,
    }
    return breaches.breach_record(user=user, breach=Breach(**{**values, **overrides}), now=now)


def clocks(breach):
    return Deadline.objects.filter(subject_type=ContentType.objects.get_for_model(Breach), subject_id=breach.pk)


def open_clock(breach):
    return clocks(breach).get(met_at__isnull=True, cancelled_at__isnull=True)


def flags_of(breach):
    return OverdueFlag.objects.filter(deadline__in=clocks(breach))


def moment_parts(key, moment):
    local = timezone.localtime(moment)
    return {f"{key}_day": str(local.day), f"{key}_month": str(local.month), f"{key}_year": str(local.year),
            f"{key}_time": local.strftime("%H:%M")}


# ------------------------------------------------------------------ the clock across a clock change


def run_hourly(start, until):
    """raise_overdue_flags every hour on the hour, as the beat runs it: {moment: flags raised}."""
    raised = {}
    moment = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0) + datetime.timedelta(hours=1)
    while moment <= until:
        with time_machine.travel(moment, tick=False):
            raised[moment] = raise_overdue_flags(now=moment).flagged
        moment += datetime.timedelta(hours=1)
    return raised


@pytest.mark.django_db
@pytest.mark.parametrize(("discovered", "due_utc", "shown"), [
    # Saturday 10:30 BST; the clocks go back at 02:00 on Sunday 25 October 2026: 72 elapsed hours end at
    # 09:30 GMT on the Tuesday, not 10:30.
    (london(2026, 10, 24, 10, 30), datetime.datetime(2026, 10, 27, 9, 30, tzinfo=UTC), "09:30 GMT"),
    # Saturday 10:30 GMT; the clocks go forward at 01:00 on Sunday 28 March 2027: 11:30 BST on the Tuesday.
    (london(2027, 3, 27, 10, 30), datetime.datetime(2027, 3, 30, 10, 30, tzinfo=UTC), "11:30 BST"),
], ids=["autumn", "spring"])
def test_the_72_hour_clock_flags_once_across_a_clock_change(cast, administrator, discovered, due_utc, shown):
    with time_machine.travel(discovered + datetime.timedelta(minutes=20), tick=False):
        breach = record(administrator, discovered_at=discovered)
    clock = open_clock(breach)
    assert (clock.kind, clock.label, clock.allowance, clock.family_id) == (
        "data_protection:breach_report", "Report to the ICO, or record why not", "72 hours", None)
    assert clock.due_at == due_utc
    assert clock.due_at - discovered == datetime.timedelta(hours=72)
    assert timezone.localtime(clock.due_at).strftime("%H:%M %Z") == shown

    raised = run_hourly(discovered, due_utc + datetime.timedelta(days=1))

    first_after_due = min(moment for moment in raised if moment > due_utc)
    assert [moment for moment, count in raised.items() if count] == [first_after_due]
    assert raised[first_after_due] == 1
    [flag] = flags_of(breach)
    assert flag.raised_at == first_after_due and flag.family_id is None and flag.resolved_at is None
    # One digest (in the application and by e-mail) to each administrator; nobody else hears of it.
    second_administrator = MembershipFactory(role=Role.ADMINISTRATOR).user  # joined later: not told
    told = Notification.objects.filter(event=Notification.Event.RAISED)
    assert sorted(told.values_list("recipient_id", "channel", "flag_count")) == [
        (administrator.pk, "email", 1), (administrator.pk, "in_app", 1)]
    for person in (cast.manager, cast.key_worker, cast.outsider, second_administrator):
        assert not Notification.objects.filter(recipient=person).exists()


@pytest.mark.django_db
def test_the_clock_in_words_on_the_list(administrator):
    now = london(2026, 11, 30, 12, 0)
    running = record(administrator, discovered_at=now - datetime.timedelta(hours=41), now=now)
    late = record(administrator, discovered_at=now - datetime.timedelta(hours=77, minutes=30), now=now)
    decided = record(administrator, discovered_at=now - datetime.timedelta(hours=80), now=now)
    breaches.breach_decide(user=administrator, breach=decided, decision=Decision.NOT_REPORTABLE,
                           reason="Encrypted laptop, recovered unopened.", expected_version=1, now=now)
    rows = breach_clock.breach_rows(now=now)
    assert [(row.breach.pk, row.clock.text) for row in rows] == [
        (late.pk, "Past the 72 hours by 5 hours"),
        (running.pk, "31 hours left"),
        (decided.pk, "Decided: not reportable"),
    ]
    assert breach_clock.clock_for(running, now + datetime.timedelta(hours=30, minutes=30)).text == \
        "Less than an hour left"


# ------------------------------------------------------------------ the decision and the report


@pytest.mark.django_db
def test_not_reportable_needs_a_reason_and_meets_the_clock(administrator):
    discovered = timezone.now() - datetime.timedelta(hours=80)
    breach = record(administrator, discovered_at=discovered)
    raise_overdue_flags()
    [flag] = flags_of(breach)
    assert flag.resolved_at is None

    with pytest.raises(UserFixableError) as refused:
        breaches.breach_decide(user=administrator, breach=breach, decision=Decision.NOT_REPORTABLE, reason="  ",
                               expected_version=breach.version)
    assert refused.value.field == "reason"
    breach.refresh_from_db()
    assert breach.decision == Decision.UNDECIDED

    breaches.breach_decide(user=administrator, breach=breach, decision=Decision.NOT_REPORTABLE,
                           reason="The file was encrypted and the laptop recovered.", expected_version=breach.version)
    breach.refresh_from_db()
    clock = clocks(breach).get()
    assert clock.met_at == breach.decided_at and breach.decided_by == administrator
    flag.refresh_from_db()
    assert flag.resolved_at is not None
    assert breach_clock.clock_for(breach).text == "Decided: not reportable"


@pytest.mark.django_db
def test_the_database_refuses_a_decision_without_a_reason(administrator):
    breach = record(administrator)
    with pytest.raises(IntegrityError):
        Breach.objects.filter(pk=breach.pk).update(decision=Decision.REPORT, decided_by=administrator,
                                                   decided_at=timezone.now())


@pytest.mark.django_db
def test_the_report_to_the_ico_meets_the_clock_at_the_moment_it_was_made(administrator):
    now = timezone.now()
    breach = record(administrator, discovered_at=now - datetime.timedelta(hours=10), now=now)
    with pytest.raises(UserFixableError, match="decision to report it"):
        breaches.breach_record_report(user=administrator, breach=breach, reported_at=now, ico_reference="",
                                      expected_version=breach.version)
    breaches.breach_decide(user=administrator, breach=breach, decision=Decision.REPORT,
                           reason="Children's data sent outside the service.", expected_version=breach.version)
    assert open_clock(breach)  # deciding to report leaves the clock running
    reported_at = now - datetime.timedelta(hours=2)
    breaches.breach_record_report(user=administrator, breach=breach, reported_at=reported_at,
                                  ico_reference="IC-123456-A1B2", expected_version=breach.version)
    assert clocks(breach).get().met_at == reported_at
    assert breach_clock.clock_for(breach).text == "Reported to the ICO within the 72 hours"
    with pytest.raises(UserFixableError, match="the decision stands"):
        breaches.breach_decide(user=administrator, breach=breach, decision=Decision.NOT_REPORTABLE, reason="No.",
                               expected_version=breach.version)


@pytest.mark.django_db
def test_a_corrected_discovery_moves_the_clock(administrator):
    now = timezone.now()
    breach = record(administrator, discovered_at=now - datetime.timedelta(hours=80), now=now)
    raise_overdue_flags(now=now)
    [old_flag] = flags_of(breach)
    breach.discovered_at = now - datetime.timedelta(hours=2)
    breaches.breach_update(user=administrator, breach=breach, expected_version=breach.version, now=now)

    clock = open_clock(breach)
    assert clock.due_at == breach.discovered_at + datetime.timedelta(hours=72)
    assert clocks(breach).filter(cancelled_at__isnull=False).count() == 1
    old_flag.refresh_from_db()
    assert old_flag.resolved_at is not None
    assert raise_overdue_flags(now=now + datetime.timedelta(hours=1)).flagged == 0


@pytest.mark.django_db
def test_closing_needs_the_decision_and_the_report(administrator):
    breach = record(administrator)
    with pytest.raises(UserFixableError, match="before closing"):
        breaches.breach_close(user=administrator, breach=breach, expected_version=breach.version)
    breaches.breach_decide(user=administrator, breach=breach, decision=Decision.REPORT, reason="High risk.",
                           expected_version=breach.version)
    with pytest.raises(UserFixableError, match="report to the ICO before closing"):
        breaches.breach_close(user=administrator, breach=breach, expected_version=breach.version)
    breaches.breach_record_report(user=administrator, breach=breach, reported_at=timezone.now(), ico_reference="",
                                  expected_version=breach.version)
    breaches.breach_close(user=administrator, breach=breach, expected_version=breach.version)
    assert not breach.is_open
    with pytest.raises(UserFixableError, match="closed"):
        breach.what_happened = "Something else"
        breaches.breach_update(user=administrator, breach=breach, expected_version=breach.version)
    # Actions may still be added once it is closed.
    breaches.breach_add_action(user=administrator, breach=breach, done_at=timezone.now(), what="ICO letter filed.")
    assert breach.actions.count() == 1


@pytest.mark.django_db
def test_a_subject_access_request_is_told_to_administrators_of_any_team(cast, administrator):
    with time_machine.travel(london(2027, 3, 12, 10, 0), tick=False):
        request = data_protection.subject_access_record(
            user=administrator, family=cast.family, person=cast.carer, asked_by=SubjectAccessRequest.AskedBy.THEMSELF,
            asked_by_name="", identity_check=SubjectAccessRequest.IdentityCheck.KNOWN_CONTACT,
            identity_details="Rang her back.", received_on=datetime.date(2027, 3, 10))
    moment = london(2027, 4, 12, 9, 0)
    with time_machine.travel(moment, tick=False):
        raise_overdue_flags(now=moment)
    assert OverdueFlag.objects.filter(deadline__subject_id=request.pk,
                                      deadline__kind=deadline_kinds.SUBJECT_ACCESS).count() == 1
    told = set(Notification.objects.filter(channel="in_app").values_list("recipient_id", flat=True))
    assert told == {administrator.pk, cast.manager.pk, cast.key_worker.pk}


# ------------------------------------------------------------------ the pages


def record_form(**overrides):
    discovered = timezone.now() - datetime.timedelta(hours=3)
    data = {
        "what_happened": "A laptop with case notes was left on a train.",
        **moment_parts("discovered_at", discovered),
        "how_discovered": "The caseworker told her manager.",
        "data_involved": "Case notes of two families.",
        "sensitive_data": "yes",
        "people_affected": "7",
        "people_affected_estimated": "on",
        "risk": "high",
        "who_was_told": "",
    }
    return {**data, **overrides}


@pytest.mark.django_db
def test_recording_a_breach_on_its_page(admin_client, administrator, time_machine):
    time_machine.move_to(london(2026, 11, 30, 12, 0), tick=False)
    response = admin_client.post(reverse("data_protection:breach_record"), record_form())
    breach = Breach.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("data_protection:breach", args=[breach.pk])
    assert (breach.recorded_by, breach.people_affected, breach.people_affected_estimated, breach.risk) == (
        administrator, 7, True, Breach.Risk.HIGH)
    assert open_clock(breach).due_at == breach.discovered_at + datetime.timedelta(hours=72)
    page = unescape(admin_client.get(reverse("data_protection:breach", args=[breach.pk])).content.decode())
    assert "A laptop with case notes was left on a train." in page
    assert "69 hours left" in page
    assert "Thursday 3 December 2026, 09:00 GMT" in page  # 72 hours after 09:00 on the Monday


@pytest.mark.django_db
def test_the_form_says_what_is_wrong_next_to_each_field_and_keeps_what_was_typed(admin_client):
    future = timezone.now() + datetime.timedelta(days=2)
    response = admin_client.post(reverse("data_protection:breach_record"), record_form(
        what_happened="", people_affected="lots", sensitive_data="", **moment_parts("discovered_at", future),
        data_involved="Case notes of two families, typed before the mistake.",
        happened_at_day="31", happened_at_month="2", happened_at_year="2026", happened_at_time="10:00",
    ))
    assert response.status_code == 200 and not Breach.objects.exists()
    form = response.context["form"]
    assert form.errors["what_happened"] == ["Enter what happened."]
    assert form.errors["people_affected"] == ["Enter how many people are affected as a whole number, for example 25."]
    assert form.errors["discovered_at"] == ["The moment it was discovered cannot be in the future."]
    assert "there is no 31/2/2026" in form.errors["happened_at"][0]
    assert set(form.errors) >= {"sensitive_data"}
    page = unescape(response.content.decode())
    assert "Case notes of two families, typed before the mistake." in page
    assert 'value="lots"' in page
    assert "is-invalid" in page


@pytest.mark.django_db
def test_happened_after_it_was_discovered_is_refused_next_to_the_field(admin_client):
    discovered = timezone.now() - datetime.timedelta(hours=3)
    response = admin_client.post(reverse("data_protection:breach_record"), record_form(
        **moment_parts("happened_at", discovered + datetime.timedelta(hours=1))))
    assert response.status_code == 200
    assert response.context["form"].errors["happened_at"][0].startswith("It cannot have happened after")


@pytest.mark.django_db
def test_the_decision_page_needs_a_reason_and_refuses_a_stale_version(admin_client, administrator):
    breach = record(administrator)
    url = reverse("data_protection:breach_decide", args=[breach.pk])
    response = admin_client.post(url, {"decision": "not_reportable", "reason": "", "version": breach.version})
    assert response.context["form"].errors["reason"] == ["Enter why."]

    stale = breach.version
    breaches.breach_update(user=administrator, breach=breach, expected_version=breach.version)  # someone else
    response = admin_client.post(url, {"decision": "not_reportable", "reason": "Encrypted.", "version": stale})
    assert response.status_code == 200
    assert EditConflict().message in unescape(response.content.decode())
    breach.refresh_from_db()
    assert breach.decision == Decision.UNDECIDED

    response = admin_client.post(url, {"decision": "not_reportable", "reason": "Encrypted.", "version": breach.version})
    assert response.status_code == 302
    breach.refresh_from_db()
    assert breach.decision == Decision.NOT_REPORTABLE and breach.decision_reason == "Encrypted."


@pytest.mark.django_db
def test_adding_an_action_on_its_page(admin_client, administrator):
    breach = record(administrator)
    done_at = timezone.now() - datetime.timedelta(minutes=30)
    url = reverse("data_protection:breach_action_add", args=[breach.pk])
    response = admin_client.post(url, {"what": "", **moment_parts("done_at", done_at)})
    assert response.context["form"].errors["what"] == ["Enter what was done."]
    response = admin_client.post(url, {"what": "Asked the school to delete the e-mail.", "done_by": "Sam at the school",
                                       **moment_parts("done_at", done_at)})
    assert response.status_code == 302
    action = BreachAction.objects.get()
    assert (action.breach, action.recorded_by, action.done_by) == (breach, administrator, "Sam at the school")
    assert action.done_at == done_at.replace(second=0, microsecond=0)


@pytest.mark.django_db
def test_only_administrators_reach_the_breach_log(cast, administrator):
    breach = record(administrator)
    urls = [reverse("data_protection:breaches"), reverse("data_protection:breach_record")] + [
        reverse(f"data_protection:{name}", args=[breach.pk])
        for name in ("breach", "breach_edit", "breach_decide", "breach_report", "breach_action_add", "breach_close")]
    for person in (cast.manager, cast.key_worker, cast.outsider):
        client = client_for(person)
        for url in urls:
            assert client.get(url).status_code == 404, url
            assert client.post(url, {"decision": "not_reportable", "reason": "x", "version": 1}).status_code == 404
    breach.refresh_from_db()
    assert breach.decision == Decision.UNDECIDED
    assert client_for(None).get(urls[0]).status_code == 302  # signing in first
    assert client_for(administrator).get(reverse("data_protection:breach", args=[breach.pk + 1])).status_code == 404


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_the_list_and_a_breach_page_run_a_fixed_number_of_queries(admin_client, administrator):
    first = record(administrator, discovered_at=timezone.now() - datetime.timedelta(hours=80))
    raise_overdue_flags()
    breaches.breach_add_action(user=administrator, breach=first, done_at=timezone.now(), what="Contained.")
    list_url = reverse("data_protection:breaches")
    page_url = reverse("data_protection:breach", args=[first.pk])
    one = count_queries(admin_client, list_url), count_queries(admin_client, page_url)
    for _ in range(9):
        record(administrator, discovered_at=timezone.now() - datetime.timedelta(hours=80))
        breaches.breach_add_action(user=administrator, breach=first, done_at=timezone.now(), what="More.",
                                   done_by="Someone")
    raise_overdue_flags()
    assert Breach.objects.count() == 10 and OverdueFlag.objects.count() == 10
    assert (count_queries(admin_client, list_url), count_queries(admin_client, page_url)) == one


@pytest.mark.django_db
def test_changes_and_reads_are_audited_without_the_words(admin_client, administrator):
    response = admin_client.post(reverse("data_protection:breach_record"), record_form())
    breach = Breach.objects.get()
    created = LogEntry.objects.get_for_object(breach).get(action=LogEntry.Action.CREATE)
    assert created.actor == administrator
    assert created.changes["what_happened"][1] == TEXT_NOT_KEPT
    assert "laptop" not in str(created.changes) and "laptop" not in created.object_repr
    assert response.status_code == 302

    admin_client.get(reverse("data_protection:breach", args=[breach.pk]))
    admin_client.get(reverse("data_protection:breaches"))
    reads = LogEntry.objects.get_for_object(breach).filter(action=LogEntry.Action.ACCESS)
    assert sorted(entry.additional_data["read"] for entry in reads) == ["list", "view"]

    breaches.breach_add_action(user=administrator, breach=breach, done_at=timezone.now(), what="Laptop found.")
    action = BreachAction.objects.get()
    entry = LogEntry.objects.get_for_object(action).get()
    assert entry.changes["what"][1] == TEXT_NOT_KEPT
