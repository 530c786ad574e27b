"""The audit trail (issue 13, items 9 to 11): every read of personal data is attributable and says
its kind; the trail holds no case text; on PostgreSQL its rows can be added but never changed or
removed, except by the retention command, which is itself recorded."""

import importlib
import json
from datetime import timedelta
from html import unescape

import pytest
from auditlog.models import LogEntry
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from core import audit
from families.models import Contact, Family, Person
from tests.conftest import client_for, require_postgresql
from tests.factories import ContactFactory, FamilyFactory, FollowUpFactory, MembershipFactory, PersonFactory
from tests.meetings.factories import MeetingFactory

pytestmark = pytest.mark.django_db

WORDS = "Mum said Dean drives a blue Astra near the school"


def reads(**filters):
    return LogEntry.objects.filter(action=LogEntry.Action.ACCESS, **filters).order_by("pk")


def inserts_into_the_trail(queries):
    return [q["sql"] for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "auditlog_logentry"')]


def the_whole_trail() -> str:
    """Every audit row as text, as an auditor (or a leak) would read it."""
    rows = LogEntry.objects.values("object_repr", "changes", "changes_text", "serialized_data", "additional_data")
    return json.dumps(list(rows), default=str)


# --------------------------------------------------------------- 9. who read what


def _family_pages():
    """Every page of one family that needs nothing but the family (and a kind of person)."""

    def walk(resolver, prefix=""):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern), pattern

    pages = []
    for route, pattern in walk(get_resolver()):
        if route.startswith("families/<int:pk>") and route.count("<") == 1 + route.count("<str:kind>"):
            namespace = pattern.callback.__module__.split(".")[0]
            pages.append((f"{namespace}:{pattern.name}", route))
    return pages


FAMILY_PAGES = _family_pages()


def test_the_family_pages_were_all_found():
    assert len(FAMILY_PAGES) >= 15
    assert ("families:detail", "families/<int:pk>/") in FAMILY_PAGES


@pytest.mark.parametrize(("name", "route"), FAMILY_PAGES)
def test_every_page_of_a_family_records_who_read_it(cast, manager_client, name, route):
    address = "/" + route.replace("<int:pk>", str(cast.family.pk)).replace("<str:kind>", "carer")
    response = manager_client.get(address)  # a manager of the family's team may open every page
    if response.status_code == 405:  # a page that only takes a POST shows nothing
        return
    assert response.status_code == 200, address
    entry = reads(additional_data__family_id=cast.family.pk).last()
    assert entry is not None, f"{address} showed the family and logged nothing"
    assert entry.actor == cast.manager
    assert entry.additional_data["read"] in {"view", "print", "export"}
    assert entry.additional_data["page"] == address


def test_search_results_record_each_family_shown_in_one_insert(cast, key_worker_client):
    second = FamilyFactory(team=cast.family.team)
    PersonFactory(family=second, first_name="Joanne", last_name="Okafor")
    elsewhere = FamilyFactory()  # another team's Okafor: never shown, never logged
    PersonFactory(family=elsewhere, first_name="Joanne", last_name="Okafor")
    with CaptureQueriesContext(connection) as queries:
        response = key_worker_client.post(reverse("families:search"), {"q": "Okafor"})
    assert response.status_code == 200
    assert len(inserts_into_the_trail(queries)) == 1
    shown = reads(additional_data__read="search")
    assert {entry.object_id for entry in shown} == {cast.family.pk, second.pk}
    assert {entry.actor for entry in shown} == {cast.key_worker}
    assert all(entry.additional_data["page"] == reverse("families:search") for entry in shown)


def test_a_search_that_finds_nothing_logs_nothing(cast, key_worker_client):
    key_worker_client.post(reverse("families:search"), {"q": "Nobody Here"})
    assert not reads().exists()


