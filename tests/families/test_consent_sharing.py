"""Consent to share names the kind of agency; a withdrawal counts until consent to share with that kind
is given again; sharing without consent is kept with its reason, audited without it, and shown on the
family's page; the data migration gives existing consents the kind their name makes obvious."""

import datetime
import importlib
from html import unescape

import pytest
import time_machine
from auditlog.models import LogEntry
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from core.audit import TEXT_NOT_KEPT
from core.errors import UserFixableError
from families import consent
from families.forms import ConsentForm
from families.models import AgencyKind, Consent, SharingWithoutConsent
from tests.factories import ConsentFactory, FamilyFactory, PersonFactory

NOVEMBER_3 = datetime.date(2026, 11, 3)
MIGRATION = importlib.import_module("families.migrations.0010_consent_agency_kind")


def share(cast, *, kind=AgencyKind.POLICE, agency="West Midlands Police", given_on=datetime.date(2026, 9, 1),
          withdrawn_on=None, family=None, given_by=None):
    return ConsentFactory(
        family=family or cast.family, given_by=given_by or cast.carer, kind=Consent.Kind.SHARE,
        agency_kind=kind, agency=agency, given_on=given_on, withdrawn_on=withdrawn_on,
    )


# ----------------------------------------------------------------------------- the selector


@pytest.mark.django_db
def test_a_withdrawn_consent_counts_in_one_query(cast, django_assert_num_queries):
    withdrawn = share(cast, withdrawn_on=NOVEMBER_3)
    with django_assert_num_queries(1):
        found = consent.sharing_withdrawn(cast.family, AgencyKind.POLICE)
        sentences = [consent.withdrawal_sentence(c) for c in found]
    assert found == [withdrawn]
    assert sentences == ["Joanne withdrew consent to share with the police (West Midlands Police) on 3 November 2026."]


@pytest.mark.django_db
def test_nothing_withdrawn_means_nothing_to_say(cast):
    share(cast)
    assert consent.sharing_withdrawn(cast.family, AgencyKind.POLICE) == []


@pytest.mark.django_db
def test_consent_given_again_since_means_sharing_is_agreed_again(cast):
    share(cast, withdrawn_on=NOVEMBER_3)
    share(cast, agency="British Transport Police", given_on=datetime.date(2026, 11, 20))
    assert consent.sharing_withdrawn(cast.family, AgencyKind.POLICE) == []


@pytest.mark.django_db
def test_consent_given_again_on_the_day_of_the_withdrawal_counts_as_since(cast):
    share(cast, withdrawn_on=NOVEMBER_3)
    share(cast, given_on=NOVEMBER_3)
    assert consent.sharing_withdrawn(cast.family, AgencyKind.POLICE) == []


@pytest.mark.django_db
def test_consent_given_again_and_withdrawn_again_is_the_one_that_counts(cast):
    share(cast, withdrawn_on=NOVEMBER_3)
    again = share(cast, given_on=datetime.date(2026, 11, 10), withdrawn_on=datetime.date(2026, 11, 24))
    assert consent.sharing_withdrawn(cast.family, AgencyKind.POLICE) == [again]


@pytest.mark.django_db
def test_consent_given_before_the_withdrawal_does_not_undo_it(cast):
    # Consent to share with the youth offending team's police officer, given in the summer and still
    # standing, says nothing about the later withdrawal.
    share(cast, agency="Police officer at the youth offending team", given_on=datetime.date(2026, 7, 1))
    withdrawn = share(cast, withdrawn_on=NOVEMBER_3)
    assert consent.sharing_withdrawn(cast.family, AgencyKind.POLICE) == [withdrawn]


@pytest.mark.django_db
def test_other_kinds_and_other_families_are_not_counted(cast):
    share(cast, kind=AgencyKind.CSC, agency="Birmingham children's social care", withdrawn_on=NOVEMBER_3)
    other = FamilyFactory(team=cast.family.team)
    share(cast, family=other, given_by=PersonFactory(family=other), withdrawn_on=NOVEMBER_3)
    ConsentFactory(family=cast.family, given_by=cast.carer, given_on=datetime.date(2026, 9, 1),
                   withdrawn_on=NOVEMBER_3)  # to keep records
    assert consent.sharing_withdrawn(cast.family, AgencyKind.POLICE) == []
    assert len(consent.sharing_withdrawn(cast.family, AgencyKind.CSC)) == 1


@pytest.mark.django_db
def test_the_sentence_does_not_repeat_a_name_that_is_the_kind(cast):
    withdrawn = share(cast, kind=AgencyKind.CSC, agency="Children's social care", withdrawn_on=NOVEMBER_3)
    assert consent.withdrawal_sentence(withdrawn) == (
        "Joanne withdrew consent to share with children's social care on 3 November 2026."
    )


# ----------------------------------------------------------------------------- recording consent


