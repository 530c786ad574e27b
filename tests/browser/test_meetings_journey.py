"""Journeys 4 and 5 in Chromium: after a MACE meeting, three actions are typed in from the keyboard,
one is marked done, "1 of 3 done" shows on the meeting and in the family's timeline, the
chronology pack is made and downloaded; then a new key worker finds the hand-over on their home
page. axe finds no serious or critical problem on any page."""

import io
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from families import services as family_services
from families.models import Family, Role
from meetings.models import MeetingAction
from tests.browser.dates import fill_date
from tests.browser.test_journeys import blocking_violations, describe, screenshot
from tests.factories import MembershipFactory

pytestmark = pytest.mark.browser


def test_actions_agreed_at_a_meeting_are_counted_and_a_new_key_worker_is_handed_the_family(
        page, sign_in, cast):
    plo = MembershipFactory(team=cast.family.team, role=Role.PLO).user
    problems = {}
    sign_in(plo)

    page.goto(cast.family.get_absolute_url())
    page.get_by_role("link", name="Record a meeting").first.click()
    page.get_by_label("What kind of meeting").select_option(label="Multi-agency child exploitation (MACE) meeting")
    when = timezone.localtime().replace(second=0, microsecond=0) - timezone.timedelta(hours=2)
    fill_date(page, "When", when)
    page.get_by_label("The parent was invited").check()
    page.get_by_label("The parent attended").check()
    page.get_by_role("button", name="Record the meeting").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("MACE")
    problems["meeting"] = blocking_violations(page)

    # Three actions, each typed on one line and added with Enter.
    for description in ("Share the registration with the intelligence unit", "Visit the address",
                        "Tell Mum about any missed lesson"):
        line = page.locator("#add-action").get_by_label("What was agreed")
        line.fill(description)
        line.press("Enter")
        expect(page.locator("#actions-list")).to_contain_text(description)
    expect(page.locator("#add-action").get_by_label("What was agreed")).to_be_focused()
    expect(page.locator("#actions-list")).to_contain_text("0 of 3 done")

    first = MeetingAction.objects.get(description="Share the registration with the intelligence unit")
    row = page.locator(f"#action-{first.pk}")
    row.locator("summary", has_text="Mark done").click()
    fill_date(row, "Done on", timezone.localdate())
    row.get_by_role("button", name="Mark done").click()
    expect(page.locator("#actions-list")).to_contain_text("1 of 3 done")
    problems["meeting with actions"] = blocking_violations(page)
    screenshot(page, "meeting-actions")

    # The family's timeline tells the same story.
    page.goto(cast.family.get_absolute_url())
    expect(page.locator("main")).to_contain_text("Actions agreed: 1 of 3 done.")
    problems["family page with its timeline"] = blocking_violations(page)

    # The chronology pack of that story.
    page.get_by_role("link", name="Chronology pack").click()
    page.get_by_role("button", name="Make the pack").click()
    problems["chronology pack"] = blocking_violations(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(download.value.path().read_bytes())).pages)
    assert cast.family.reference in text and "MACE" in text

    # A colleague becomes key worker and finds the family handed to them.
    colleague = cast.teammate
    family = Family.objects.get(pk=cast.family.pk)
    family.key_worker = colleague
    family_services.family_update(user=plo, family=family, expected_version=family.version)
    page.context.clear_cookies()  # signed out
    sign_in(colleague)
    expect(page.locator("main")).to_contain_text(cast.family.reference)
    mark_read = page.get_by_role("button", name=re.compile(rf"^Mark read\W+{cast.family.reference}$"))
    expect(mark_read).to_be_visible()
    problems["home with a hand-over"] = blocking_violations(page)
    mark_read.click()
    expect(mark_read).to_have_count(0)

    assert not any(problems.values()), describe(problems)