def test_the_family_list_records_each_family_listed(cast, key_worker_client):
    other = FamilyFactory(team=cast.family.team)
    with CaptureQueriesContext(connection) as queries:
        key_worker_client.get(reverse("families:list"))
    assert len(inserts_into_the_trail(queries)) == 1
    assert {entry.object_id for entry in reads(additional_data__read="list")} == {cast.family.pk, other.pk}


def test_my_work_records_the_families_it_names_once_each(cast, key_worker_client):
    FollowUpFactory(family=cast.family, owner=cast.key_worker, due_on=timezone.localdate())
    ContactFactory(family=cast.family, worker=cast.key_worker)
    key_worker_client.get(reverse("home"))
    listed = reads(additional_data__read="list")
    assert [(entry.object_id, entry.actor) for entry in listed] == [(cast.family.pk, cast.key_worker)]


def test_the_overdue_queue_records_the_families_on_its_page(cast, manager_client):
    from tests.deadlines.test_queue import referral_flag

    referral_flag(cast.family)
    referral_flag(cast.family)  # two flags of one family: one entry
    with CaptureQueriesContext(connection) as queries:
        assert manager_client.get(reverse("deadlines:queue")).status_code == 200
    assert len(inserts_into_the_trail(queries)) == 1
    assert [entry.object_id for entry in reads(additional_data__read="list")] == [cast.family.pk]


def test_another_teams_family_is_a_404_and_the_attempt_is_recorded(cast, outsider_client):
    response = outsider_client.get(reverse("families:detail", args=[cast.family.pk]))
    assert response.status_code == 404
    refused = reads().get()
    assert refused.additional_data["read"] == "refused"
    assert refused.additional_data["family_id"] == cast.family.pk
    assert refused.actor == cast.outsider
    # The family's own team sees the attempt in its history.
    history = client_for(cast.key_worker).get(reverse("families:history", args=[cast.family.pk]))
    page = unescape(history.content.decode())
    assert f"Not shown: outside their team, to {cast.outsider}" in page


def test_an_id_that_names_nothing_is_the_same_404_and_logs_nothing(cast, outsider_client):
    missing = Family.objects.order_by("-pk").first().pk + 100
    assert outsider_client.get(reverse("families:detail", args=[missing])).status_code == 404
    assert not reads().exists()


def test_a_refused_post_is_recorded_although_the_view_rolled_back(cast, outsider_client):
    response = outsider_client.post(reverse("families:contact_log", args=[cast.family.pk]), {"summary": WORDS})
    assert response.status_code == 404
    assert not Contact.objects.filter(family=cast.family).exists()
    assert reads(additional_data__read="refused", actor=cast.outsider).count() == 1


def test_history_folds_reads_of_one_kind_and_keeps_kinds_apart(cast, key_worker_client):
    key_worker_client.post(reverse("families:search"), {"q": "Okafor"})
    key_worker_client.post(reverse("families:search"), {"q": "Okafor"})
    key_worker_client.get(cast.family.get_absolute_url())
    page = unescape(key_worker_client.get(reverse("families:history", args=[cast.family.pk])).content.decode())
    assert f"Shown in search results 2 times to {cast.key_worker} between" in page
    assert f"Viewed 2 times by {cast.key_worker} between" in page  # the family page, then this page


# --------------------------------------------------------------- 10. no case text in the trail


def test_a_call_and_its_amendment_leave_no_words_in_the_trail(cast, key_worker_client):
    contact = ContactFactory(family=cast.family, worker=cast.key_worker, summary=WORDS)
    contact.summary = WORDS + " again"
    contact.save()
    assert "Astra" not in the_whole_trail()
    change = LogEntry.objects.get_for_object(contact).filter(action=LogEntry.Action.UPDATE).get()
    assert change.changes["summary"] == [audit.TEXT_NOT_KEPT, audit.TEXT_NOT_KEPT]
    assert change.object_repr == f"{Contact._meta.verbose_name.capitalize()} {contact.pk}"


