"""The chronology pack: its header, its entries, each deadline's source and lateness, the PDF's
text, the audit of every print and download, and who may make one."""

import io
from html import unescape

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from pypdf import PdfReader

from referrals import pack, services
from referrals.models import Escalation, Milestone, Referral
from tests.referrals.conftest import london

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


@pytest.fixture
def late_referral(cast, clock, referral_at):
    """A referral made on Monday 16 November whose decision, due by the end of Tuesday, came on
    Friday: three working days late. A letter went on the Thursday."""
    clock.move_to(london(2026, 11, 16, 10, 0))
    referral = referral_at(london(2026, 11, 16, 10, 0), csc_reference="MASH/2026/0412")
    clock.move_to(london(2026, 11, 30, 9, 0))
    services.escalation_record(user=cast.key_worker, referral=referral, escalation=Escalation(
        kind=Escalation.Kind.LETTER, to_whom="Team manager, MASH", sent_at=london(2026, 11, 19, 15, 0)))
    services.referral_record_milestone(user=cast.key_worker, referral=referral, milestone=Milestone.DECISION,
                                       occurred_at=london(2026, 11, 20, 10, 0),
                                       decision=Referral.Decision.NO_FURTHER_ACTION)
    return referral


def pack_url(cast, name="pack", **params):
    return reverse(f"referrals:{name}", args=[cast.family.pk]), params


def test_the_pdf_holds_the_header_the_entries_and_how_late(cast, late_referral, key_worker_client, settings):
    settings.CHARITY_NAME = "Parents Against Child Exploitation (Pace)"
    url, params = pack_url(cast, "pack_pdf", from_date="2026-11-01", to_date="2026-11-30")
    response = key_worker_client.get(url, params)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert cast.family.reference in response["Content-Disposition"]
    text = pdf_text(response.content)
    assert "Parents Against Child Exploitation (Pace)" in text
    assert f"Chronology for family {cast.family.reference}" in text
    assert "MASH/2026/0412" in text
    assert f"Prepared by {cast.key_worker} on Monday 30 November 2026, 09:00" in text
    assert "Period: 1 November 2026 to 30 November 2026" in text
    assert "Referral made" in text
    assert "Monday 16 November 2026, 10:00" in text
    assert "Escalated: Letter to the team manager" in text
    # The decision's clock: where its one working day comes from, and how late it was.
    assert "Statutory guidance: Working Together to Safeguard Children (2023)" in text
    assert "3 working days late" in text
    assert "page 1 of" in text


def test_the_period_and_kinds_choose_the_entries(cast, late_referral):
    from families.timeline_forms import TimelineFilterForm

    form = TimelineFilterForm({"kinds": ["escalation"], "from_date": "2026-11-17", "to_date": "2026-12-31"})
    chosen = pack.chronology_pack(cast.family, cast.key_worker, form.query())
    assert [entry.title for entry in chosen.entries] == ["Escalated: Letter to the team manager"]
    # The deadlines table goes with escalations: the decision, and the letter's answer (10 working
    # days from Thursday 19 November, by local practice), both due in the period.
    assert [(row.label, row.basis, row.lateness) for row in chosen.deadlines] == [
        ("Decision on the referral", "Statutory guidance", "3 working days late"),
        ("Response to the letter to the team manager", "Local practice", ""),
    ]
    assert chosen.deadlines[1].outcome == "Not due yet"

    form = TimelineFilterForm({"kinds": ["call"]})
    assert pack.chronology_pack(cast.family, cast.key_worker, form.query()).deadlines == []


def test_entries_are_oldest_first(cast, late_referral):
    from families.timeline_forms import TimelineFilterForm

    chosen = pack.chronology_pack(cast.family, cast.key_worker, TimelineFilterForm({"kinds": ["referral"]}).query())
    assert [entry.title for entry in chosen.entries] == ["Referral made", "Decision on the referral"]


