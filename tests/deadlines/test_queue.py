"""The managers' overdue queue: scoping, filters, lateness, acknowledging, escalating, exporting."""

import csv
import datetime
import io
from html import unescape
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
import time_machine
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from deadlines.models import Deadline, OverdueFlag
from families.models import Family, Role
from referrals.models import Escalation
from tests.conftest import client_for
from tests.factories import (
    DeadlineFactory,
    FamilyFactory,
    LocalAuthorityFactory,
    MembershipFactory,
    OverdueFlagFactory,
    PersonFactory,
    ReferralFactory,
    UserFactory,
)

LONDON = ZoneInfo("Europe/London")
QUEUE = "/overdue/"


def london(*args):
    return datetime.datetime(*args, tzinfo=LONDON)


# Monday 30 November 2026, 09:00.
NOW = london(2026, 11, 30, 9, 0)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def overdue_flag(family, *, due_at=None, referral=None, kind="referral:decision", label="Decision on the referral",
                 **flag_fields):
    """An unresolved flag on a deadline about ``referral`` (or about the family itself)."""
    subject = referral or family
    authority = getattr(subject, "local_authority_id", None) or getattr(getattr(subject, "referral", None),
                                                                        "local_authority_id", None)
    deadline = DeadlineFactory(
        local_authority_id=authority,
        family=family,
        subject_type=ContentType.objects.get_for_model(subject),
        subject_id=subject.pk,
        kind=kind,
        label=label,
        started_at=NOW - datetime.timedelta(days=20),
        due_at=due_at or london(2026, 11, 24, 0, 0),
        escalate_at=NOW + datetime.timedelta(days=5),
    )
    return OverdueFlagFactory(deadline=deadline, family=family, raised_at=deadline.due_at, **flag_fields)


def referral_flag(family, local_authority=None, **fields):
    referral = ReferralFactory(family=family, local_authority=local_authority or family.local_authority)
    return overdue_flag(family, referral=referral, **fields)


def other_team_flag():
    return referral_flag(FamilyFactory())


def flag_ids(response):
    return [row.flag.pk for row in response.context["rows"]]


# ------------------------------------------------------------------ who sees the queue


@pytest.mark.django_db
def test_manager_sees_the_flags_of_their_teams_only(cast, manager_client):
    own = referral_flag(cast.family)
    other = other_team_flag()
    response = manager_client.get(QUEUE)
    assert response.status_code == 200
    assert flag_ids(response) == [own.pk]
    content = response.content.decode()
    assert cast.family.reference in content
    assert other.family.reference not in content


@pytest.mark.django_db
def test_administrator_sees_the_queue(cast):
    admin = MembershipFactory(team=cast.family.team, role=Role.ADMINISTRATOR).user
    flag = referral_flag(cast.family)
    assert flag_ids(client_for(admin).get(QUEUE)) == [flag.pk]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["key_worker", "teammate", "outsider"])
def test_people_who_manage_no_team_get_404(cast, who):
    flag = referral_flag(cast.family)
    client = client_for(getattr(cast, who))
    for url in (QUEUE, reverse("deadlines:queue_export"), reverse("referrals:flag_escalate", args=[flag.pk])):
        assert client.get(url).status_code == 404, url
    assert client.post(QUEUE, {"flags": [flag.pk], "note": "Seen"}).status_code == 404
    flag.refresh_from_db()
    assert flag.acknowledged_at is None


@pytest.mark.django_db
def test_a_manager_of_another_team_gets_404_for_this_teams_flag(cast):
    flag = referral_flag(cast.family)
    other_manager = MembershipFactory(role=Role.MANAGER).user
    client = client_for(other_manager)
    assert flag_ids(client.get(QUEUE)) == []
    assert client.get(reverse("referrals:flag_escalate", args=[flag.pk])).status_code == 404


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(cast, anonymous_client):
    for url in (QUEUE, reverse("deadlines:queue_export"), reverse("referrals:flag_escalate", args=[1])):
        response = anonymous_client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_resolved_flags_leave_the_queue(cast, manager_client):
    referral_flag(cast.family, resolved_at=NOW)
    assert flag_ids(manager_client.get(QUEUE)) == []


# ------------------------------------------------------------------ what a row says


