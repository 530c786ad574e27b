"""The sheet for the police when the parent withdrew consent to share with the police: the page says
so, the sheet needs a reason, and the reason is kept with the family's consents (the print itself is
audited as ever)."""

import datetime
from html import unescape

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from families.models import AgencyKind, Consent, Role, SharingWithoutConsent
from safety_plans.intelligence_views import POLICE_SHEET_EXPORT
from tests.conftest import client_for
from tests.factories import ConsentFactory, MembershipFactory
from tests.safety_plans.test_intelligence import entry_in

pytestmark = pytest.mark.django_db

WITHDRAWN = "Joanne withdrew consent to share with the police (West Midlands Police) on 3 November 2026."
REASON = "Tyler told us he is being taken to a flat in Walsall tonight: he is at risk of significant harm."


@pytest.fixture
def plo(cast):
    return MembershipFactory(team=cast.family.team, role=Role.PLO, user__full_name="Sam Patel").user


@pytest.fixture
def plo_client(plo):
    return client_for(plo)


@pytest.fixture
def entry(cast, plo):
    return entry_in(cast.family, plo, description="Grey van, man with a neck tattoo")


def police_consent(cast, **fields):
    fields = {"given_on": datetime.date(2026, 9, 1), "withdrawn_on": datetime.date(2026, 11, 3),
              "agency_kind": AgencyKind.POLICE, "agency": "West Midlands Police", **fields}
    return ConsentFactory(family=cast.family, given_by=cast.carer, kind=Consent.Kind.SHARE, **fields)


def sheet_url(cast):
    return reverse("safety_plans:intelligence_print", args=[cast.family.pk])


def printed():
    return LogEntry.objects.filter(additional_data__what=POLICE_SHEET_EXPORT)


def test_no_warning_and_no_reason_while_consent_stands(cast, entry, plo_client):
    police_consent(cast, withdrawn_on=None)
    page = plo_client.get(sheet_url(cast)).content.decode()
    assert "withdrew consent" not in page
    assert 'name="reason"' not in page
    response = plo_client.post(sheet_url(cast), {"entries": [entry.pk]})
    assert "Grey van, man with a neck tattoo" in response.content.decode()
    assert printed().count() == 1
    assert not SharingWithoutConsent.objects.exists()


def test_the_page_says_consent_was_withdrawn_and_asks_why(cast, entry, plo_client):
    police_consent(cast)
    page = unescape(plo_client.get(sheet_url(cast)).content.decode())
    assert WITHDRAWN in page
    assert page.index(WITHDRAWN) < page.index("Entries to include")
    assert "Why it is right to share without consent" in page and 'name="reason"' in page


def test_consent_given_again_means_no_warning(cast, entry, plo_client):
    police_consent(cast)
    police_consent(cast, given_on=datetime.date(2026, 11, 20), withdrawn_on=None)
    page = unescape(plo_client.get(sheet_url(cast)).content.decode())
    assert "withdrew consent" not in page and 'name="reason"' not in page


def test_withdrawn_consent_to_share_with_another_kind_of_agency_is_not_the_police(cast, entry, plo_client):
    police_consent(cast, agency_kind=AgencyKind.CSC, agency="Birmingham children's social care")
    page = unescape(plo_client.get(sheet_url(cast)).content.decode())
    assert "withdrew consent" not in page and 'name="reason"' not in page


def test_without_a_reason_no_sheet_is_made_and_what_was_typed_stays(cast, entry, plo_client):
    police_consent(cast)
    response = plo_client.post(sheet_url(cast), {"entries": [entry.pk], "reason": "   "})
    assert response.context["form"].errors["reason"] == [
        "Say why it is right to share without consent, or go back and do not share."
    ]
    page = response.content.decode()
    assert page.startswith("<!doctype html>") and "<title>Error:" in page
    assert f'value="{entry.pk}"' in page and "checked" in page
    assert not printed().exists() and not SharingWithoutConsent.objects.exists()

    # A reason typed but no entry chosen: the reason is on the page again, nothing is shared.
    response = plo_client.post(sheet_url(cast), {"reason": REASON})
    assert "entries" in response.context["form"].errors
    assert REASON in unescape(response.content.decode())
    assert not printed().exists() and not SharingWithoutConsent.objects.exists()


def test_with_a_reason_the_sheet_is_made_and_the_reason_kept_and_shown(cast, entry, plo, plo_client):
    police_consent(cast)
    response = plo_client.post(sheet_url(cast), {"entries": [entry.pk], "reason": REASON})
    assert "Grey van, man with a neck tattoo" in response.content.decode()
    # Not on the sheet itself: the police get the entries, not the family's consents.
    assert REASON not in unescape(response.content.decode())
    shared = SharingWithoutConsent.objects.get()
    assert (shared.family, shared.agency_kind, shared.what, shared.reason, shared.shared_by) == (
        cast.family, AgencyKind.POLICE, POLICE_SHEET_EXPORT, REASON, plo
    )
    assert printed().count() == 1
    assert LogEntry.objects.get_for_object(shared).get().additional_data["family_id"] == cast.family.pk

    family_page = unescape(plo_client.get(cast.family.get_absolute_url()).content.decode())
    assert f"Shared without consent: {POLICE_SHEET_EXPORT}, with the police" in family_page
    assert f"by {plo} – why: {REASON}" in family_page


def test_an_outsider_is_refused_and_nothing_is_kept(cast, entry):
    police_consent(cast)
    outsider = MembershipFactory(role=Role.PLO).user
    response = client_for(outsider).post(sheet_url(cast), {"entries": [entry.pk], "reason": REASON})
    assert response.status_code == 404
    assert not SharingWithoutConsent.objects.exists() and not printed().exists()


# The page as before (13) and 1 query more, asking whether consent to share with the police was
# withdrawn. The 13: reading and renewing the session (1 and 3, its update in a savepoint), the user
# (1), the second factor's device (1), the navigation bar (1), the family (1), whether this person may
# see intelligence (1), the entries (1), the children (2: asked whether there are any, then listed),
# and recording the view (1).
POLICE_SHEET_PAGE_QUERIES = 14


def test_the_page_costs_one_query_more_for_consent(cast, entry, plo_client, django_assert_num_queries):
    with django_assert_num_queries(POLICE_SHEET_PAGE_QUERIES):
        plo_client.get(sheet_url(cast))