@pytest.mark.django_db
def test_consent_to_share_asks_for_the_kind_of_agency(cast, key_worker_client):
    url = reverse("families:consent_add", args=[cast.family.pk])
    data = {"kind": "share", "agency": "West Midlands Police", "agency_kind": "", "given_by": cast.carer.pk,
            "given_on": timezone.localdate().isoformat()}
    response = key_worker_client.post(url, data)
    assert response.context["form"].errors["agency_kind"] == [
        "Choose the kind of agency the family agreed we may share with."
    ]
    assert "West Midlands Police" in response.content.decode()
    assert not cast.family.consents.exists()
    data["agency_kind"] = "police"
    assert key_worker_client.post(url, data).status_code == 302
    assert cast.family.consents.get().agency_kind == AgencyKind.POLICE


@pytest.mark.django_db
def test_consent_to_keep_records_keeps_no_kind_of_agency(cast):
    form = ConsentForm({"kind": "store", "agency_kind": "police", "given_by": cast.carer.pk,
                        "given_on": timezone.localdate().isoformat()}, family=cast.family)
    assert form.is_valid(), form.errors
    assert form.instance.agency_kind == ""


# ----------------------------------------------------------------------------- sharing without consent


@pytest.mark.django_db
def test_sharing_without_consent_needs_a_reason(cast):
    with pytest.raises(UserFixableError) as refused:
        consent.sharing_without_consent_record(user=cast.key_worker, family=cast.family,
                                               agency_kind=AgencyKind.POLICE, what="the police sheet", reason="  ")
    assert refused.value.field == "reason"
    assert not SharingWithoutConsent.objects.exists()


@pytest.mark.django_db
def test_sharing_without_consent_is_audited_without_its_reason_and_shown_on_the_family_page(cast,
                                                                                            key_worker_client):
    share(cast, withdrawn_on=NOVEMBER_3)
    with time_machine.travel(datetime.datetime(2026, 12, 2, 10, 0, tzinfo=datetime.UTC), tick=False):
        shared = consent.sharing_without_consent_record(
            user=cast.key_worker, family=cast.family, agency_kind=AgencyKind.POLICE,
            what="intelligence sheet for the police", reason="Tyler is at risk of significant harm tonight.",
        )
    entry = LogEntry.objects.get_for_object(shared).get()
    assert entry.action == LogEntry.Action.CREATE
    assert entry.additional_data["family_id"] == cast.family.pk
    assert entry.changes_dict["reason"][1] == TEXT_NOT_KEPT
    assert "significant harm" not in str(entry.changes)

    page = unescape(key_worker_client.get(cast.family.get_absolute_url()).content.decode())
    assert (
        f"Shared without consent: intelligence sheet for the police, with the police, 2 December 2026, "
        f"by {cast.key_worker} – why: Tyler is at risk of significant harm tonight."
    ) in page


@pytest.mark.django_db
def test_the_family_page_says_nothing_of_sharing_without_consent_when_there_was_none(cast, key_worker_client):
    page = key_worker_client.get(cast.family.get_absolute_url()).content.decode()
    assert "Shared without consent" not in page


# ----------------------------------------------------------------------------- the data migration


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("West Midlands Police", "police"),
        ("Police (officer in the case)", "police"),
        ("Birmingham children's social care", "csc"),
        ("CSC duty team", "csc"),
        ("Hall Green School", "school"),
        ("Preschool nursery", "school"),
        ("Sixth form college safeguarding lead", "school"),
        ("Policy unit", "other"),
        ("GP surgery", "other"),
        ("", "other"),
    ],
)
def test_the_kind_the_name_makes_obvious(name, kind):
    assert MIGRATION.agency_kind_from_name(name) == kind


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_fills_the_kind_of_existing_consents():
    executor = MigrationExecutor(connection)
    before = [("families", "0009_challenges")]
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    Team = old_apps.get_model("families", "Team")
    Family = old_apps.get_model("families", "Family")
    Person = old_apps.get_model("families", "Person")
    User = old_apps.get_model("staff", "User")
    OldConsent = old_apps.get_model("families", "Consent")
    family = Family.objects.create(reference="F-100001", team=Team.objects.create(name="North", kind="national"))
    carer = Person.objects.create(family=family, first_name="Joanne", kind="carer")
    worker = User.objects.create(email="worker@example.org", full_name="Sam Worker")
    for kind, agency in [("share", "West Midlands Police"), ("share", "Birmingham CSC"),
                         ("share", "Hall Green School"), ("share", "Youth club"), ("store", "")]:
        OldConsent.objects.create(family=family, kind=kind, agency=agency, given_by=carer,
                                  given_on=datetime.date(2026, 1, 5), recorded_by=worker)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert dict(Consent.objects.values_list("agency", "agency_kind")) == {
        "West Midlands Police": "police", "Birmingham CSC": "csc", "Hall Green School": "school",
        "Youth club": "other", "": "",
    }
