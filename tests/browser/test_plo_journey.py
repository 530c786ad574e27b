"""Journey 4 in Chromium: a parent liaison officer sits with a parent, starts and updates the
child's safety plan (a person of concern and a network commitment added in place), sees the new
version and compares it with the one before, records that the child went missing and came back,
and downloads the family's copy. axe finds no serious or critical problem on any page."""

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from deadlines.models import Deadline
from families.models import Role
from safety_plans.models import MissingEpisode, PlanVersion, SafetyPlan
from tests.browser.dates import fill_date
from tests.browser.test_journeys import blocking_violations, describe, screenshot
from tests.factories import MembershipFactory

pytestmark = pytest.mark.browser


def test_plo_updates_the_plan_records_a_missing_episode_and_prints_the_familys_copy(page, sign_in, cast):
    plo = MembershipFactory(team=cast.family.team, role=Role.PLO).user
    problems = {}
    sign_in(plo)

    # From the family page to the child's plan.
    page.goto(cast.family.get_absolute_url())
    page.get_by_role("link", name=f"Start a safety plan for {cast.child.first_name}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Start a safety plan")
    page.get_by_label("What is working well").fill("Tyler talks to his mum most evenings.")
    page.get_by_role("button", name="Start the safety plan").click()
    expect(page.get_by_role("heading", name="Tyler's safety plan", level=1)).to_be_visible()
    problems["plan"] = blocking_violations(page)

    # A person of concern and a commitment, each added in place.
    people = page.locator("#people-list")
    people.get_by_text("Add a person of concern").first.click()
    people.get_by_label("Name or description").fill("Man in a silver Audi")
    people.get_by_label("Vehicles").fill("BD51 SMR")
    people.get_by_role("button", name="Add a person of concern").click()
    expect(people.get_by_text("Man in a silver Audi", exact=True)).to_be_visible()

    network = page.locator("#commitments-list")
    network.get_by_text("Add a commitment").first.click()
    network.get_by_label("Person or agency").fill("School")
    network.get_by_label("What they commit to").fill("Ring Mum the same day if Tyler misses a lesson.")
    due_on = timezone.localdate() + timedelta(days=7)
    fill_date(network, "By when", due_on)
    network.get_by_role("button", name="Add a commitment").click()
    expect(network.get_by_role("status")).to_have_text(
        "Added a commitment: Ring Mum the same day if Tyler misses a lesson. Saved as version 3."
    )
    expect(network.get_by_role("listitem").first).to_contain_text("School: Ring Mum the same day")
    expect(page.locator("#plan-version-note")).to_contain_text("Version 3")
    problems["plan with lists"] = blocking_violations(page)
    screenshot(page, "plo-plan")

    plan = SafetyPlan.objects.get(child=cast.child)
    assert list(plan.versions.order_by("number").values_list("what_changed", flat=True))[1:] == [
        "Added a person of concern: Man in a silver Audi",
        "Added a commitment: Ring Mum the same day if Tyler misses a lesson.",
    ]
    commitment_clock = Deadline.objects.get(kind="plan:commitment", met_at__isnull=True, cancelled_at__isnull=True)
    assert timezone.localdate(commitment_clock.due_at - timedelta(microseconds=1)) == due_on

    # The versions, and what changed between the last two.
    page.goto(reverse("safety_plans:plan_versions", args=[cast.family.pk, cast.child.pk]))
    expect(page.get_by_role("cell", name="Added a commitment: Ring Mum the same day if Tyler misses a lesson.")
           ).to_be_visible()
    problems["versions"] = blocking_violations(page)
    page.get_by_role("button", name="Compare the two chosen versions").click()
    expect(page.locator("main")).to_contain_text("Ring Mum the same day if Tyler misses a lesson.")
    problems["compare"] = blocking_violations(page)
    screenshot(page, "plo-compare")

    # Tyler went missing last night and came back this morning.
    went, back = timezone.now() - timedelta(hours=14), timezone.now() - timedelta(hours=2)
    page.goto(reverse("safety_plans:missing", args=[cast.family.pk, cast.child.pk]))
    page.get_by_role("link", name="Record that Tyler has gone missing").click()
    fill_date(page, "When they went missing", went)
    page.get_by_label("Police reference").fill("WM-26-004417")
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    page.goto(cast.family.get_absolute_url())
    expect(page.get_by_role("alert").first).to_contain_text("Tyler has been missing since")
    problems["family page, missing now"] = blocking_violations(page)
    page.get_by_role("link", name="Record Tyler's return").first.click()
    fill_date(page, "When they came back", back)
    page.get_by_label("Where they were found").fill("Came home by himself")
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    problems["missing episodes"] = blocking_violations(page)
    episode = MissingEpisode.objects.get(child=cast.child)
    assert episode.police_reference == "WM-26-004417"
    assert episode.returned_at is not None
    interview = Deadline.objects.get(kind="missing:return_home_interview")
    assert interview.due_at == episode.returned_at + timedelta(hours=72)

    # The family's copy, as a PDF.
    page.goto(plan.get_absolute_url())
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the family's copy (PDF)").click()
    text = "".join(part.extract_text() for part in PdfReader(io.BytesIO(download.value.path().read_bytes())).pages)
    assert "Tyler" in text and "Ring Mum the same day" in text
    assert PlanVersion.objects.filter(plan=plan).count() == 3

    assert not any(problems.values()), describe(problems)
