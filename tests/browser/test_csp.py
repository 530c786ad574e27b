"""The Content Security Policy in Chromium: what it refuses is recorded and fails the test, and the
real pages break none of its rules (the fixtures check every browser test the same way)."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.conftest import LOGIN_PATH, page_in

pytestmark = pytest.mark.browser

INLINE = {
    "style attribute": ('<p id="probe" style="color: rgb(255, 0, 0)">Probe</p>', "style-src"),
    "style element": ('<style>#probe { color: rgb(255, 0, 0); }</style><p id="probe">Probe</p>', "style-src"),
    "script element": ('<script>document.title = "ran";</script><p id="probe">Probe</p>', "script-src"),
}


@pytest.mark.parametrize("kind", INLINE)
def test_an_inline_style_or_script_is_refused_and_fails_the_test(browser, live_server, kind):
    markup, directive = INLINE[kind]
    refused = pytest.raises(AssertionError, match="Content Security Policy violations")
    with refused as failed, page_in(browser, live_server) as page:
        page.goto(LOGIN_PATH)
        # The document is replaced, but keeps the policy the sign-in page came with.
        page.set_content(markup)
        expect(page.locator("#probe")).not_to_have_css("color", "rgb(255, 0, 0)")
        assert page.title() != "ran"
    assert directive in str(failed.value)


def test_an_event_handler_attribute_is_refused_and_fails_the_test(browser, live_server):
    refused = pytest.raises(AssertionError, match="Content Security Policy violations")
    with refused as failed, page_in(browser, live_server) as page:
        page.goto(LOGIN_PATH)
        page.set_content("<button type=\"button\" onclick=\"document.title = 'ran'\">Probe</button>")
        page.get_by_role("button", name="Probe").click()
        assert page.title() != "ran"
    assert "script-src" in str(failed.value)


def policy_of(response):
    return response.headers["content-security-policy"]


def test_the_family_page_the_call_form_and_the_postcode_hint_break_no_rule(page, sign_in, cast):
    """No violation is recorded (the fixture fails the test otherwise) on pages the policy covers."""
    sign_in(cast.key_worker)

    response = page.goto(cast.family.get_absolute_url())
    assert "style-src 'self'" in policy_of(response)
    expect(page.get_by_role("heading", level=1)).to_contain_text(cast.family.reference)

    response = page.goto(reverse("families:contact_log", args=[cast.family.pk]))
    assert "script-src 'self'" in policy_of(response)
    expect(page.get_by_role("button", name="Save")).to_be_visible()

    # htmx swaps in the hint without evaluating anything, and adds no style of its own.
    page.goto(reverse("families:create"))
    postcode = page.get_by_role("group", name="Family", exact=True).get_by_label("Postcode")
    postcode.fill("B1 1AA")
    postcode.press("Tab")
    expect(page.locator("#postcode-hint")).to_have_text("Suggested from the postcode: Birmingham.")
    assert page.locator("head style").count() == 0


def test_the_print_button_prints_without_an_inline_handler(page, sign_in, cast):
    sign_in(cast.key_worker)
    page.goto(reverse("referrals:pack", args=[cast.family.pk]))
    page.get_by_role("button", name="Make the pack").click()
    page.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")

    page.get_by_role("button", name="Print").click()

    assert page.evaluate("() => window.printed") == 1
