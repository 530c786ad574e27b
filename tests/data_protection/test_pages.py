"""The administrators' data protection pages: how long records are kept, and legal holds."""

from datetime import timedelta
from html import unescape

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.audit import Read
from data_protection import services
from data_protection.models import LegalHold, RetentionRule
from families.models import Role
from tests.conftest import client_for
from tests.factories import FamilyFactory, MembershipFactory, UserFactory

Kind = RetentionRule.Kind
StartsFrom = RetentionRule.StartsFrom


@pytest.fixture
def administrator(db):
    return MembershipFactory(role=Role.ADMINISTRATOR).user


@pytest.fixture
def admin_client(administrator):
    return client_for(administrator)


def in_a_month():
    return timezone.localdate() + timedelta(days=30)


def hold_on(family, user, **overrides):
    values = {"reason": LegalHold.Reason.POLICE_INVESTIGATION, "details": "Operation Larch", "review_on": in_a_month()}
    return services.hold_place(user=user, family=family, **{**values, **overrides})


def date_parts(name, day):
    return {f"{name}_day": day.day, f"{name}_month": day.month, f"{name}_year": day.year}


def rule_data(rule, **changes):
    data = {"years": rule.years, "months": rule.months, "starts_from": rule.starts_from, "or_years": rule.or_years,
            "or_months": rule.or_months, "or_starts_from": rule.or_starts_from, "reason": rule.reason,
            "version": rule.version}
    return {**data, **changes}


