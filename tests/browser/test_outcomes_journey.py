"""Outcome measures in Chromium: a parent's ratings asked during a call, chosen with the keyboard
alone (Tab into each question, arrow keys along its answers), saved with the call and shown on the
family page; axe-core finds no serious or critical problem on the pages on the way."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from families.models import Contact
from outcomes.models import CheckIn
from tests.browser.test_journeys import blocking_violations, describe, screenshot

pytestmark = pytest.mark.browser

NOTE = "Joanne rang after the school meeting; we talked about what to ask the police next."


def tab_to(page, name, *, limit=60):
    """Press Tab until the focus is on a field named ``name``, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.name") == name:
            return
    raise AssertionError(f"Tab never reached {name}")


def test_ratings_logged_with_a_call_by_keyboard_alone(page, sign_in, cast):
    problems = {}
    sign_in(cast.key_worker)
    page.goto(reverse("families:contact_log", args=[cast.family.pk]))
    expect(page.get_by_label("Who we spoke with")).to_be_focused()
    ratings = page.get_by_role("group", name="Ratings (optional)")
    confidence = ratings.get_by_role("group", name="How confident do you feel that you can help keep your "
                                                        "child safe?")
    expect(confidence.get_by_role("radio", name="Not asked, or did not want to answer")).to_be_checked()
    problems["call form"] = blocking_violations(page)

    page.keyboard.press("Tab")
    page.keyboard.type(NOTE)
    # Into each question's group: the arrow keys move along its answers, from "Not asked" to 1, 2 …
    tab_to(page, "ratings-confidence")
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    expect(confidence.get_by_role("radio", name="4 – Confident")).to_be_checked()
    page.keyboard.press("Tab")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Tab")
    for _ in range(2):
        page.keyboard.press("ArrowRight")
    screenshot(page, "call_form_ratings")
    page.keyboard.press("Control+Enter")
    page.wait_for_url(f"**{cast.family.get_absolute_url()}")

    contact = Contact.objects.get(summary=NOTE)
    check_in = CheckIn.objects.get()
    assert check_in.contact == contact
    assert check_in.scores() == {"confidence": 4, "understanding": 3, "wellbeing": 2, "csc_support": None}

    section = page.get_by_role("region", name="Parent's ratings")
    expect(section).to_contain_text("Joanne Okafor")
    expect(section.get_by_role("row", name="Confidence to keep their child safe")).to_contain_text("4")
    expect(section).to_contain_text("Next ratings due by")
    expect(page.get_by_text("Ratings recorded: confidence 4, understanding 3, wellbeing 2")).to_be_visible()
    problems["family page"] = blocking_violations(page)

    section.get_by_role("link", name="All ratings").click()
    expect(page.get_by_role("heading", name=f"Parents' ratings for {cast.family.reference}")).to_be_visible()
    problems["ratings"] = blocking_violations(page)
    page.get_by_role("link", name="Record ratings").first.click()
    expect(page.get_by_role("heading", name="Record ratings")).to_be_visible()
    problems["record ratings"] = blocking_violations(page)
    assert not any(problems.values()), describe(problems)