def test_names_are_not_kept_but_which_fields_changed_is(cast, key_worker_client):
    cast.carer.first_name = "Joanna"
    cast.carer.save()
    trail = the_whole_trail()
    assert "Joanna" not in trail and "Okafor" not in trail
    change = LogEntry.objects.get_for_object(cast.carer).get(action=LogEntry.Action.UPDATE)
    assert set(change.changes) == {"first_name"}
    assert change.object_repr == f"Person {cast.carer.pk}"
    page = unescape(key_worker_client.get(reverse("families:history", args=[cast.family.pk])).content.decode())
    assert "First name" in page and audit.TEXT_NOT_KEPT in page


def test_choices_dates_and_links_are_still_told(cast):
    closed_on = timezone.localdate()
    reason = Family._meta.get_field("closure_reason").choices[0][0]
    cast.family.status, cast.family.closed_on, cast.family.closure_reason = Family.Status.CLOSED, closed_on, reason
    cast.family.save()
    change = LogEntry.objects.get_for_object(cast.family).get(action=LogEntry.Action.UPDATE)
    assert change.changes["status"] == [Family.Status.OPEN, Family.Status.CLOSED]
    assert change.changes["closed_on"] == ["None", closed_on.isoformat()]
    assert change.changes["closure_reason"] == ["", reason]


def test_a_many_to_many_change_keeps_how_many_not_who(cast):
    meeting = MeetingFactory(family=cast.family)
    meeting.children.add(cast.child)
    change = LogEntry.objects.get_for_object(meeting).filter(changes__has_key="children").get()
    assert change.changes["children"]["count"] == 1
    assert "Tyler" not in the_whole_trail()


def test_a_deleted_record_leaves_no_words(cast):
    person = PersonFactory(family=cast.family, first_name="Zebedee", last_name="Quartermaine")
    pk = person.pk
    person.delete()
    assert "Zebedee" not in the_whole_trail() and "Quartermaine" not in the_whole_trail()
    deleted = LogEntry.objects.get(action=LogEntry.Action.DELETE, object_pk=str(pk))
    assert deleted.changes["first_name"] == [audit.TEXT_NOT_KEPT, "None"]


def test_entries_written_before_are_cleared_of_their_words_by_the_migration(cast):
    person_type = ContentType.objects.get_for_model(Person)
    # An entry as the trail used to keep them (bulk_create skips the rule that now applies).
    LogEntry.objects.bulk_create([LogEntry(
        content_type=person_type, object_pk=str(cast.carer.pk), object_id=cast.carer.pk,
        object_repr="Joanne Okafor", action=LogEntry.Action.UPDATE,
        changes={"last_name": ["Okafor", "Okafor-Smith"], "kind": ["carer", "carer"]},
        additional_data={"family_id": cast.family.pk},
    )])
    migration = importlib.import_module("core.migrations.0002_audit_without_case_text")
    with audit_rows_may_change():
        migration._withhold(apps, None)
    entry = LogEntry.objects.get(object_pk=str(cast.carer.pk), action=LogEntry.Action.UPDATE)
    assert entry.object_repr == f"Person {cast.carer.pk}"
    assert entry.changes == {"last_name": [audit.TEXT_NOT_KEPT, audit.TEXT_NOT_KEPT], "kind": ["carer", "carer"]}


def audit_rows_may_change():
    import pgtrigger

    return pgtrigger.ignore(audit.APPEND_ONLY_TRIGGER) if connection.vendor == "postgresql" else transaction.atomic()


# --------------------------------------------------------------- 11. rows cannot be changed or removed


@pytest.fixture
def an_entry(cast):
    cast.carer.first_name = "Joanna"
    cast.carer.save()
    return LogEntry.objects.get_for_object(cast.carer).get(action=LogEntry.Action.UPDATE)


def test_the_database_refuses_to_change_an_entry(an_entry):
    require_postgresql("the trigger is PostgreSQL's")
    with pytest.raises(DatabaseError, match="Cannot update or delete"), transaction.atomic():
        LogEntry.objects.filter(pk=an_entry.pk).update(object_repr="nothing happened")
    an_entry.refresh_from_db()
    assert an_entry.object_repr.startswith("Person")


