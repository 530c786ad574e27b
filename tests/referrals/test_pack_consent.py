"""The chronology pack for an agency the parent withdrew consent to share with: the page says so, the
pack is not shown nor the PDF downloaded without a reason, and the reason is kept with the family's
consents. A pack for nobody in particular, or for an agency consent still stands for, is as before."""

import datetime
from html import unescape

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from families.models import AgencyKind, Consent, SharingWithoutConsent
from referrals.forms import PackFilterForm
from referrals.views import PACK_PDF, PACK_PRINT
from tests.conftest import client_for
from tests.factories import ConsentFactory

pytestmark = pytest.mark.django_db

WITHDRAWN = "Joanne withdrew consent to share with the police (West Midlands Police) on 3 November 2026."
REASON = "A strategy meeting tomorrow: Tyler is at risk of significant harm and the police need the history."
FOR_THE_POLICE = {"from_date": "2026-01-01", "who_for": "police"}


@pytest.fixture
def withdrawn(cast):
    return ConsentFactory(family=cast.family, given_by=cast.carer, kind=Consent.Kind.SHARE,
                          agency_kind=AgencyKind.POLICE, agency="West Midlands Police",
                          given_on=datetime.date(2026, 9, 1), withdrawn_on=datetime.date(2026, 11, 3))


def url(cast, name="pack", **params):
    base = reverse(f"referrals:{name}", args=[cast.family.pk])
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"{base}?{query}" if query else base


def packs():
    return LogEntry.objects.filter(additional_data__what__startswith="chronology pack")


def test_only_the_pack_form_asks_who_it_is_for():
    from families.timeline_forms import TimelineFilterForm

    assert "who_for" in PackFilterForm().fields
    assert "who_for" not in TimelineFilterForm().fields
    assert PackFilterForm({"who_for": "nobody"}).errors["who_for"]


def test_for_nobody_in_particular_the_pack_is_as_before(cast, withdrawn, key_worker_client):
    page = unescape(key_worker_client.get(url(cast, from_date="2026-01-01")).content.decode())
    assert f"Chronology for family {cast.family.reference}" in page
    assert "withdrew consent" not in page and 'name="reason"' not in page
    assert packs().count() == 1


def test_for_an_agency_consent_still_stands_for_the_pack_is_as_before(cast, withdrawn, key_worker_client):
    page = unescape(key_worker_client.get(url(cast, from_date="2026-01-01", who_for="csc")).content.decode())
    assert f"Chronology for family {cast.family.reference}" in page
    assert "withdrew consent" not in page
    assert not SharingWithoutConsent.objects.exists()


def test_for_the_police_the_page_says_consent_was_withdrawn_and_holds_the_pack_back(cast, withdrawn,
                                                                                    key_worker_client):
    page = unescape(key_worker_client.get(url(cast, **FOR_THE_POLICE)).content.decode())
    assert WITHDRAWN in page
    assert "Why it is right to share without consent" in page
    assert f"Chronology for family {cast.family.reference}" not in page
    assert not packs().exists()
    # The PDF asked for by its address is held back the same way.
    response = key_worker_client.get(url(cast, "pack_pdf", **FOR_THE_POLICE))
    assert response["Content-Type"].startswith("text/html")
    assert WITHDRAWN in unescape(response.content.decode())
    assert not packs().exists()


def test_without_a_reason_nothing_is_shared(cast, withdrawn, key_worker_client):
    response = key_worker_client.post(url(cast, **FOR_THE_POLICE), {"reason": ""})
    assert response.context["reason_form"].errors["reason"] == [
        "Say why it is right to share without consent, or go back and do not share."
    ]
    page = response.content.decode()
    assert "<title>Error:" in page
    # The pack's choices are still chosen.
    assert 'value="police" selected' in page and 'value="2026"' in page
    assert not packs().exists() and not SharingWithoutConsent.objects.exists()


def test_a_reason_too_long_is_refused_and_kept_as_typed(cast, withdrawn, key_worker_client):
    typed = "Risk of significant harm. " * 80
    response = key_worker_client.post(url(cast, **FOR_THE_POLICE), {"reason": typed})
    assert "reason" in response.context["reason_form"].errors
    assert typed.strip() in unescape(response.content.decode())
    assert not SharingWithoutConsent.objects.exists()


def test_with_a_reason_the_pack_is_shown_and_the_reason_kept(cast, withdrawn, key_worker_client):
    response = key_worker_client.post(url(cast, **FOR_THE_POLICE), {"reason": REASON})
    page = unescape(response.content.decode())
    assert f"Chronology for family {cast.family.reference}" in page
    assert WITHDRAWN in page
    shared = SharingWithoutConsent.objects.get()
    assert (shared.agency_kind, shared.what, shared.reason, shared.shared_by) == (
        AgencyKind.POLICE, PACK_PRINT, REASON, cast.key_worker
    )
    assert [entry.additional_data["what"] for entry in packs()] == [PACK_PRINT]
    assert LogEntry.objects.get_for_object(shared).exists()
    family_page = unescape(key_worker_client.get(cast.family.get_absolute_url()).content.decode())
    assert f"Shared without consent: {PACK_PRINT}, with the police" in family_page


def test_the_pdf_with_a_reason_is_downloaded_and_recorded(cast, withdrawn, key_worker_client):
    response = key_worker_client.post(url(cast, "pack_pdf", **FOR_THE_POLICE), {"reason": REASON})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    shared = SharingWithoutConsent.objects.get()
    assert (shared.what, shared.reason) == (PACK_PDF, REASON)
    assert [entry.additional_data["what"] for entry in packs()] == [PACK_PDF]


def test_the_pdf_without_a_reason_is_not_downloaded(cast, withdrawn, key_worker_client):
    response = key_worker_client.post(url(cast, "pack_pdf", **FOR_THE_POLICE), {"reason": " "})
    assert response["Content-Type"].startswith("text/html")
    assert "reason" in response.context["reason_form"].errors
    assert not packs().exists() and not SharingWithoutConsent.objects.exists()


def test_an_outsider_is_refused_and_nothing_is_kept(cast, withdrawn):
    client = client_for(cast.outsider)
    assert client.get(url(cast, **FOR_THE_POLICE)).status_code == 404
    assert client.post(url(cast, **FOR_THE_POLICE), {"reason": REASON}).status_code == 404
    assert client.post(url(cast, "pack_pdf", **FOR_THE_POLICE), {"reason": REASON}).status_code == 404
    assert not SharingWithoutConsent.objects.exists() and not packs().exists()