@pytest.mark.django_db
def test_lateness_is_in_working_days_of_the_deadline_nation(cast, manager_client):
    # Due by the end of Monday 23 November: Tuesday to the next Monday are 5 working days late.
    flag = referral_flag(cast.family, due_at=london(2026, 11, 24, 0, 0))
    response = manager_client.get(QUEUE)
    [row] = response.context["rows"]
    assert row.flag == flag
    assert row.working_days_late == 5
    assert row.due_on == datetime.date(2026, 11, 23)
    content = response.content.decode()
    assert "23 Nov 2026" in content
    assert "5 working days" in content
    assert "since 24 Nov 2026" in content


@pytest.mark.django_db
def test_local_authority_is_the_referrals_where_the_deadline_is_about_one(cast, manager_client):
    elsewhere = LocalAuthorityFactory(name="Otherborough")
    referral_flag(cast.family, local_authority=elsewhere)
    overdue_flag(cast.family, kind="test:family", label="A promise about the family")
    rows = {row.deadline.label: row for row in manager_client.get(QUEUE).context["rows"]}
    assert rows["Decision on the referral"].authority_name == "Otherborough"
    assert [a.label for a in rows["Decision on the referral"].actions] == ["Record an escalation"]
    assert rows["A promise about the family"].authority_name == cast.family.local_authority.name
    assert rows["A promise about the family"].actions == []


@pytest.mark.django_db
def test_acknowledgement_is_shown(cast, manager_client):
    referral_flag(cast.family, acknowledged_at=NOW, acknowledged_by=cast.manager,
                  acknowledgement_note="Rang the duty team")
    content = unescape(manager_client.get(QUEUE).content.decode())
    assert f"By {cast.manager.full_name}, 30 Nov 2026" in content
    assert "Rang the duty team" in content


@pytest.mark.django_db
def test_sorted_most_late_first(cast, manager_client):
    middle = referral_flag(cast.family, due_at=london(2026, 11, 20, 0, 0))
    latest = referral_flag(cast.family, due_at=london(2026, 11, 27, 0, 0))
    earliest = referral_flag(cast.family, due_at=london(2026, 10, 1, 0, 0))
    response = manager_client.get(QUEUE)
    assert flag_ids(response) == [earliest.pk, middle.pk, latest.pk]
    lateness = [row.working_days_late for row in response.context["rows"]]
    assert lateness == sorted(lateness, reverse=True)


# ------------------------------------------------------------------ filters


@pytest.fixture
def two_teams(cast):
    """The manager manages the cast's team and a second one; one flag in each, different in every way."""
    second = MembershipFactory(user=cast.manager, role=Role.MANAGER).team
    MembershipFactory(user=cast.teammate, team=second, role=Role.CASEWORKER)
    referred_elsewhere = LocalAuthorityFactory(name="Otherborough")
    first = referral_flag(cast.family, local_authority=referred_elsewhere)
    second_family = FamilyFactory(team=second, key_worker=cast.teammate)
    second_flag = referral_flag(
        second_family, kind="referral:assessment_completed", label="Assessment completed",
        level=OverdueFlag.Level.ESCALATED, acknowledged_at=NOW, acknowledged_by=cast.manager,
        acknowledgement_note="Chased",
    )
    return {"first": first, "second": second_flag, "second_team": second, "elsewhere": referred_elsewhere}


FILTERS = [
    ("local_authority", lambda c, t: t["elsewhere"].pk, "first"),
    ("local_authority", lambda c, t: t["second"].family.local_authority_id, "second"),
    ("team", lambda c, t: c.family.team_id, "first"),
    ("team", lambda c, t: t["second_team"].pk, "second"),
    ("key_worker", lambda c, t: c.key_worker.pk, "first"),
    ("key_worker", lambda c, t: c.teammate.pk, "second"),
    ("kind", lambda c, t: "referral:decision", "first"),
    ("kind", lambda c, t: "referral:assessment_completed", "second"),
    ("level", lambda c, t: OverdueFlag.Level.OVERDUE, "first"),
    ("level", lambda c, t: OverdueFlag.Level.ESCALATED, "second"),
    ("acknowledged", lambda c, t: "no", "first"),
    ("acknowledged", lambda c, t: "yes", "second"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "value", "expected"), FILTERS, ids=[f"{f[0]}-{f[2]}" for f in FILTERS])
