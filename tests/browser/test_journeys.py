"""Journeys through the real pages in Chromium: finding a family, logging a call, adding a family.

After signing in, the call journey uses the keyboard only, as many call handlers do while on the
phone: "/" to search, arrow keys and Enter to open a result, Tab, type-ahead and Space on the form,
Ctrl+Enter to save.
"""

import datetime
import os
import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from django.utils import dateformat, timezone
from playwright.sync_api import expect

from families.models import Contact, Family, FollowUp
from tests.browser.dates import fill_date, shown_date
from tests.factories import ContactFactory, FollowUpFactory

pytestmark = pytest.mark.browser

SUMMARY = "Joanne is worried Tyler is being groomed by older boys; talked through what to record."
FOLLOW_UP = "Ring Joanne after the strategy meeting"
# What people using a screen reader or a keyboard cannot get past. Lesser findings are reported by
# axe too, but do not fail the build.
BLOCKING_IMPACTS = {"serious", "critical"}


def screenshot(page, name):
    """Save a full-page screenshot when BROWSER_SHOTS_DIR is set, to look at the pages by eye."""
    folder = os.environ.get("BROWSER_SHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def long_date(day):
    """A date as the templates show it (DATE_FORMAT "j M Y"), e.g. "5 Mar 2025"."""
    return dateformat.format(day, "j M Y")


def open_family_by_search(page, family, text):
    """Jump to the search box with "/", type, move into the results with the down arrow, open with Enter."""
    page.keyboard.press("/")
    search = page.get_by_role("searchbox", name="Find a family")
    expect(search).to_be_focused()
    page.keyboard.type(text)
    result = page.get_by_role("group", name="Families found").get_by_role("link")
    expect(result).to_have_count(1)
    expect(result).to_contain_text(family.reference)
    page.keyboard.press("ArrowDown")
    expect(result).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{family.get_absolute_url()}")


def tab_to(page, target, most=30):
    """Press Tab until ``target`` has the focus, as a keyboard user would (at most ``most`` times)."""
    for _ in range(most):
        if target.evaluate("(element) => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{most} presses of Tab did not reach {target}")


def test_key_worker_logs_a_call_with_the_keyboard(page, sign_in, cast):
    today = timezone.localdate()
    sign_in(cast.key_worker)
    expect(page.get_by_role("heading", name="My work", level=1)).to_be_visible()

    open_family_by_search(page, cast.family, "Okaf")
    expect(page.get_by_role("heading", level=1)).to_contain_text(cast.family.reference)

    log_a_call = page.get_by_role("link", name="Log a call")
    log_a_call.focus()
    expect(log_a_call).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{reverse('families:contact_log', args=[cast.family.pk])}")

    # The form opens on who we spoke with (Joanne, the family's parent), then Tab goes through the
    # call's fields in the order a worker fills them in while the parent talks.
    spoke_with = page.get_by_label("Who we spoke with")
    expect(spoke_with).to_be_focused()
    expect(spoke_with).to_have_value(str(cast.carer.pk))
    page.keyboard.type("Joanne")  # type-ahead in a closed select
    expect(spoke_with).to_have_value(str(cast.carer.pk))
    page.keyboard.press("Tab")
    summary = page.get_by_label("What was discussed")
    expect(summary).to_be_focused()
    page.keyboard.type(SUMMARY)

    # The follow-up agreed comes next, past "handle with care".
    page.keyboard.press("Tab")
    expect(page.get_by_label("Handle with care")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Follow-up", exact=True)).to_be_focused()
    page.keyboard.type(FOLLOW_UP)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Who will do it")).to_be_focused()
    expect(page.get_by_label("Who will do it")).to_have_value(str(cast.key_worker.pk))
    for part, value in (("day", today.day), ("month", today.month), ("year", today.year)):
        page.keyboard.press("Tab")
        expect(page.locator(f"input[name=follow_up-due_on_{part}]")).to_be_focused()
        page.keyboard.type(str(value))

    # Then the support given, and the call's details, which the defaults and the timer already hold:
    # "when" is when the form was opened; the worker types over the timer's duration here.
    page.keyboard.press("Tab")
    listening = page.get_by_label("Listening and emotional support")
    expect(listening).to_be_focused()
    page.keyboard.press("Space")
    expect(listening).to_be_checked()
    duration = page.get_by_label("Duration (minutes)")
    tab_to(page, duration)
    page.keyboard.press("Control+a")
    page.keyboard.type("25")
    page.keyboard.press("Tab")
    channel = page.get_by_label("Channel")
    expect(channel).to_be_focused()
    page.keyboard.type("Video")
    expect(channel).to_have_value(Contact.Channel.VIDEO)

    screenshot(page, "call_form")
    page.keyboard.press("Control+Enter")

    page.wait_for_url(f"**{cast.family.get_absolute_url()}")
    expect(page.get_by_role("status")).to_contain_text("Call logged.")
    # The call is the newest entry of the family's timeline.
    calls = page.get_by_role("region", name="Timeline")
    expect(calls).to_contain_text(SUMMARY)
    expect(calls).to_contain_text("Joanne Okafor")
    expect(calls).to_contain_text("Listening and emotional support")
    follow_ups = page.get_by_role("region", name="Follow-ups")
    expect(follow_ups).to_contain_text(FOLLOW_UP)
    expect(follow_ups).to_contain_text(f"due {long_date(today)}")
    screenshot(page, "family_page")

    page.get_by_role("link", name="My work").press("Enter")
    page.wait_for_url(re.compile(r"/$"))
    due = page.get_by_role("region", name="Follow-ups due today or overdue")
    expect(due.get_by_role("listitem").filter(has_text=FOLLOW_UP)).to_contain_text("Due today")
    recent = page.get_by_role("region", name="My recent calls")
    expect(recent).to_contain_text(f"{cast.family.reference} · Video call with Joanne Okafor")
    expect(recent).to_contain_text("25 min")

    contact = Contact.objects.get(family=cast.family)
    assert contact.worker == cast.key_worker
    assert (contact.duration_minutes, contact.channel, contact.spoke_with) == (25, "video", cast.carer)
    assert contact.summary == SUMMARY
    assert list(contact.support_given.values_list("code", flat=True)) == ["listening"]
    assert not contact.handle_with_care
    follow_up = FollowUp.objects.get(family=cast.family)
    assert (follow_up.description, follow_up.owner, follow_up.due_on) == (FOLLOW_UP, cast.key_worker, today)
    assert follow_up.contact == contact


def test_call_without_summary_shows_error_by_the_field_and_keeps_what_was_typed(page, sign_in, cast):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    sign_in(cast.key_worker)
    page.goto(reverse("families:contact_log", args=[cast.family.pk]))

    page.get_by_label("Duration (minutes)").fill("15")
    page.get_by_label("Channel").focus()
    page.keyboard.type("Text")
    page.get_by_label("Who we spoke with").focus()
    page.keyboard.type("Tyler")
    page.get_by_label("Help dealing with school").press("Space")
    page.get_by_label("Follow-up", exact=True).fill(FOLLOW_UP)
    fill_date(page, "By when", tomorrow)
    summary = page.get_by_label("What was discussed")
    summary.press("Control+Enter")

    # The page comes back from the server with the error; the form is not saved. The error summary
    # at the top has focus and its link leads to the field.
    expect(page).to_have_title(re.compile(r"^Error: "))
    error_summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(error_summary).to_be_focused()
    field = page.locator("#div_id_contact-summary")
    expect(field.locator(".invalid-feedback")).to_have_text("Enter what was discussed.")
    expect(summary).to_have_attribute("aria-invalid", "true")
    expect(summary).to_have_accessible_description("Enter what was discussed.")
    assert not Contact.objects.exists()
    error_summary.get_by_role("link", name="Enter what was discussed.").click()
    expect(summary).to_be_focused()

    expect(page.get_by_label("Duration (minutes)")).to_have_value("15")
    expect(page.get_by_label("Channel")).to_have_value(Contact.Channel.TEXT)
    expect(page.get_by_label("Who we spoke with")).to_have_value(str(cast.child.pk))
    expect(page.get_by_label("Help dealing with school")).to_be_checked()
    expect(page.get_by_label("Listening and emotional support")).not_to_be_checked()
    expect(page.get_by_label("Follow-up", exact=True)).to_have_value(FOLLOW_UP)
    expect(page.get_by_label("Who will do it")).to_have_value(str(cast.key_worker.pk))
    assert shown_date(page, "By when") == f"{tomorrow.day}/{tomorrow.month}/{tomorrow.year}"
    screenshot(page, "call_form_errors")


def test_add_a_family_suggests_the_local_authority_from_the_postcode(page, sign_in, cast):
    sign_in(cast.key_worker)
    page.goto(reverse("families:create"))

    needed = page.get_by_role("group", name="Needed to add the family")
    needed.get_by_label("Parent or carer's first name").fill("Sandra")
    needed.get_by_label("Child's first name").fill("Kai")
    needed.get_by_label("How they reached us").focus()
    page.keyboard.type("Parent")
    expect(needed.get_by_label("How they reached us")).to_have_value(Family.Source.SELF)
    page.get_by_role("group", name="Parent or carer", exact=True).get_by_label("Last name").fill("Whitfield")
    page.get_by_role("group", name="Child", exact=True).get_by_label("Last name").fill("Whitfield")
    family = page.get_by_role("group", name="Family", exact=True)

    postcode = family.get_by_label("Postcode")
    postcode.fill("B1 1AA")
    postcode.press("Tab")  # leaving the field asks the server for the local authority
    expect(page.locator("#postcode-hint")).to_have_text("Suggested from the postcode: Birmingham.")
    expect(family.get_by_label("Local authority").locator("option:checked")).to_have_text("Birmingham")

    page.keyboard.press("Control+Enter")  # from the field after the postcode, where Tab left the focus

    page.wait_for_url(re.compile(r"/families/\d+/$"))
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile(r"^F-\d{6} · Sandra Whitfield and Kai Whitfield$"))
    new_family = Family.objects.exclude(pk=cast.family.pk).get()
    expect(heading).to_have_text(f"{new_family.reference} · Sandra Whitfield and Kai Whitfield")
    expect(page.get_by_role("status")).to_contain_text(f"Family {new_family.reference} added.")
    assert new_family.local_authority.name == "Birmingham"
    assert new_family.postcode == "B1 1AA"
    assert new_family.key_worker == cast.key_worker
    assert sorted(new_family.people.values_list("first_name", "kind")) == [("Kai", "child"), ("Sandra", "carer")]


def blocking_violations(page):
    violations = Axe().run(page).response["violations"]
    for violation in violations:
        if violation["impact"] not in BLOCKING_IMPACTS:  # shown with -s, or when the test fails
            print(f"axe, {page.url}: {violation['id']} ({violation['impact']}) x{len(violation['nodes'])}")
    return [violation for violation in violations if violation["impact"] in BLOCKING_IMPACTS]


def describe(problems):
    lines = []
    for where, violations in problems.items():
        for violation in violations:
            targets = "; ".join(" ".join(node["target"]) for node in violation["nodes"])
            lines.append(f"{where}: {violation['id']} ({violation['impact']}) {violation['help']} at {targets}")
    return "\n".join(lines)


def test_pages_have_no_serious_accessibility_problems(page, sign_in, cast):
    ContactFactory(family=cast.family, worker=cast.key_worker, spoke_with=cast.carer)
    ContactFactory(family=cast.family, worker=cast.key_worker, handle_with_care=True)
    FollowUpFactory(family=cast.family, owner=cast.key_worker)
    FollowUpFactory(family=cast.family, owner=cast.key_worker, due_on=timezone.localdate() - datetime.timedelta(days=3))
    problems = {}

    page.goto("/accounts/login/")
    problems["sign-in page"] = blocking_violations(page)

    sign_in(cast.key_worker)
    expect(page.get_by_role("heading", name="My work", level=1)).to_be_visible()
    problems["My work"] = blocking_violations(page)

    page.goto(cast.family.get_absolute_url())
    problems["family page"] = blocking_violations(page)

    page.keyboard.press("/")
    page.keyboard.type("Okaf")
    expect(page.get_by_role("group", name="Families found").get_by_role("link")).to_have_count(1)
    problems["search results"] = blocking_violations(page)
    page.keyboard.type("zzz")
    expect(page.locator("#family-search-results")).to_contain_text("No family found")
    problems["search with no results"] = blocking_violations(page)

    page.goto(reverse("families:contact_log", args=[cast.family.pk]))
    problems["call form"] = blocking_violations(page)

    page.get_by_label("What was discussed").press("Control+Enter")
    expect(page.locator("#div_id_contact-summary .invalid-feedback")).to_be_visible()
    problems["call form with errors"] = blocking_violations(page)

    page.goto(reverse("families:create"))
    problems["new-family form"] = blocking_violations(page)

    assert not any(problems.values()), "Serious accessibility problems found by axe:\n" + describe(problems)


class Keys:
    """The keyboard as the worker uses it, counted: a press (or a chord such as Ctrl+Enter) is one key
    press; typing counts one per character, apart."""

    def __init__(self, page):
        self.page = page
        self.presses = 0
        self.typed = 0

    def press(self, key, times=1):
        for _ in range(times):
            self.page.keyboard.press(key)
            self.presses += 1

    def type(self, text):
        self.page.keyboard.type(text)
        self.typed += len(text)


# From the phone ringing to the call saved with a follow-up, besides what is typed (README.md,
# "The phone journey").
PHONE_JOURNEY_KEY_PRESSES = 11


def test_from_the_phone_ringing_to_a_call_saved_with_a_follow_up(page, sign_in, cast):
    due = timezone.localdate() + datetime.timedelta(days=7)
    sign_in(cast.key_worker)
    expect(page.get_by_role("heading", name="My work", level=1)).to_be_visible()
    keys = Keys(page)

    # The phone rings: "/" and the caller's surname; one family matches, so Enter opens it.
    keys.press("/")
    keys.type("Okaf")
    expect(page.get_by_role("group", name="Families found").get_by_role("link")).to_have_count(1)
    keys.press("Enter")
    page.wait_for_url(f"**{cast.family.get_absolute_url()}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Joanne Okafor")

    # "Log a call" is Alt+L on a family's page.
    keys.press("Alt+l")
    page.wait_for_url(f"**{reverse('families:contact_log', args=[cast.family.pk])}")
    expect(page.get_by_label("Who we spoke with")).to_be_focused()
    expect(page.get_by_label("Who we spoke with")).to_have_value(str(cast.carer.pk))

    keys.press("Tab")
    keys.type(SUMMARY)
    keys.press("Tab", times=2)  # past "handle with care" to the follow-up
    expect(page.get_by_label("Follow-up", exact=True)).to_be_focused()
    keys.type(FOLLOW_UP)
    keys.press("Tab", times=2)  # past who will do it (the worker) to the day
    keys.type(str(due.day))
    keys.press("Tab")
    keys.type(str(due.month))
    keys.press("Tab")
    keys.type(str(due.year))
    keys.press("Control+Enter")

    page.wait_for_url(f"**{cast.family.get_absolute_url()}")
    expect(page.get_by_role("status")).to_contain_text("Call logged.")
    contact = Contact.objects.get(family=cast.family)
    assert (contact.summary, contact.spoke_with, contact.worker) == (SUMMARY, cast.carer, cast.key_worker)
    assert contact.duration_minutes >= 1  # from the timer
    follow_up = FollowUp.objects.get(contact=contact)
    assert (follow_up.description, follow_up.owner, follow_up.due_on) == (FOLLOW_UP, cast.key_worker, due)
    assert keys.presses == PHONE_JOURNEY_KEY_PRESSES, keys.presses
