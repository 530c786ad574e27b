"""The caseworker's and the manager's pages at three sizes: a laptop, a phone, and 200 % zoom.

At each size: axe finds nothing serious, no page scrolls sideways (WCAG 1.4.10 reflow), the family
search is on screen and "/" reaches it, and the borders of fields and tick boxes stand out from the
page at 3:1 (WCAG 1.4.11 non-text contrast).

200 % zoom is emulated as Chromium does it: half the CSS pixels across (683 of 1366) and down, each
drawn with two device pixels. The phone is a narrow window rather than Chromium's mobile emulation:
a mobile viewport widens itself to fit content that overflows, which would hide sideways scrolling.
"""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from deadlines import services as deadline_services
from families.models import LocalAuthority
from meetings.models import MeetingAction
from staff.models import User
from tests.browser.conftest import page_in
from tests.browser.test_journeys import blocking_violations, describe, screenshot
from tests.browser.test_referrals import BIRMINGHAM, LEEDS, MANAGER_NAME, leeds_family, overdue_referral
from tests.factories import ContactFactory, FollowUpFactory
from tests.meetings.factories import MeetingActionFactory, MeetingFactory

pytestmark = pytest.mark.browser

LAYOUTS = {
    "laptop-1366x768": {"viewport": {"width": 1366, "height": 768}},
    "phone-390x844": {"viewport": {"width": 390, "height": 844}},
    "zoom-200pc": {"viewport": {"width": 683, "height": 384}, "device_scale_factor": 2},
}
# WCAG 2.2 success criterion 1.4.11: the visual boundary of a control against what is next to it.
NON_TEXT_CONTRAST = 3.0

# How far the page is wider than its window: more than zero means it scrolls sideways. clientWidth
# leaves out a vertical scroll bar, which innerWidth counts, so this is the stricter of the two.
SIDEWAYS_OVERFLOW_JS = """() => {
  const root = document.documentElement;
  return Math.max(root.scrollWidth, document.body.scrollWidth) - Math.min(root.clientWidth, window.innerWidth);
}"""

# The computed border colours of a control and the colour of what it sits on (the nearest ancestor
# with a background, or the white canvas), as [r, g, b, a] lists.
COLOURS_JS = """(element) => {
  const parse = (colour) => {
    const parts = colour.match(/[\\d.]+/g).map(Number);
    return parts.length === 3 ? [...parts, 1] : parts;
  };
  const style = getComputedStyle(element);
  const borders = ["Top", "Right", "Bottom", "Left"].map((side) => parse(style[`border${side}Color`]));
  let background = [255, 255, 255, 1];
  for (let node = element.parentElement; node; node = node.parentElement) {
    const colour = parse(getComputedStyle(node).backgroundColor);
    if (colour[3] > 0) { background = colour; break; }
  }
  return {borders, background, borderWidth: parseFloat(style.borderTopWidth)};
}"""


def relative_luminance(rgb):
    """WCAG 2.2's relative luminance of an sRGB colour given as 0-255 channels."""

    def linear(channel):
        channel /= 255
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(channel) for channel in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first, second):
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def over(colour, background):
    """A colour with transparency as it is drawn over an opaque background."""
    *rgb, alpha = colour
    return [alpha * channel + (1 - alpha) * behind for channel, behind in zip(rgb, background[:3], strict=True)]


def border_contrast(locator):
    colours = locator.evaluate(COLOURS_JS)
    background = colours["background"][:3]
    return min(contrast_ratio(over(border, background), background) for border in colours["borders"])


@pytest.fixture(params=list(LAYOUTS))
def layout(request):
    return request.param


@pytest.fixture
def page(browser, live_server, layout):
    """The conftest's page, in a window of the layout's size (sign_in then uses this one)."""
    with page_in(browser, live_server, **LAYOUTS[layout]) as page:
        yield page


class PageChecks:
    """What each page is checked for; the findings are gathered so one run reports every page."""

    def __init__(self, page, layout):
        self.page, self.layout = page, layout
        self.axe, self.sideways = {}, {}

    def check(self, name):
        self.axe[name] = blocking_violations(self.page)
        overflow = self.page.evaluate(SIDEWAYS_OVERFLOW_JS)
        if overflow > 0:
            self.sideways[name] = overflow

    def assert_all_well(self):
        report = []
        if any(self.axe.values()):
            report.append("Serious accessibility problems found by axe:\n" + describe(self.axe))
        if self.sideways:
            report.append(
                "Pages that scroll sideways (by how many CSS pixels): "
                + ", ".join(f"{name} ({pixels} px)" for name, pixels in self.sideways.items())
            )
        assert not report, f"At {self.layout}:\n" + "\n".join(report)


