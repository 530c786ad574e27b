"""Wide tables scroll in their own box, never the page, and every such box is a named region the
keyboard reaches (WCAG 1.4.10 reflow, 2.1.1 keyboard; axe's "scrollable-region-focusable").

On a phone-sized window (390 x 844) and at 200 % zoom, each page is checked for sideways scrolling
and serious axe findings, and each table's box for its role, name and tab stop. The chronology
pages are also checked printed: there the box must not clip the table.
"""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from deadlines import services as deadline_services
from families.models import LocalAuthority, Role
from tests.browser.conftest import page_in
from tests.browser.test_journeys import blocking_violations, describe
from tests.browser.test_layouts import LAYOUTS, SIDEWAYS_OVERFLOW_JS
from tests.browser.test_referrals import BIRMINGHAM, overdue_referral
from tests.factories import ContactFactory, MembershipFactory, TeamFactory
from tests.meetings.factories import AgencyFactory, ProfessionalFactory

pytestmark = pytest.mark.browser

NARROW = ("phone-390x844", "zoom-200pc")
# Long words that cannot wrap: they make a table wider than a phone, so its box has to scroll.
LONG_EMAIL = "safeguarding.partnership.duty.officer@birminghamchildrenstrust.example.org"
LONG_NAME = "Birmingham Children's Trust Multi-Agency Safeguarding Hub (Children's Advice and Support Service)"


@pytest.fixture(params=NARROW)
def layout(request):
    return request.param


@pytest.fixture
def page(browser, live_server, layout):
    """The conftest's page, in a window of the layout's size (sign_in then uses this one)."""
    with page_in(browser, live_server, **LAYOUTS[layout]) as page:
        yield page


class TableChecks:
    """Findings gathered page by page, so one run reports every page that goes wrong."""

    def __init__(self, page, layout):
        self.page, self.layout = page, layout
        self.axe, self.sideways, self.regions = {}, {}, []

    def check(self, name):
        tables = self.page.get_by_role("table")
        expect(tables.first).to_be_visible()
        for index in range(tables.count()):
            table = tables.nth(index)
            region = table.locator("xpath=..")  # the box that scrolls, when the table is too wide
            where = f"{name}, table {index + 1}"
            classes = region.get_attribute("class") or ""
            if region.get_attribute("role") != "region" or "table-responsive" not in classes:
                self.regions.append(f"{where}: not in a .table-responsive region")
                continue
            if region.get_attribute("tabindex") != "0":
                self.regions.append(f"{where}: its region is not in the tab order")
            # Named as the table is: by its caption's first part (before a comma), or by a heading.
            label = region.evaluate(
                "(box) => (box.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean)"
                ".map((id) => document.getElementById(id)?.textContent || '').join(' ')"
                " || box.getAttribute('aria-label') || ''"
            )
            label = " ".join(label.split())
            if not label:
                self.regions.append(f"{where}: its region has no name")
            else:
                expect(region).to_have_accessible_name(re.compile("^" + re.escape(label.split(",")[0])))
            region.focus()
            expect(region).to_be_focused()
        self.axe[name] = blocking_violations(self.page)
        overflow = self.page.evaluate(SIDEWAYS_OVERFLOW_JS)
        if overflow > 0:
            self.sideways[name] = overflow

    def check_printed(self, name):
        """Printed, no table's box clips it: the whole table goes on paper."""
        self.page.emulate_media(media="print")
        try:
            clipped = self.page.evaluate("""() => [...document.querySelectorAll('.table-responsive')]
              .filter((box) => getComputedStyle(box).overflowX !== 'visible').length""")
            if clipped:
                self.regions.append(f"{name}, printed: {clipped} table box(es) would clip the table")
        finally:
            self.page.emulate_media(media="screen")

    def assert_all_well(self):
        report = list(self.regions)
        if any(self.axe.values()):
            report.append("Serious accessibility problems found by axe:\n" + describe(self.axe))
        if self.sideways:
            report.append(
                "Pages that scroll sideways (by how many CSS pixels): "
                + ", ".join(f"{name} ({pixels} px)" for name, pixels in self.sideways.items())
            )
        assert not report, f"At {self.layout}:\n" + "\n".join(report)


def test_key_worker_tables_scroll_in_named_regions(page, layout, sign_in, cast):
    agency = AgencyFactory(name=LONG_NAME)
    ProfessionalFactory(agency=agency, full_name="Bernadette Oluwaseun-Fitzgerald", role="Duty social worker",
                        email=LONG_EMAIL, phone="0121 303 1888")
    AgencyFactory(name="West Midlands Police")
    referral = overdue_referral(cast.family, cast.child, LocalAuthority.objects.get(code=BIRMINGHAM), cast.key_worker)
    deadline_services.raise_overdue_flags()
    ContactFactory(family=cast.family, worker=cast.key_worker, spoke_with=cast.carer)
    checks = TableChecks(page, layout)
    sign_in(cast.key_worker)

    page.goto(reverse("agencies:list"))
    expect(page.get_by_role("table")).to_contain_text("West Midlands Police")
    checks.check("directory")

    page.goto(reverse("agencies:detail", args=[agency.pk]))
    expect(page.get_by_role("table")).to_contain_text(LONG_EMAIL)
    checks.check("agency page")

    page.goto(reverse("families:history", args=[cast.family.pk]))
    expect(page.get_by_role("heading", level=1)).to_contain_text(cast.family.reference)
    checks.check("family history")

    page.goto(reverse("referrals:chronology", args=[cast.family.pk, referral.pk]))
    expect(page.get_by_role("table").first).to_be_visible()
    checks.check("referral chronology")
    checks.check_printed("referral chronology")

    page.goto(reverse("referrals:pack", args=[cast.family.pk]))
    page.get_by_role("button", name="Make the pack").click()
    expect(page.get_by_role("heading", name="What happened", exact=True)).to_be_visible()
    checks.check("chronology pack")
    checks.check_printed("chronology pack")

    checks.assert_all_well()


def test_administrator_tables_scroll_in_named_regions(page, layout, sign_in, cast):
    administrator = MembershipFactory(role=Role.ADMINISTRATOR, team=TeamFactory(name="Head office")).user
    team = cast.family.team
    checks = TableChecks(page, layout)
    sign_in(administrator)

    page.goto(reverse("families:teams"))
    expect(page.get_by_role("table")).to_contain_text("Head office")
    checks.check("teams")

    page.goto(reverse("families:team_members", args=[team.pk]))
    expect(page.get_by_role("table")).to_contain_text(cast.key_worker.email)
    checks.check("team members")

    checks.assert_all_well()
