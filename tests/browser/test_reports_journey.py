"""A manager opens the service report for a funder's area in Chromium: chooses the local authority,
reads a headline figure, opens the printable layout and downloads the CSV. Axe looks at each page.

Dates are worked out from today (the form's default period is the last twelve months), so the test
passes whatever day it runs on."""

import csv
import datetime
import io

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from families.models import Contact, Family, LocalAuthority
from staff.models import User
from tests.browser.test_journeys import blocking_violations, describe, screenshot
from tests.factories import ContactFactory, FamilyFactory, support_category

pytestmark = pytest.mark.browser

BIRMINGHAM, LEEDS = "E08000025", "E08000035"
MANAGER_NAME = "Samuel Chambers"


def test_manager_opens_an_areas_service_report_prints_it_and_downloads_the_csv(page, sign_in, cast):
    birmingham = LocalAuthority.objects.get(code=BIRMINGHAM)
    leeds = LocalAuthority.objects.get(code=LEEDS)
    Family.objects.filter(pk=cast.family.pk).update(local_authority=birmingham)
    now = timezone.now()
    for minutes in (30, 45):
        contact = ContactFactory(family=cast.family, occurred_at=now - datetime.timedelta(days=3),
                                 duration_minutes=minutes, channel=Contact.Channel.PHONE, worker=cast.key_worker)
        contact.support_given.set([support_category("listening")])
    # A family in Leeds: offered as another area, never counted in Birmingham's figures.
    in_leeds = FamilyFactory(team=cast.family.team, local_authority=leeds)
    ContactFactory(family=in_leeds, occurred_at=now - datetime.timedelta(days=2), duration_minutes=50)
    # A name of ordinary length, fixed: the navigation bar's width, and so axe's finding, must not
    # depend on how long a name Faker picked.
    User.objects.filter(pk=cast.manager.pk).update(full_name=MANAGER_NAME)
    problems = {}

    sign_in(cast.manager)
    page.goto(reverse("home"))
    page.get_by_role("link", name="Service reports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Service report for funders")
    page.get_by_role("button", name="Show the report").click()
    expect(page.locator("#local_authorities_error")).to_have_text("Choose at least one local authority.")
    problems["service report form with an error"] = blocking_violations(page)

    england = page.get_by_role("group", name="England")
    expect(england.get_by_label("Leeds")).to_be_visible()
    england.get_by_label("Birmingham").check()
    page.get_by_role("button", name="Show the report").click()
    section = page.get_by_role("region", name="Birmingham", exact=True)
    expect(section).to_contain_text("1 family supported: 1 new, 0 continuing.")
    expect(section).to_contain_text("2 calls, 1 hour 15 minutes in all; the median call took 37.5 minutes.")
    expect(page.get_by_role("region", name="Leeds", exact=True)).to_have_count(0)
    problems["service report"] = blocking_violations(page)
    screenshot(page, "service_report")

    page.get_by_role("link", name="Printable version, a page per area").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(settings.CHARITY_NAME)
    expect(page.locator("section.service-area")).to_have_count(1)
    expect(page.get_by_role("button", name="Print")).to_be_visible()
    problems["service report to print"] = blocking_violations(page)
    screenshot(page, "service_report_print")

    page.get_by_role("link", name="Back to the report").click()
    with page.expect_download() as info:
        page.get_by_role("link", name="Download these figures (CSV, counts only)").click()
    download = info.value
    assert download.suggested_filename.startswith("service-report-")
    with open(download.path(), encoding="utf-8", newline="") as file:
        content = file.read()
    rows = list(csv.reader(io.StringIO(content)))
    assert rows[0] == ["Area", "From", "To", "Figure", "Breakdown", "Value"]
    period_rows = {(figure, breakdown): value for area, start, end, figure, breakdown, value in rows[1:]
                   if area == "Birmingham" and (start, end) == (rows[1][1], rows[1][2])}
    assert period_rows[("Families supported", "New")] == "1"
    assert period_rows[("Calls", "")] == "2"
    assert period_rows[("Call time in minutes", "")] == "75"
    assert period_rows[("Calls with this support given", "Listening and emotional support")] == "2"
    assert {row[0] for row in rows[1:]} == {"Birmingham"}
    assert cast.family.reference not in content

    assert not any(problems.values()), "Serious accessibility problems found by axe:\n" + describe(problems)
