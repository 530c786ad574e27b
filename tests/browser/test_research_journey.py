"""An administrator makes an anonymised research export in Chromium: chooses the families and the
fields, sees a mistake explained next to its field, downloads the zip, and finds in it rows with no
reference and a README saying k. Axe looks at the page."""

import csv
import io
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from families.models import Role
from staff.models import User
from tests.browser.test_journeys import blocking_violations, describe
from tests.factories import ContactFactory, FamilyFactory, MembershipFactory

pytestmark = pytest.mark.browser

ADMINISTRATOR_NAME = "Priya Raman"


def test_administrator_makes_a_research_export_and_downloads_it(page, sign_in, cast):
    administrator = MembershipFactory(team=cast.family.team, role=Role.ADMINISTRATOR).user
    User.objects.filter(pk=administrator.pk).update(full_name=ADMINISTRATOR_NAME)
    administrator.refresh_from_db()
    families = [cast.family] + [FamilyFactory(team=cast.family.team) for _ in range(5)]
    for family in families:
        ContactFactory(family=family, occurred_at=timezone.now())
    today = timezone.localdate()

    sign_in(administrator)
    page.goto(reverse("home"))
    page.get_by_role("link", name="Research export").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Anonymised research export")
    # A year left empty: the form says so next to the field and keeps what was chosen.
    page.get_by_label("Status and closure reason").check()
    from_fieldset = page.get_by_role("group", name="First supported from")
    from_fieldset.get_by_label("Year").fill("")
    page.get_by_role("button", name="Make the export").click()
    expect(page.get_by_role("strong").filter(has_text="Enter the year.")).to_be_visible()  # beside the field
    expect(page.get_by_role("link", name="Enter the year.")).to_have_attribute("href", "#id_from_year")
    expect(page.get_by_label("Status and closure reason")).to_be_checked()
    problems = {"research export with an error": blocking_violations(page)}

    from_fieldset.get_by_label("Month").select_option(str(today.month))
    from_fieldset.get_by_label("Year").fill(str(today.year - 1))
    to_fieldset = page.get_by_role("group", name="First supported to (this month included)")
    to_fieldset.get_by_label("Month").select_option(str(today.month))
    to_fieldset.get_by_label("Year").fill(str(today.year))
    with page.expect_download() as info:
        page.get_by_role("button", name="Make the export").click()
    archive = zipfile.ZipFile(info.value.path())
    assert sorted(archive.namelist()) == ["README.txt", "data.csv"]
    data = archive.read("data.csv").decode("utf-8")
    rows = list(csv.reader(io.StringIO(data)))
    assert len(rows) == 1 + len(families)
    for family in families:
        assert family.reference not in data
    assert "k" in archive.read("README.txt").decode("utf-8")

    # The export is listed on the page, attributed.
    page.goto(reverse("reports:research_export"))
    expect(page.get_by_role("region", name="Research exports, the most recent first")).to_contain_text(
        ADMINISTRATOR_NAME)
    problems["research export"] = blocking_violations(page)
    assert not any(problems.values()), describe(problems)