def test_each_filter_narrows_the_list(cast, manager_client, two_teams, name, value, expected):
    assert set(flag_ids(manager_client.get(QUEUE))) == {two_teams["first"].pk, two_teams["second"].pk}
    response = manager_client.get(QUEUE, {name: value(cast, two_teams)})
    assert response.context["filterset"].is_valid(), response.context["filterset"].errors
    assert flag_ids(response) == [two_teams[expected].pk]


@pytest.mark.django_db
def test_the_family_local_authority_does_not_match_a_referral_made_elsewhere(cast, manager_client, two_teams):
    response = manager_client.get(QUEUE, {"local_authority": cast.family.local_authority_id})
    assert flag_ids(response) == []


@pytest.mark.django_db
def test_filtering_on_another_teams_id_shows_an_error_and_still_only_own_flags(cast, manager_client):
    own = referral_flag(cast.family)
    other = other_team_flag()
    response = manager_client.get(QUEUE, {"team": other.family.team_id})
    assert "team" in response.context["filterset"].errors
    assert flag_ids(response) == [own.pk]


# ------------------------------------------------------------------ queries


def add_flags(cast, count):
    for n in range(count):
        family = FamilyFactory(team=cast.family.team, key_worker=cast.key_worker if n % 2 else cast.teammate)
        PersonFactory(family=family)
        if n % 3:
            referral_flag(family, due_at=london(2026, 11, 1 + n % 20, 0, 0))
        else:
            overdue_flag(family, kind=f"test:{n}", acknowledged_at=NOW, acknowledged_by=cast.manager,
                         acknowledgement_note="Chased")


def count_queries(client, url, data=None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, data or {})
    assert response.status_code == 200
    return len(queries), [query["sql"] for query in queries.captured_queries]


@pytest.mark.django_db
@pytest.mark.parametrize("url", [QUEUE, "/overdue/export.csv"])
def test_query_count_does_not_grow_with_the_number_of_flags(cast, manager_client, url):
    add_flags(cast, 5)
    small, _ = count_queries(manager_client, url)
    add_flags(cast, 45)
    large, sql = count_queries(manager_client, url)
    assert small == large, "\n".join(sql)
    print(f"{url}: {large} queries")  # noqa: T201 - shown with -s


@pytest.mark.django_db
def test_pinned_query_count_of_the_queue(cast, manager_client, django_assert_num_queries):
    """Reading the session (1), the user (1) and the second factor's device (1), managed teams (1),
    count and page of flags (2), the families listed, in the audit trail (1), the navigation bar (1),
    the filter form's three lists (3), renewing the session (3: an UPDATE in a savepoint)."""
    add_flags(cast, 5)
    with django_assert_num_queries(14):
        manager_client.get(QUEUE)


@pytest.mark.django_db
def test_pages_of_fifty(cast, manager_client):
    add_flags(cast, 51)
    first = manager_client.get(QUEUE)
    assert len(first.context["rows"]) == 50
    assert str(first.context["count"]) == "51"
    assert first.context["page"].previous_cursor is None
    cursor = first.context["page"].next_cursor
    assert f'href="?after={quote(cursor)}">Next page (less late)</a>' in first.content.decode()
    second = manager_client.get(QUEUE, {"after": cursor})
    assert len(second.context["rows"]) == 1
    assert str(second.context["count"]) == "51"
    assert second.context["page"].next_cursor is None
    back = manager_client.get(QUEUE, {"before": second.context["page"].previous_cursor})
    assert [row.flag.pk for row in back.context["rows"]] == [row.flag.pk for row in first.context["rows"]]
    assert back.context["page"].previous_cursor is None


@pytest.mark.django_db
def test_the_count_stops_at_its_limit(cast, manager_client, monkeypatch):
    monkeypatch.setattr("deadlines.views.QUEUE_COUNT_LIMIT", 3)
    add_flags(cast, 3)
    assert "3 overdue flags, most late first" in manager_client.get(QUEUE).content.decode()
    add_flags(cast, 1)
    assert "More than 3 overdue flags, most late first" in manager_client.get(QUEUE).content.decode()


