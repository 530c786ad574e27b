"""Audit entries under their own retention rule: which entries a retention run on a given day lets
go, counted in its dry run, and the rule's form keeping them counted from their own date."""

from datetime import date, timedelta
from html import unescape

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from core import audit
from data_protection import services
from data_protection.models import RetentionRule
from data_protection.retention import audit_entries_cut_off, dry_run
from data_protection.rules import earliest_kept, keep_until
from families.models import Role
from tests.conftest import client_for
from tests.core.test_audit_trail import audit_rows_may_change
from tests.data_protection.test_pages import rule_data
from tests.factories import FamilyFactory, MembershipFactory

Kind = RetentionRule.Kind
StartsFrom = RetentionRule.StartsFrom


def rule_of(years=0, months=0, or_years=0, or_months=0, or_starts_from=""):
    return RetentionRule(kind=Kind.AUDIT_ENTRIES, years=years, months=months, starts_from=StartsFrom.OWN_DATE,
                         or_years=or_years, or_months=or_months, or_starts_from=or_starts_from, reason="test")


@pytest.mark.parametrize("rule", [
    rule_of(years=7), rule_of(years=1), rule_of(months=1), rule_of(years=2, months=11),
    rule_of(years=1, or_months=18, or_starts_from=StartsFrom.OWN_DATE),
])
@pytest.mark.parametrize("today", [
    date(2026, 12, 2), date(2027, 3, 1), date(2028, 2, 29), date(2028, 3, 1), date(2027, 2, 28), date(2026, 5, 31),
])
def test_earliest_kept_divides_the_days_exactly_where_keep_until_does(rule, today):
    """Every day before it may go on ``today`` under ``keep_until``; it and every day after are kept."""
    kept_from = earliest_kept(rule, today)
    for offset in range(-40, 41):
        day = kept_from + timedelta(days=offset)
        assert (keep_until(rule, own_date=day) <= today) is (day < kept_from), day


def test_earliest_kept_across_29_february():
    # Entries of 1 March 2026 are a year old on 1 March 2027; 29 February 2028 keeps 1 March 2027's.
    assert earliest_kept(rule_of(years=1), date(2027, 3, 1)) == date(2026, 3, 2)
    assert earliest_kept(rule_of(years=7), date(2026, 12, 2)) == date(2019, 12, 3)


def test_a_rule_counted_from_a_family_date_has_no_earliest_kept_day():
    rule = rule_of(years=6)
    rule.starts_from = StartsFrom.LAST_CONTACT
    with pytest.raises(ValueError):
        earliest_kept(rule, date(2026, 12, 2))


def entry_written(days_ago: int) -> LogEntry:
    entry = audit.record_event(FamilyFactory(), actor=None, event="an event")
    with audit_rows_may_change():
        LogEntry.objects.filter(pk=entry.pk).update(timestamp=timezone.now() - timedelta(days=days_ago))
    return entry


@pytest.mark.django_db
def test_the_dry_run_counts_the_audit_entries_their_rule_lets_go():
    RetentionRule.objects.filter(kind=Kind.AUDIT_ENTRIES).update(years=1, months=0)
    entry_written(days_ago=400)
    entry_written(days_ago=380)
    entry_written(days_ago=300)
    result = dry_run()
    rule = RetentionRule.objects.get(kind=Kind.AUDIT_ENTRIES)
    assert result.audit_entries_kept_from == earliest_kept(rule, timezone.localdate())
    assert result.audit_entries == audit.entries_before(audit_entries_cut_off(result.audit_entries_kept_from)).count()
    assert result.audit_entries == 2
    assert result.audit_entries_rule_in_words == "1 year after the record's own date"


@pytest.mark.django_db
def test_the_nightly_dry_run_is_saved_when_only_audit_entries_are_due():
    assert services.retention_run_nightly() is None  # nothing due: nothing saved
    RetentionRule.objects.filter(kind=Kind.AUDIT_ENTRIES).update(years=1)
    entry_written(days_ago=400)
    run = services.retention_run_nightly()
    assert run is not None
    assert run.families_listed == 0
    assert run.figures["audit_entries"] == 1
    assert run.figures["audit_entries_kept_from"] == earliest_kept(
        RetentionRule.objects.get(kind=Kind.AUDIT_ENTRIES), timezone.localdate()).isoformat()


@pytest.fixture
def admin_client(db):
    return client_for(MembershipFactory(role=Role.ADMINISTRATOR).user)


@pytest.mark.django_db
def test_the_dry_run_and_run_pages_say_what_audit_entries_go(admin_client):
    RetentionRule.objects.filter(kind=Kind.AUDIT_ENTRIES).update(years=1)
    entry_written(days_ago=400)
    kept_from = earliest_kept(RetentionRule.objects.get(kind=Kind.AUDIT_ENTRIES), timezone.localdate())
    in_words = f"{kept_from.day} {kept_from:%B %Y}"
    page = unescape(admin_client.get(reverse("data_protection:retention_dry_run")).content.decode())
    assert f"1 audit entry written before {in_words} would be removed" in page
    run = services.retention_run_nightly()
    page = unescape(admin_client.get(reverse("data_protection:retention_run", args=[run.pk])).content.decode())
    assert f"1 audit entry written before {in_words} counted when the run was worked out" in page


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["starts_from", "or_starts_from"])
def test_the_audit_entries_rule_counts_only_from_their_own_date(admin_client, field):
    rule = RetentionRule.objects.get(kind=Kind.AUDIT_ENTRIES)
    typed = rule_data(rule, **{field: StartsFrom.LAST_CONTACT, "or_years": 8 if field == "or_starts_from" else 0})
    response = admin_client.post(reverse("data_protection:rule_edit", args=[rule.pk]), typed)
    assert response.status_code == 200
    assert "count them from the entry's own date" in unescape(response.content.decode())
    rule.refresh_from_db()
    assert (rule.starts_from, rule.or_starts_from, rule.version) == (StartsFrom.OWN_DATE, "", 1)


@pytest.mark.django_db
def test_an_approved_run_removes_the_entries_it_counted_once_and_says_so():
    from data_protection.anonymise import run_retention

    administrator = MembershipFactory(role=Role.ADMINISTRATOR).user
    RetentionRule.objects.filter(kind=Kind.AUDIT_ENTRIES).update(years=1)
    old, older = entry_written(days_ago=400), entry_written(days_ago=800)
    recent = entry_written(days_ago=30)
    run = services.retention_run_work_out(user=administrator)
    assert run.figures["audit_entries"] == 2
    services.retention_run_approve(user=administrator, run=run, families_typed=0)
    run = run_retention(run.pk)
    assert not LogEntry.objects.filter(pk__in=[old.pk, older.pk]).exists()
    assert LogEntry.objects.filter(pk=recent.pk).exists()
    removal = LogEntry.objects.get(additional_data__event=audit.REMOVAL_EVENT)
    assert (removal.additional_data["removed"], removal.actor) == (2, administrator)
    finished = LogEntry.objects.get(additional_data__event="retention run finished")
    assert finished.additional_data["audit_entries_removed"] == 2
    # A rerun of a finished run removes nothing and records no second removal.
    run_retention(run.pk)
    assert LogEntry.objects.filter(additional_data__event=audit.REMOVAL_EVENT).count() == 1