def test_caseworker_pages_fit_the_screen_and_pass_axe(page, layout, sign_in, cast):
    ContactFactory(family=cast.family, worker=cast.key_worker, spoke_with=cast.carer)
    FollowUpFactory(family=cast.family, owner=cast.key_worker, due_on=timezone.localdate() - datetime.timedelta(days=3))
    checks = PageChecks(page, layout)

    page.goto("/accounts/login/")
    checks.check("sign-in page")

    sign_in(cast.key_worker)
    expect(page.get_by_role("heading", name="My work", level=1)).to_be_visible()
    checks.check("My work")

    page.goto(cast.family.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_contain_text(cast.family.reference)
    checks.check("family page")

    page.keyboard.press("/")
    page.keyboard.type("Okaf")
    expect(page.get_by_role("group", name="Families found").get_by_role("link")).to_have_count(1)
    checks.check("search results")

    page.goto(reverse("families:contact_log", args=[cast.family.pk]))
    checks.check("call form")

    page.get_by_label("What was discussed").press("Control+Enter")
    expect(page.locator("#div_id_contact-summary .invalid-feedback")).to_be_visible()
    checks.check("call form after a failed save")

    page.goto(reverse("families:create"))
    checks.check("new-family form")

    page.goto(reverse("families:list"))
    expect(page.get_by_role("table")).to_contain_text(cast.family.reference)
    checks.check("families list")

    checks.assert_all_well()


def test_manager_pages_fit_the_screen_and_pass_axe(page, layout, sign_in, cast):
    overdue_referral(cast.family, cast.child, LocalAuthority.objects.get(code=BIRMINGHAM), cast.key_worker)
    other_family, other_child = leeds_family(cast)
    overdue_referral(other_family, other_child, LocalAuthority.objects.get(code=LEEDS), cast.teammate)
    deadline_services.raise_overdue_flags()
    FollowUpFactory(family=other_family, owner=cast.teammate, due_on=timezone.localdate() - datetime.timedelta(days=2))
    meeting = MeetingFactory(family=cast.family, recorded_by=cast.key_worker)
    MeetingActionFactory(meeting=meeting, agency_name="West Midlands Police")
    MeetingActionFactory(
        meeting=meeting,
        agency_name="Birmingham Children's Trust",
        due_on=timezone.localdate() - datetime.timedelta(days=5),
    )
    MeetingActionFactory(
        meeting=meeting,
        agency_name="Birmingham Children's Trust",
        status=MeetingAction.Status.DONE,
        done_on=timezone.localdate() - datetime.timedelta(days=7),
    )
    # A name of ordinary length, fixed, so that the bar's layout does not depend on what Faker picked.
    User.objects.filter(pk=cast.manager.pk).update(full_name=MANAGER_NAME)
    checks = PageChecks(page, layout)

    sign_in(cast.manager)
    expect(page.get_by_role("region", name="Team follow-ups that are overdue")).to_contain_text(other_family.reference)
    checks.check("manager's My work")

    page.goto(reverse("deadlines:queue"))
    expect(page.get_by_role("table").locator("caption")).to_contain_text("2 overdue flags")
    checks.check("overdue queue")
    screenshot(page, f"overdue_queue_{layout}")

    page.goto(reverse("referrals:figures"))
    expect(page.get_by_role("table")).to_contain_text("Birmingham")
    checks.check("delay figures")

    page.goto(reverse("meetings:figures"))
    expect(page.get_by_role("table").first).to_contain_text("West Midlands Police")
    checks.check("accountability figures")

    page.goto(reverse("referrals:thresholds"))
    expect(page.get_by_role("table").first).to_contain_text("Working Together")
    checks.check("thresholds")

    checks.assert_all_well()


def test_wide_tables_scroll_inside_a_region_the_keyboard_reaches(page, layout, sign_in, cast):
    overdue_referral(cast.family, cast.child, LocalAuthority.objects.get(code=BIRMINGHAM), cast.key_worker)
    deadline_services.raise_overdue_flags()
    meeting = MeetingFactory(family=cast.family, recorded_by=cast.key_worker)
    MeetingActionFactory(meeting=meeting, agency_name="West Midlands Police")
    FollowUpFactory(family=cast.family, owner=cast.teammate, due_on=timezone.localdate() - datetime.timedelta(days=2))
    sign_in(cast.manager)
    url_names = (
        "home",
        "deadlines:queue",
        "referrals:figures",
        "meetings:figures",
        "referrals:thresholds",
        "families:list",
    )

    for url in map(reverse, url_names):
        page.goto(url)
        tables = page.get_by_role("table")
        expect(tables.first).to_be_visible()
        for index in range(tables.count()):
            region = tables.nth(index).locator("xpath=..")  # the box that scrolls, when the table is too wide
            expect(region, f"table {index + 1} of {url} in a region").to_have_attribute("role", "region")
            # Named as the table is: by its caption, or by the caption's first part, without the period.
            caption = tables.nth(index).locator("caption").inner_text().strip()
            expect(region).to_have_accessible_name(re.compile("^" + re.escape(caption.split(",")[0])))
            expect(region).to_have_attribute("tabindex", "0")
            region.focus()
            expect(region).to_be_focused()


def test_search_is_on_screen_and_slash_reaches_it(page, layout, sign_in, cast):
    sign_in(cast.key_worker)
    expect(page.get_by_role("heading", name="My work", level=1)).to_be_visible()
    search = page.get_by_role("searchbox", name="Find a family")
    expect(search).to_be_visible()
    expect(search).to_be_in_viewport()
    # Wide enough to read what is typed, on a phone too.
    assert search.bounding_box()["width"] >= min(250, LAYOUTS[layout]["viewport"]["width"] - 40)

    page.keyboard.press("/")
    expect(search).to_be_focused()
    page.keyboard.type("Okaf")
    result = page.get_by_role("group", name="Families found").get_by_role("link")
    expect(result).to_have_count(1)
    expect(result).to_be_in_viewport()
    # The results lie over the page, on top, and nothing cuts them off: the point at the middle of
    # the result is the result itself.
    box = result.bounding_box()
    on_top = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y)?.closest('#family-search-results a') !== null",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )
    assert on_top, f"At {layout}, something covers the search result or cuts it off"
    screenshot(page, f"search_{layout}")
    assert page.evaluate(SIDEWAYS_OVERFLOW_JS) <= 0, f"At {layout}, the open search results widen the page"

    # The menu still opens at narrow widths, and the search stays where it is.
    menu = page.get_by_role("button", name="Show menu")
    if menu.is_visible():
        page.keyboard.press("Escape")
        menu.click()
        expect(menu).to_have_attribute("aria-expanded", "true")
        expect(page.locator("#nav-links")).to_have_class(re.compile(r"\bshow\b"))  # opened, not still opening
        expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Families")).to_be_in_viewport()
        expect(search).to_be_visible()
        screenshot(page, f"menu_open_{layout}")


def test_field_and_tick_box_borders_stand_out_from_the_page(page, layout, sign_in, cast):
    sign_in(cast.key_worker)
    page.goto(reverse("families:contact_log", args=[cast.family.pk]))
    controls = {
        "text field": page.get_by_label("Duration (minutes)"),
        "text area": page.get_by_label("What was discussed"),
        "drop-down list": page.get_by_label("Channel"),
        "unticked tick box": page.get_by_label("Listening and emotional support"),
    }
    expect(controls["unticked tick box"]).not_to_be_checked()
    weak = {}
    for name, control in controls.items():
        ratio = border_contrast(control)
        if ratio < NON_TEXT_CONTRAST:
            weak[name] = round(ratio, 2)
    assert not weak, f"At {layout}, control borders below {NON_TEXT_CONTRAST}:1 against the page: {weak}"

    # Focused, the field keeps a border that stands out as well as the focus ring.
    field = controls["text field"]
    field.focus()
    assert border_contrast(field) >= NON_TEXT_CONTRAST, f"At {layout}, a focused field's border is too faint"
    outline = field.evaluate("(element) => getComputedStyle(element).outlineStyle")
    assert outline != "none", f"At {layout}, a focused field shows no focus ring"