@pytest.mark.django_db
def test_pages_follow_on_exactly_where_many_flags_were_due_at_the_same_moment(cast, manager_client, monkeypatch):
    """Keyset pages cut on (due moment, id): ties of the due moment are neither lost nor repeated."""
    monkeypatch.setattr("deadlines.views.QUEUE_PAGE_SIZE", 3)
    due = london(2026, 11, 2, 0, 0)
    flags = [referral_flag(FamilyFactory(team=cast.family.team), due_at=due if n < 5 else london(2026, 11, 3))
             for n in range(7)]
    seen, cursor = [], None
    while True:
        response = manager_client.get(QUEUE, {"after": cursor} if cursor else {})
        seen += [row.flag.pk for row in response.context["rows"]]
        cursor = response.context["page"].next_cursor
        if cursor is None:
            break
    assert seen == sorted(flag.pk for flag in flags)  # same moment: by id; the later moment last
    assert len(seen) == 7


@pytest.mark.django_db
@pytest.mark.parametrize("cursor", ["", "nonsense", "2026-13-45T00:00:00+00:00_1", "2026-11-02T00:00:00_x",
                                    "_12", "2026-11-02T00:00:00+00:00_" + "9" * 40, "١٢_٣", "9999-12-31T23:59:59_1",
                                    "9999-12-31T23:59:59+00:00_1", "0001-01-01T00:00:00+00:00_1"])
def test_a_cursor_that_cannot_be_read_shows_the_first_page(cast, manager_client, cursor):
    add_flags(cast, 4)
    for name in ("after", "before"):
        response = manager_client.get(QUEUE, {name: cursor})
        assert response.status_code == 200
        assert len(response.context["rows"]) in (0, 4)  # the first page, or nothing beyond the end of time


@pytest.mark.django_db
def test_the_local_authority_choices_are_the_authorities_not_read_from_the_flags(cast, manager_client):
    from families.models import LocalAuthority

    response = manager_client.get(QUEUE)
    choices = list(response.context["filterset"].form.fields["local_authority"].queryset)
    assert choices == list(LocalAuthority.objects.order_by("name", "pk"))
    assert len(choices) > 100  # every authority, not only those with a family of these teams


# ------------------------------------------------------------------ acknowledging


@pytest.mark.django_db
def test_acknowledge_one_flag_with_a_note(cast, manager_client):
    flag = referral_flag(cast.family)
    response = manager_client.post(f"{QUEUE}?level=1", {"flags": [flag.pk], "note": "Rang the duty team"})
    assert response.status_code == 302
    assert response["Location"] == f"{QUEUE}?level=1"
    flag.refresh_from_db()
    assert (flag.acknowledged_by, flag.acknowledged_at, flag.acknowledgement_note) == (
        cast.manager, NOW, "Rang the duty team"
    )


@pytest.mark.django_db
def test_acknowledge_many_keeps_an_earlier_acknowledgement(cast, manager_client):
    first, second = referral_flag(cast.family), referral_flag(cast.family)
    earlier = referral_flag(cast.family, acknowledged_at=NOW - datetime.timedelta(days=2),
                            acknowledged_by=cast.teammate, acknowledgement_note="First note")
    response = manager_client.post(QUEUE, {"flags": [first.pk, second.pk, earlier.pk], "note": "Letter sent"},
                                   follow=True)
    assert "2 flags acknowledged. 1 had already been acknowledged" in response.content.decode()
    for flag in (first, second):
        flag.refresh_from_db()
        assert (flag.acknowledged_by, flag.acknowledgement_note) == (cast.manager, "Letter sent")
    earlier.refresh_from_db()
    assert (earlier.acknowledged_by, earlier.acknowledgement_note) == (cast.teammate, "First note")
    assert earlier.acknowledged_at == NOW - datetime.timedelta(days=2)


@pytest.mark.django_db
def test_flags_of_other_teams_in_the_post_are_ignored(cast, manager_client):
    own, other = referral_flag(cast.family), other_team_flag()
    response = manager_client.post(QUEUE, {"flags": [other.pk], "note": "Seen"})
    assert response.status_code == 200
    assert "Tick at least one overdue flag" in response.content.decode()
    manager_client.post(QUEUE, {"flags": [own.pk, other.pk, "not-a-number"], "note": "Seen"})
    own.refresh_from_db()
    other.refresh_from_db()
    assert own.acknowledged_by == cast.manager
    assert (other.acknowledged_at, other.acknowledged_by, other.acknowledgement_note) == (None, None, "")