def page_urls(rule, hold):
    return [
        reverse("data_protection:rules"),
        reverse("data_protection:rule_edit", args=[rule.pk]),
        reverse("data_protection:holds"),
        reverse("data_protection:hold_place"),
        reverse("data_protection:hold_lift", args=[hold.pk]),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post", "put", "delete"])
def test_everyone_but_administrators_gets_404_and_nothing_is_written(cast, administrator, method):
    rule = RetentionRule.objects.get(kind=Kind.CALLS)
    hold = hold_on(cast.family, administrator)
    before = LogEntry.objects.count()
    data = {**rule_data(rule, years=1), "family_reference": cast.family.reference, "reason": "other",
            "details": "x", **date_parts("review_on", in_a_month())}
    for user in (cast.key_worker, cast.teammate, cast.manager, cast.outsider):
        client = client_for(user)
        for url in page_urls(rule, hold):
            response = getattr(client, method)(url, data) if method == "post" else getattr(client, method)(url)
            assert response.status_code == 404, (user, url)
    assert RetentionRule.objects.get(pk=rule.pk).years == rule.years
    assert list(LegalHold.objects.values_list("pk", "lifted_at")) == [(hold.pk, None)]
    assert LogEntry.objects.count() == before


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(administrator):
    hold = hold_on(FamilyFactory(), administrator)
    for url in page_urls(RetentionRule.objects.first(), hold):
        response = client_for(None).get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_navigation_links_to_data_protection_for_administrators_only(cast, admin_client):
    assert reverse("data_protection:rules") in admin_client.get(reverse("home")).content.decode()
    assert reverse("data_protection:rules") not in client_for(cast.manager).get(reverse("home")).content.decode()


@pytest.mark.django_db
def test_the_rules_read_as_sentences_with_their_reasons(admin_client):
    page = unescape(admin_client.get(reverse("data_protection:rules")).content.decode())
    assert ("6 years after the family's last contact, or until the youngest child's 25th birthday, "
            "whichever is later") in page
    assert "Limitation Act 1980" in page
    assert "Not changed since the system was set up" in page


@pytest.mark.django_db
def test_an_administrator_changes_a_rule_and_it_is_audited(admin_client, administrator):
    rule = RetentionRule.objects.get(kind=Kind.AUDIT_ENTRIES)
    response = admin_client.post(reverse("data_protection:rule_edit", args=[rule.pk]), rule_data(
        rule, years=8, months=6, reason="The insurer asked for eight and a half years in its 2027 renewal."))
    assert response["Location"] == reverse("data_protection:rules")
    rule.refresh_from_db()
    assert (rule.years, rule.months, rule.changed_by, rule.version) == (8, 6, administrator, 2)
    entry = LogEntry.objects.get_for_object(rule).get()
    assert entry.actor == administrator
    assert entry.changes_dict["years"] == ["7", "8"]
    page = unescape(admin_client.get(reverse("data_protection:rules")).content.decode())
    assert "8 years and 6 months after the record's own date" in page
    assert administrator.full_name in page


@pytest.mark.django_db
def test_an_edit_conflict_is_shown_and_what_was_typed_kept(admin_client, administrator):
    rule = RetentionRule.objects.get(kind=Kind.CALLS)
    opened = rule_data(rule)
    services.rule_update(user=administrator, rule=RetentionRule.objects.get(pk=rule.pk),
                         expected_version=rule.version)
    response = admin_client.post(reverse("data_protection:rule_edit", args=[rule.pk]),
                                 {**opened, "years": 9, "reason": "Changed in the meantime by me."})
    assert response.status_code == 200
    page = unescape(response.content.decode())
    assert "Someone else saved a change to this record while you were editing it" in page
    assert "Changed in the meantime by me." in page
    assert RetentionRule.objects.get(pk=rule.pk).years == 6


@pytest.mark.django_db
def test_plain_messages_next_to_the_fields(admin_client):
    rule = RetentionRule.objects.get(kind=Kind.PERSON)
    response = admin_client.post(reverse("data_protection:rule_edit", args=[rule.pk]), rule_data(
        rule, years="six", months=14, or_years=2, or_starts_from="", reason=""))
    errors = response.context["form"].errors
    assert errors["years"] == ["Enter the years as a whole number, for example 25."]
    assert errors["months"] == ["The months must be 11 or less."]
    assert errors["or_starts_from"] == [
        "Choose where the second period starts from, or set its years and months to 0."
    ]
    assert errors["reason"] == ["Enter why records are kept this long."]
    assert 'value="six"' in response.content.decode()
    assert RetentionRule.objects.get(pk=rule.pk).version == 1


@pytest.mark.django_db
def test_a_hold_is_placed_on_a_family_by_its_reference(admin_client, administrator):
    family = FamilyFactory(reference="F-000123")
    response = admin_client.post(reverse("data_protection:hold_place"), {
        "family_reference": "f123", "reason": LegalHold.Reason.PROSECUTION, "details": "CPS case 44AB1234526",
        **date_parts("review_on", in_a_month())})
    assert response["Location"] == reverse("data_protection:holds")
    hold = LegalHold.objects.in_force().get()
    assert (hold.family, hold.placed_by, hold.review_on) == (family, administrator, in_a_month())


@pytest.mark.django_db
def test_a_hold_on_no_such_family_or_with_a_past_review_is_refused(admin_client):
    response = admin_client.post(reverse("data_protection:hold_place"), {
        "family_reference": "F-999999", "reason": LegalHold.Reason.COMPLAINT, "details": "Complaint of 3 May",
        **date_parts("review_on", timezone.localdate() - timedelta(days=1))})
    errors = response.context["form"].errors
    assert errors["family_reference"] == [
        "There is no family with the reference F-999999. Check it on the family's page, for example F-000123."
    ]
    assert errors["review_on"] == ["The review date must be in the future."]
    assert 'value="F-999999"' in response.content.decode()
    assert not LegalHold.objects.exists()


@pytest.mark.django_db
def test_a_second_hold_on_a_family_is_refused_next_to_the_reference(admin_client, administrator):
    family = FamilyFactory()
    hold_on(family, administrator)
    response = admin_client.post(reverse("data_protection:hold_place"), {
        "family_reference": family.reference, "reason": LegalHold.Reason.COMPLAINT, "details": "A complaint",
        **date_parts("review_on", in_a_month())})
    assert "already has a legal hold in force" in response.context["form"].errors["family_reference"][0]
    assert LegalHold.objects.count() == 1


@pytest.mark.django_db
def test_holds_due_for_review_come_first_and_say_so(admin_client, administrator):
    later = hold_on(FamilyFactory(), administrator, review_on=in_a_month())
    due = hold_on(FamilyFactory(), administrator, review_on=timezone.localdate() + timedelta(days=1))
    LegalHold.objects.filter(pk=due.pk).update(review_on=timezone.localdate() - timedelta(days=3))
    lifted = hold_on(FamilyFactory(), administrator)
    services.hold_lift(user=administrator, hold=lifted, reason="Investigation closed with no charge.")
    response = admin_client.get(reverse("data_protection:holds"))
    assert [hold.pk for hold in response.context["in_force"]] == [due.pk, later.pk]
    assert [hold.pk for hold in response.context["lifted"]] == [lifted.pk]
    page = response.content.decode()
    assert page.count("Review due") == 1
    assert page.index(due.family.reference) < page.index(later.family.reference) < page.index(lifted.family.reference)
    assert "Investigation closed with no charge." in page


@pytest.mark.django_db
def test_lifting_a_hold_from_its_page(admin_client, administrator):
    hold = hold_on(FamilyFactory(), administrator)
    url = reverse("data_protection:hold_lift", args=[hold.pk])
    response = admin_client.post(url, {"reason": ""})
    assert response.context["form"].errors["reason"] == ["Enter why the hold can be lifted."]
    response = admin_client.post(url, {"reason": "The police closed the investigation."})
    assert response["Location"] == reverse("data_protection:holds")
    hold.refresh_from_db()
    assert (hold.lifted_by, hold.lift_reason) == (administrator, "The police closed the investigation.")
    assert admin_client.get(url).status_code == 404


@pytest.mark.django_db
def test_reads_of_holds_are_in_the_familys_history(admin_client, administrator):
    family = FamilyFactory()
    hold = hold_on(family, administrator)
    admin_client.get(reverse("data_protection:holds"))
    admin_client.get(reverse("data_protection:hold_lift", args=[hold.pk]))
    reads = LogEntry.objects.filter(action=LogEntry.Action.ACCESS, additional_data__family_id=family.pk)
    assert sorted(entry.additional_data["read"] for entry in reads) == sorted([Read.LIST, Read.VIEW])
    assert all(entry.actor == administrator for entry in reads)


@pytest.mark.django_db
def test_the_rules_page_in_constant_queries(admin_client, django_assert_num_queries):
    for rule in RetentionRule.objects.all():
        services.rule_update(user=MembershipFactory(role=Role.ADMINISTRATOR).user, rule=rule,
                             expected_version=rule.version)
    RetentionRule.objects.exclude(kind__in=[Kind.CLOSED_FAMILY, Kind.CALLS]).delete()
    with CaptureQueriesContext(connection) as two:
        admin_client.get(reverse("data_protection:rules"))
    RetentionRule.objects.all().delete()
    users = UserFactory.create_batch(20)
    RetentionRule.objects.bulk_create([
        RetentionRule(kind=f"kind_{number}", years=1, starts_from=StartsFrom.OWN_DATE, reason="Test", changed_by=user)
        for number, user in enumerate(users)
    ])
    with django_assert_num_queries(len(two)):
        response = admin_client.get(reverse("data_protection:rules"))
    assert len(response.context["rules"]) == 20


@pytest.mark.django_db
def test_the_holds_page_in_constant_queries(admin_client, django_assert_num_queries):
    def holds(count):
        for _ in range(count):
            placer = MembershipFactory(role=Role.ADMINISTRATOR).user
            hold = hold_on(FamilyFactory(), placer)
            if _ % 2:
                services.hold_lift(user=placer, hold=hold, reason="Done.")

    holds(2)
    with CaptureQueriesContext(connection) as two:
        admin_client.get(reverse("data_protection:holds"))
    holds(18)
    with django_assert_num_queries(len(two)):
        response = admin_client.get(reverse("data_protection:holds"))
    assert len(response.context["in_force"]) + len(response.context["lifted"]) == 20
