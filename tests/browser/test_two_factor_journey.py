"""Setting up the second factor at first sign-in, in Chromium, as a new member of staff does: read the
key off the page into an "app", type the code it gives, keep the recovery codes, reach My work."""

import re

import pytest
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.browser.conftest import CODE_LABEL, LOGIN_PATH, SECOND_FACTOR_PATH
from tests.browser.test_journeys import blocking_violations, describe, screenshot
from tests.factories import PASSWORD
from tests.two_factor import code_for_key, usable_code

pytestmark = pytest.mark.browser


def test_a_new_person_sets_up_their_app_keeps_their_codes_and_then_needs_a_code(page, cast):
    person = cast.key_worker
    page.goto(LOGIN_PATH)
    page.get_by_label("E-mail address").fill(person.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")

    page.wait_for_url(f"**{SECOND_FACTOR_PATH}set-up/**")
    expect(page.get_by_role("heading", name="Set up your second factor", level=1)).to_be_visible()
    expect(page.get_by_role("img", name="QR code to scan with your authenticator app")).to_be_visible()
    problems = {"set-up page": blocking_violations(page)}
    screenshot(page, "two_factor_set_up")

    # The person's "app" is given the key as written out for typing.
    key = page.locator("#two-factor-key").inner_text()
    code_box = page.get_by_label("Code from your authenticator app")
    code_box.fill("000000")
    code_box.press("Enter")
    expect(code_box).to_have_accessible_description(re.compile("That code is not right"))
    problems["set-up page with an error"] = blocking_violations(page)
    page.wait_for_timeout(1100)  # one wrong code pauses checking for a second
    code_box = page.get_by_label("Code from your authenticator app")
    code_box.fill(code_for_key(key))
    code_box.press("Enter")

    expect(page.get_by_role("heading", name="Your recovery codes", level=1)).to_be_visible()
    codes = page.get_by_role("list", name="Recovery codes").get_by_role("listitem").all_inner_texts()
    assert len(codes) == 10
    assert {code.replace("-", "") for code in codes} == set(
        StaticToken.objects.filter(device__user=person).values_list("token", flat=True)
    )
    expect(page.get_by_role("button", name="Print these codes")).to_be_visible()
    problems["recovery codes"] = blocking_violations(page)
    page.get_by_role("link", name="I have kept them: continue").click()
    expect(page.get_by_role("heading", name="My work", level=1)).to_be_visible()

    # Next time: the password, then a code.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"**{LOGIN_PATH}")
    page.get_by_label("E-mail address").fill(person.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url(f"**{SECOND_FACTOR_PATH}**")
    expect(page.get_by_role("heading", name="Type your code", level=1)).to_be_visible()
    problems["code page"] = blocking_violations(page)
    code_box = page.get_by_label(CODE_LABEL)
    code_box.fill(usable_code(TOTPDevice.objects.get(user=person)))
    code_box.press("Enter")
    expect(page.get_by_role("heading", name="My work", level=1)).to_be_visible()
    assert not any(problems.values()), "Serious accessibility problems found by axe:\n" + describe(problems)
