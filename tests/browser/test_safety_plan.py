"""The safety plan in Chromium: lists edited in place with htmx, the other forms on the page kept
at the plan's version, and axe on the plan, versions, comparison and family's copy pages."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from safety_plans import services
from safety_plans.models import PersonOfConcern, SafetyPlan, Worry
from tests.browser.test_journeys import blocking_violations, describe, screenshot

pytestmark = pytest.mark.browser



def url(cast, name, *args):
    return reverse(f"safety_plans:{name}", args=[cast.family.pk, cast.child.pk, *args])


def test_lists_are_edited_in_place_and_the_words_still_save(page, sign_in, cast):
    plan = SafetyPlan(child=cast.child, family=cast.family, school="Year 9")
    services.safety_plan_save(user=cast.key_worker, plan=plan, expected_version=0)
    sign_in(cast.key_worker)
    page.goto(url(cast, "plan"))
    expect(page.get_by_role("heading", name="Tyler's safety plan", level=1)).to_be_visible()

    people = page.locator("#people-list")
    people.get_by_text("Add a person of concern").first.click()
    people.get_by_label("Name or description").fill("Man in a silver Audi")
    people.get_by_role("button", name="Add a person of concern").click()
    expect(people.get_by_role("status")).to_contain_text("Added a person of concern")
    expect(people.get_by_text("Man in a silver Audi", exact=True)).to_be_visible()
    expect(page.locator("#plan-version-note")).to_contain_text("Version 2")
    # No page load happened: the words form, opened before, was brought up to version 2.
    expect(page.locator("#edit-plan input[name=version]")).to_have_value("2")

    worries = page.locator("#worries-list")
    worries.get_by_text("Add a worry").first.click()
    worries.get_by_label("Who is worried").fill("Mum")
    worries.get_by_label("What we are worried about").fill("Older boys at the park")
    worries.get_by_role("button", name="Add a worry").click()
    expect(worries.get_by_text("Older boys at the park", exact=True)).to_be_visible()

    worries.get_by_role("link", name=re.compile(r"^Edit\W+Older boys at the park$")).click()
    editing = worries.locator("li form")
    editing.get_by_label("What we are worried about").fill("Older boys at the park after dark")
    editing.get_by_role("button", name="Save").click()
    expect(worries.get_by_text("Older boys at the park after dark", exact=True)).to_be_visible()

    page.get_by_text("Edit the plan", exact=True).last.click()
    page.get_by_label("School").fill("Year 10")
    page.get_by_role("button", name="Save the plan").click()
    expect(page.get_by_text("Safety plan saved as version 5.")).to_be_visible()
    plan.refresh_from_db()
    assert plan.school == "Year 10"
    assert plan.version == 5
    assert PersonOfConcern.objects.get().name_or_description == "Man in a silver Audi"
    assert Worry.objects.get().worry == "Older boys at the park after dark"
    screenshot(page, "safety-plan")


def test_plan_pages_have_no_serious_accessibility_problems(page, sign_in, cast):
    plan = SafetyPlan(child=cast.child, family=cast.family, warning_signs="Late home with new trainers")
    services.safety_plan_save(user=cast.key_worker, plan=plan, expected_version=0)
    services.plan_row_save(user=cast.key_worker, plan=plan, expected_version=1,
                           row=Worry(who_is_worried="Mum", worry="Older boys at the park"))
    plan.warning_signs = "Late home with a new phone"
    services.safety_plan_save(user=cast.key_worker, plan=plan, expected_version=2)
    sign_in(cast.key_worker)
    problems = {}
    for name, address in [
        ("plan", url(cast, "plan")),
        ("versions", url(cast, "plan_versions")),
        ("compare", url(cast, "plan_compare") + "?from=1&to=3"),
        ("restore", url(cast, "plan_restore", 1)),
        ("family's copy", url(cast, "plan_family_copy")),
    ]:
        page.goto(address)
        problems[name] = blocking_violations(page)
    assert not any(problems.values()), describe(problems)