def test_a_local_rule_is_named_as_the_source(cast, clock, referral_at, birmingham):
    from families.timeline_forms import TimelineFilterForm
    from tests.factories import ThresholdRuleFactory

    ThresholdRuleFactory(local_authority=birmingham, amount=3, basis="local",
                         source="Birmingham MASH agreement, 2025")
    referral_at(london(2026, 11, 16, 10, 0))
    chosen = pack.chronology_pack(cast.family, cast.key_worker, TimelineFilterForm({}).query())
    (row,) = chosen.deadlines
    assert (row.basis, row.source, row.allowance) == ("Local practice", "Birmingham MASH agreement, 2025",
                                                      "3 working days")
    assert row.outcome == "Not done yet"
    # Due by the end of Thursday 19 November: seven working days on, to Monday 30 November.
    assert row.lateness == "7 working days overdue"


def test_every_print_and_download_is_audited(cast, late_referral, key_worker_client):
    url, _ = pack_url(cast)
    pdf_url, _ = pack_url(cast, "pack_pdf")
    # Choosing is not printing: the bare form records nothing.
    key_worker_client.get(url)
    key_worker_client.get(url, {"from_date": "2026-11-01"})
    key_worker_client.get(pdf_url, {"from_date": "2026-11-01"})
    exports = LogEntry.objects.filter(additional_data__what__startswith="chronology pack").order_by("pk")
    assert [(e.actor, e.object_id, e.additional_data["what"]) for e in exports] == [
        (cast.key_worker, cast.family.pk, "chronology pack (print)"),
        (cast.key_worker, cast.family.pk, "chronology pack (PDF)"),
    ]


def test_the_print_page_has_the_header_and_the_lateness(cast, late_referral, key_worker_client):
    url, _ = pack_url(cast)
    html = unescape(key_worker_client.get(url, {"from_date": "2026-11-01"}).content.decode())
    assert f"Chronology for family {cast.family.reference}</h1>" in html
    assert "MASH/2026/0412" in html
    assert "3 working days late" in html
    assert "css/chronology.css" in html


def test_a_period_the_wrong_way_round_makes_no_pack(cast, late_referral, key_worker_client):
    url, _ = pack_url(cast)
    pdf_url, _ = pack_url(cast, "pack_pdf")
    params = {"from_date": "2026-11-30", "to_date": "2026-11-01"}
    assert "must be on or before" in key_worker_client.get(url, params).content.decode()
    assert key_worker_client.get(pdf_url, params).status_code == 400
    assert not LogEntry.objects.filter(additional_data__what__startswith="chronology pack").exists()


def test_outsiders_get_404(cast, late_referral, outsider_client):
    for name in ("pack", "pack_pdf"):
        url, _ = pack_url(cast, name)
        assert outsider_client.get(url, {"from_date": "2026-11-01"}).status_code == 404
    assert not LogEntry.objects.filter(additional_data__what__startswith="chronology pack").exists()


def test_intelligence_stays_out_of_a_caseworkers_pack(cast, late_referral, key_worker_client, manager_client):
    import datetime

    from safety_plans.models import IntelligenceEntry

    IntelligenceEntry.objects.create(family=cast.family, kind="vehicle", observed_at=london(2026, 11, 18, 20),
                                     description="Grey car", source="Mum",
                                     passed_to_police_on=datetime.date(2026, 11, 19), recorded_by=cast.manager)
    pdf_url, _ = pack_url(cast, "pack_pdf")
    assert "Intelligence passed to the police" not in pdf_text(key_worker_client.get(pdf_url).content)
    assert "Intelligence passed to the police" in pdf_text(manager_client.get(pdf_url).content)


def test_the_referrals_chronology_has_the_csc_reference_and_the_header(cast, late_referral, key_worker_client,
                                                                       settings):
    settings.CHARITY_NAME = "A charity for parents"
    url = reverse("referrals:chronology", args=[cast.family.pk, late_referral.pk])
    html = unescape(key_worker_client.get(url).content.decode())
    assert "Chronology of the referral to Birmingham children's social care</h1>" in html
    assert "A charity for parents" in html
    assert "MASH/2026/0412" in html
    assert f"Prepared by {cast.key_worker} on Monday 30 November 2026, 09:00" in html