BAD_INPUT = [
    ("no flag", False, "Still waiting for the decision", "Tick at least one overdue flag"),
    ("empty note", True, "   ", "Write a short note saying what is being done."),
    ("note too long", True, "x" * 2001, "Keep the note to 2,000 characters or fewer."),
    ("markup", True, "<b>urgent</b> chase", "Remove the angle-bracket tags"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("case", "tick", "note", "message"), BAD_INPUT, ids=[b[0] for b in BAD_INPUT])
def test_bad_input_is_explained_and_what_was_typed_is_kept(cast, manager_client, case, tick, note, message):
    flag, other = referral_flag(cast.family), referral_flag(cast.family)
    response = manager_client.post(QUEUE, {"flags": [flag.pk] if tick else [], "note": note})
    assert response.status_code == 200
    content = response.content.decode()
    assert message in content
    if note.strip():
        assert (note.replace("<", "&lt;").replace(">", "&gt;")) in content
    assert (f'id="flag-{flag.pk}"' in content) and (f'value="{flag.pk}" id="flag-{flag.pk}"' in content)
    chosen = response.context["chosen_ids"]
    assert chosen == ({str(flag.pk)} if tick else set())
    if tick:
        tag = content.split(f'id="flag-{flag.pk}"', 1)[1].split(">", 1)[0]
        assert "checked" in tag
    other_tag = content.split(f'id="flag-{other.pk}"', 1)[1].split(">", 1)[0]
    assert "checked" not in other_tag
    assert not OverdueFlag.objects.filter(acknowledged_at__isnull=False).exists()


@pytest.mark.django_db
def test_every_checkbox_has_a_label(cast, manager_client):
    flag = referral_flag(cast.family)
    content = manager_client.get(QUEUE).content.decode()
    assert f'<label class="visually-hidden" for="flag-{flag.pk}">Decision on the referral for family ' \
           f'{cast.family.reference}</label>' in content


# ------------------------------------------------------------------ escalating


def escalate_url(flag):
    return reverse("referrals:flag_escalate", args=[flag.pk])


@pytest.mark.django_db
def test_escalation_is_recorded_with_its_own_clock(cast, manager_client):
    flag = referral_flag(cast.family)
    response = manager_client.post(escalate_url(flag), {
        "kind": Escalation.Kind.COMPLAINT_1, "to_whom": "Complaints officer", "sent_at": "2026-11-30T08:30",
        "note": "Decision is a week late",
    })
    assert response.status_code == 302, response.context["form"].errors
    escalation = Escalation.objects.get()
    assert (escalation.flag, escalation.referral, escalation.created_by) == (flag, flag.deadline.subject, cast.manager)
    assert escalation.sent_at == london(2026, 11, 30, 8, 30)
    reply = Deadline.objects.get(kind="escalation:response")
    # Stage 1 complaint: 10 working days, so by the end of Monday 14 December.
    assert reply.due_at == london(2026, 12, 15, 0, 0)
    assert reply.label == "Response to the formal complaint, stage 1"
    assert reply.subject == escalation


@pytest.mark.django_db
def test_a_late_reply_to_an_escalation_can_be_escalated_further(cast, manager_client):
    referral = ReferralFactory(family=cast.family)
    escalation = Escalation.objects.create(
        referral=referral, kind=Escalation.Kind.COMPLAINT_1, to_whom="Complaints officer",
        sent_at=NOW - datetime.timedelta(days=30), created_by=cast.manager,
    )
    flag = overdue_flag(cast.family, referral=escalation, kind="escalation:response", label="Response")
    response = manager_client.post(escalate_url(flag), {
        "kind": Escalation.Kind.COMPLAINT_2, "to_whom": "Complaints officer", "sent_at": "2026-11-30T08:30",
    })
    assert response.status_code == 302
    assert Escalation.objects.get(kind=Escalation.Kind.COMPLAINT_2).referral == referral


@pytest.mark.django_db
def test_escalation_cannot_be_sent_in_the_future(cast, manager_client):
    flag = referral_flag(cast.family)
    response = manager_client.post(escalate_url(flag), {
        "kind": Escalation.Kind.LETTER, "to_whom": "Team manager", "sent_at": "2026-12-02T08:30", "note": "Typed",
    })
    assert response.status_code == 200
    content = response.content.decode()
    assert "cannot be in the future" in content
    assert "Team manager" in content and "Typed" in content
    assert not Escalation.objects.exists()


@pytest.mark.django_db
def test_escalation_page_404s_for_flags_not_about_a_referral_or_resolved(cast, manager_client):
    family_flag = overdue_flag(cast.family, kind="test:family")
    resolved = referral_flag(cast.family, resolved_at=NOW)
    assert manager_client.get(escalate_url(family_flag)).status_code == 404
    assert manager_client.get(escalate_url(resolved)).status_code == 404
    assert manager_client.get(reverse("referrals:flag_escalate", args=[999999])).status_code == 404


@pytest.mark.django_db
def test_escalation_page_shows_the_form(cast, manager_client):
    flag = referral_flag(cast.family)
    response = manager_client.get(escalate_url(flag))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Formal complaint, stage 1" in content
    assert cast.family.reference in content


# ------------------------------------------------------------------ export


def read_csv(response):
    return list(csv.reader(io.StringIO(response.getvalue().decode())))


@pytest.mark.django_db
def test_csv_export_of_the_filtered_queue(cast, manager_client, two_teams):
    response = manager_client.get(reverse("deadlines:queue_export"), {"acknowledged": "yes"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="overdue-queue-2026-11-30.csv"'
    header, *rows = read_csv(response)
    assert header == [
        "Family reference", "What is late", "Local authority", "Team", "Key worker", "Due date",
        "Working days late", "Level", "Acknowledged by", "Acknowledged at", "Note",
    ]
    family = two_teams["second"].family
    assert rows == [[
        family.reference, "Assessment completed", family.local_authority.name, family.team.name,
        cast.teammate.full_name, "23/11/2026", "5", "Very late (twice the time allowed)", cast.manager.full_name,
        "30/11/2026 09:00", "Chased",
    ]]


@pytest.mark.django_db
def test_csv_export_is_audited_once_per_family_in_one_statement(cast, manager_client, two_teams):
    referral_flag(cast.family)  # a second flag of the same family: still one entry for it
    with CaptureQueriesContext(connection) as queries:
        response = manager_client.get(reverse("deadlines:queue_export"))
        assert not LogEntry.objects.filter(action=LogEntry.Action.ACCESS).exists()  # nothing sent yet
        response.getvalue()
    # One INSERT … SELECT on PostgreSQL; on SQLite one executemany (captured as "2 times: INSERT …").
    inserts = [q["sql"] for q in queries.captured_queries if 'INSERT INTO "auditlog_logentry"' in q["sql"]]
    assert len(inserts) == 1
    assert not inserts[0].startswith("2 times") or connection.vendor == "sqlite"
    entries = LogEntry.objects.filter(action=LogEntry.Action.ACCESS)
    assert entries.count() == 2
    family_type = ContentType.objects.get_for_model(Family)
    for entry in entries:
        family = Family.objects.get(pk=entry.object_id)
        assert entry.content_type == family_type
        assert entry.object_pk == str(family.pk)
        assert entry.object_repr == f"Family {family.pk}"
        assert entry.actor == cast.manager
        assert entry.additional_data == {
            "family_id": family.pk, "read": "export", "what": "overdue queue",
            "page": reverse("deadlines:queue_export"),
        }
    assert {entry.object_id for entry in entries} == {cast.family.pk, two_teams["second"].family_id}


@pytest.mark.django_db
def test_csv_export_is_read_and_audited_a_chunk_at_a_time_and_names_who_asked(cast, manager_client, monkeypatch):
    """Streamed: each chunk one read and one audit INSERT, as it is sent; every flag once, in order,
    and the audit entries name the manager and the page although the view has returned."""
    monkeypatch.setattr("deadlines.views.EXPORT_CHUNK_SIZE", 2)
    monkeypatch.setattr("deadlines.views.EXPORT_FIRST_CHUNK_SIZE", 1)
    add_flags(cast, 5)
    expected = [flag.family.reference for flag in OverdueFlag.objects.order_by("due_at", "pk")]
    response = manager_client.get(reverse("deadlines:queue_export"))
    assert response.streaming
    pieces = iter(response.streaming_content)
    with CaptureQueriesContext(connection) as queries:
        assert next(pieces).decode().startswith("Family reference,")  # the header, before any read
    assert len(queries) == 0
    with CaptureQueriesContext(connection) as queries:
        body = b"".join(pieces).decode()
    rows = list(csv.reader(io.StringIO(body)))
    flag_reads = [q for q in queries.captured_queries if 'FROM "deadlines_overdueflag"' in q["sql"]]
    inserts = [q for q in queries.captured_queries if 'INSERT INTO "auditlog_logentry"' in q["sql"]]
    # Chunks of 1, 2 and 2, then a read that finds none: the last chunk was full.
    assert (len(flag_reads), len(inserts)) == (4, 3)
    assert [row[0] for row in rows] == expected
    entries = LogEntry.objects.filter(action=LogEntry.Action.ACCESS)
    assert entries.count() == 5
    assert {entry.actor for entry in entries} == {cast.manager}
    assert {entry.additional_data["page"] for entry in entries} == {reverse("deadlines:queue_export")}


@pytest.mark.django_db
def test_a_family_in_several_chunks_of_the_export_is_audited_once(cast, manager_client, monkeypatch):
    monkeypatch.setattr("deadlines.views.EXPORT_CHUNK_SIZE", 2)
    for day in (2, 3, 4, 5):
        referral_flag(cast.family, due_at=london(2026, 11, day, 0, 0))
    rows = read_csv(manager_client.get(reverse("deadlines:queue_export")))[1:]
    assert [row[0] for row in rows] == [cast.family.reference] * 4
    entry = LogEntry.objects.get(action=LogEntry.Action.ACCESS)
    assert (entry.object_id, entry.object_repr, entry.actor) == (cast.family.pk, f"Family {cast.family.pk}",
                                                                 cast.manager)


@pytest.mark.django_db
def test_csv_has_no_names_of_family_members(cast, manager_client):
    referral_flag(cast.family)
    content = manager_client.get(reverse("deadlines:queue_export")).getvalue().decode()
    assert cast.family.reference in content
    for name in (cast.carer.first_name, cast.carer.last_name, cast.child.first_name):
        assert name not in content


@pytest.mark.django_db
def test_csv_does_not_include_other_teams(cast, manager_client):
    other = other_team_flag()
    referral_flag(cast.family)
    content = manager_client.get(reverse("deadlines:queue_export")).getvalue().decode()
    assert other.family.reference not in content
    assert not LogEntry.objects.filter(action=LogEntry.Action.ACCESS, object_id=other.family_id).exists()


@pytest.mark.django_db
def test_csv_cells_that_look_like_formulas_are_neutralised(cast, manager_client):
    referral_flag(cast.family, acknowledged_at=NOW, acknowledged_by=cast.manager,
                  acknowledgement_note="=HYPERLINK(\"http://example.org\")")
    [_, row] = read_csv(manager_client.get(reverse("deadlines:queue_export")))
    assert row[-1] == "'=HYPERLINK(\"http://example.org\")"


@pytest.mark.django_db
def test_csv_with_an_invalid_filter_goes_back_to_the_queue(cast, manager_client):
    other = other_team_flag()
    response = manager_client.get(reverse("deadlines:queue_export"), {"team": other.family.team_id})
    assert response.status_code == 302
    assert response["Location"] == f"{QUEUE}?team={other.family.team_id}"
    assert not LogEntry.objects.filter(action=LogEntry.Action.ACCESS).exists()


@pytest.mark.django_db
def test_only_managers_see_the_queue_link(cast):
    link = 'href="/overdue/"'
    assert link in client_for(cast.manager).get(reverse("home")).content.decode()
    assert link not in client_for(cast.key_worker).get(reverse("home")).content.decode()
    assert link not in client_for(UserFactory()).get(reverse("families:list")).content.decode()