def test_the_database_refuses_to_remove_an_entry(an_entry):
    require_postgresql("the trigger is PostgreSQL's")
    with pytest.raises(DatabaseError, match="Cannot update or delete"), transaction.atomic():
        LogEntry.objects.filter(pk=an_entry.pk).delete()
    assert LogEntry.objects.filter(pk=an_entry.pk).exists()


def test_an_account_in_the_trail_cannot_be_removed_only_switched_off(cast, an_entry):
    require_postgresql("the trigger is PostgreSQL's")
    worker = MembershipFactory(team=cast.family.team).user
    audit.record_reads([cast.family], kind=audit.Read.VIEW, actor=worker)
    with pytest.raises(DatabaseError), transaction.atomic():
        worker.delete()
    assert reads(actor=worker).exists()


def test_removal_takes_only_entries_before_the_cut_off_and_records_that_it_did(cast, an_entry):
    old = audit.record_event(cast.family, actor=cast.key_worker, event="an old event")
    with audit_rows_may_change():
        LogEntry.objects.filter(pk=old.pk).update(timestamp=timezone.now() - timedelta(days=31))
    cut_off = timezone.now() - timedelta(days=30)
    counted = audit.remove_old_entries(before=cut_off, dry_run=True)  # counts, removes nothing
    assert counted.count == 1
    assert LogEntry.objects.filter(pk=old.pk).exists()
    removal = audit.remove_old_entries(before=cut_off, actor=cast.key_worker, dry_run=False)
    assert removal.count == 1
    assert not LogEntry.objects.filter(pk=old.pk).exists()
    assert LogEntry.objects.filter(pk=an_entry.pk).exists()
    record = LogEntry.objects.get(additional_data__event=audit.REMOVAL_EVENT)
    assert record.additional_data["removed"] == 1
    assert record.actor == cast.key_worker
    # A second removal finds nothing, and a removal's own record never leaves.
    with audit_rows_may_change():
        LogEntry.objects.filter(pk=record.pk).update(timestamp=timezone.now() - timedelta(days=400))
    assert audit.remove_old_entries(before=timezone.now(), dry_run=True).count == LogEntry.objects.exclude(
        additional_data__event=audit.REMOVAL_EVENT).count()
    audit.remove_old_entries(before=cut_off, dry_run=False)
    assert LogEntry.objects.filter(pk=record.pk).exists()


def test_a_date_of_birth_is_not_kept_and_nor_is_a_copy_of_a_plan(cast):
    from datetime import date

    cast.child.date_of_birth = date(2011, 2, 28)
    cast.child.save()
    change = LogEntry.objects.get_for_object(cast.child).get(action=LogEntry.Action.UPDATE)
    assert change.changes["date_of_birth"][1] == audit.TEXT_NOT_KEPT
    assert "2011-02-28" not in the_whole_trail()


def test_the_second_clearing_takes_dates_of_birth_and_json_from_entries_written_before(cast):
    from types import SimpleNamespace

    person_type = ContentType.objects.get_for_model(Person)
    LogEntry.objects.bulk_create([LogEntry(
        content_type=person_type, object_pk=str(cast.child.pk), object_id=cast.child.pk,
        object_repr="Person", action=LogEntry.Action.UPDATE,
        changes={"date_of_birth": ["2011-02-28", "2011-03-01"], "kind": ["child", "child"]},
        additional_data={"family_id": cast.family.pk},
    )])
    migration = importlib.import_module("core.migrations.0004_audit_withholds_json_and_dates_of_birth")
    migration._withhold_again(apps, SimpleNamespace(connection=connection))  # the trigger is set aside inside
    entry = LogEntry.objects.get(object_pk=str(cast.child.pk), action=LogEntry.Action.UPDATE)
    assert entry.changes == {"date_of_birth": [audit.TEXT_NOT_KEPT, audit.TEXT_NOT_KEPT], "kind": ["child", "child"]}
