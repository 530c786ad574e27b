"""Dates in day, month and year boxes, whatever the browser's language, and the error summary that
leads to each problem after a refused save."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from families.models import FollowUp
from tests.browser.conftest import page_in, sign_in_on
from tests.browser.test_journeys import blocking_violations, describe

pytestmark = pytest.mark.browser


def type_date(page, legend, day, month, year):
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(day)
    group.get_by_label("Month").fill(month)
    group.get_by_label("Year").press_sequentially(year)
    return group


def test_a_us_english_browser_stores_8_12_as_8_december(browser, live_server, cast):
    with page_in(browser, live_server, locale="en-US", timezone_id="America/New_York") as page:
        sign_in_on(page, cast.key_worker)
        page.goto(reverse("families:follow_up_add", args=[cast.family.pk]))
        year = timezone.localdate().year + 1
        page.get_by_label("Follow-up").fill("Ring the school")
        type_date(page, "By when", "8", "12", str(year))
        # Read back in words as it is typed, in English whatever the browser's language.
        expect(page.locator("#id_due_on_in_words")).to_have_text(
            f"{datetime.date(year, 12, 8):%A} 8 December {year}"
        )
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("status")).to_contain_text("Follow-up added.")
        assert FollowUp.objects.get().due_on == datetime.date(year, 12, 8)


def test_an_impossible_date_is_refused_and_the_summary_leads_to_it(page, sign_in, cast):
    sign_in(cast.key_worker)
    page.goto(reverse("families:follow_up_add", args=[cast.family.pk]))
    page.get_by_label("Follow-up").fill("Ring the school")
    group = type_date(page, "By when", "31", "02", "2027")
    expect(page.locator("#id_due_on_in_words")).to_contain_text("There is no 31/02/2027")
    page.get_by_role("button", name="Save").click()

    expect(page).to_have_title("Error: Add a follow-up – " + cast.family.reference + " – Pace Cases")
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_be_focused()
    link = summary.get_by_role("link", name="The date must be a real date: there is no 31/02/2027.")
    # What was typed is kept, and the message is beside the boxes too.
    expect(group.get_by_label("Day")).to_have_value("31")
    expect(group.get_by_label("Month")).to_have_value("02")
    expect(page.get_by_label("Follow-up")).to_have_value("Ring the school")
    expect(group).to_contain_text("The date must be a real date")
    assert not blocking_violations(page), describe({"refused follow-up": blocking_violations(page)})

    link.click()
    expect(group.get_by_label("Day")).to_be_focused()
    assert not FollowUp.objects.exists()

    group.get_by_label("Day").fill("28")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Follow-up added.")
    assert FollowUp.objects.get().due_on == datetime.date(2027, 2, 28)
