"""The family's copy: what it holds (never the team's notes), the PDF's text, and the audit of
every print and download."""

import datetime
import io
from pathlib import Path

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from pypdf import PdfReader

from safety_plans import family_copy, services
from safety_plans.models import Commitment, SafetyPlan, Worry

pytestmark = pytest.mark.django_db


def url(cast, name):
    return reverse(f"safety_plans:{name}", args=[cast.family.pk, cast.child.pk])


@pytest.fixture
def plan(cast):
    cast.child.first_name = "Zoë"
    cast.child.save()
    plan = SafetyPlan(child=cast.child, family=cast.family, warning_signs="She’s out late with older friends",
                      internal_notes="Team only: father not to be told where Zoë is staying",
                      review_on=datetime.date(2026, 9, 1))
    services.safety_plan_save(user=cast.key_worker, plan=plan, expected_version=0)
    services.plan_row_save(user=cast.key_worker, plan=plan, expected_version=1,
                           row=Worry(who_is_worried="Mum", worry="Zoë being picked up by cars after school"))
    services.plan_row_save(user=cast.key_worker, plan=plan, expected_version=2,
                           row=Commitment(who="School", commitment="Ring Mum if Zoë is not in by 9.15"))
    return plan


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def test_the_pdf_has_the_plan_and_not_the_teams_notes(cast, plan, key_worker_client):
    response = key_worker_client.get(url(cast, "plan_family_copy_pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "Zo" not in response["Content-Disposition"]  # the file name names no child
    text = pdf_text(response.content)
    assert "Zoë's safety plan" in text
    assert "Zoë being picked up by cars after school" in text
    assert "Ring Mum if Zoë is not in by 9.15" in text
    assert "She’s out late with older friends" in text
    assert "Team only" not in text
    assert "father not to be told" not in text


def test_without_a_unicode_font_the_pdf_writes_plain_letters(cast, plan, monkeypatch):
    monkeypatch.setattr(family_copy, "UNICODE_FONTS", [])
    copy = family_copy.family_copy(SafetyPlan.objects.get(pk=plan.pk))
    text = pdf_text(family_copy.render_pdf(copy))
    assert "Zoë being picked up" in text  # ë is in Latin-1
    assert "She's out late" in text


def test_latin1_fallback():
    assert family_copy.latin1("Zoë’s “plan” – Łukasz, Dvořák") == "Zoë's \"plan\" - Lukasz, Dvorák"


def test_the_print_page_has_no_navigation_and_no_notes(cast, plan, key_worker_client):
    response = key_worker_client.get(url(cast, "plan_family_copy"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Zoë being picked up by cars after school" in page
    assert "Team only" not in page
    assert "<nav" not in page
    assert "@media print" in Path("static/css/safety_plan.css").read_text()


def test_every_print_and_download_is_audited(cast, plan, key_worker_client):
    key_worker_client.get(url(cast, "plan_family_copy"))
    key_worker_client.get(url(cast, "plan_family_copy_pdf"))
    exports = LogEntry.objects.filter(actor=cast.key_worker, additional_data__what__isnull=False)
    assert sorted(entry.additional_data["what"] for entry in exports) == [
        "safety plan family copy (PDF)", "safety plan family copy (print)"]
    assert all(entry.additional_data["family_id"] == cast.family.pk for entry in exports)


def test_no_copy_without_a_plan(cast, key_worker_client):
    assert key_worker_client.get(url(cast, "plan_family_copy_pdf")).status_code == 404
    assert not LogEntry.objects.filter(additional_data__what__isnull=False).exists()
