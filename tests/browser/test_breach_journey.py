"""The breach log in Chromium: an administrator records a breach discovered this morning, reads its
72-hour clock, records the decision that it is not reportable with the reason, and adds an action.
axe finds nothing serious on any of these pages."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from data_protection.models import Breach, BreachAction
from families.models import Role
from tests.browser.dates import fill_date
from tests.browser.test_journeys import blocking_violations, describe
from tests.factories import MembershipFactory, TeamFactory

pytestmark = pytest.mark.browser


def test_an_administrator_records_a_breach_decides_it_is_not_reportable_and_adds_an_action(page, sign_in, cast):
    administrator = MembershipFactory(role=Role.ADMINISTRATOR, team=TeamFactory(name="Head office")).user
    discovered = (timezone.now() - datetime.timedelta(hours=2)).replace(second=0, microsecond=0)
    sign_in(administrator)
    page.get_by_role("link", name="Data protection").click()
    page.get_by_role("link", name="Breaches").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Breaches and incidents")
    problems = {"empty list": blocking_violations(page)}

    page.get_by_role("link", name="Record a breach").click()
    # Sent with nothing filled in: each field says what it needs.
    page.get_by_role("button", name="Record the breach").click()
    expect(page.locator("#error_1_id_what_happened")).to_be_visible()
    problems["form with errors"] = blocking_violations(page)

    page.get_by_role("textbox", name="What happened").fill("An e-mail with a family's plan went to the wrong school.")
    fill_date(page, "When it was discovered", discovered)
    page.get_by_label("How it was found").fill("The school rang us.")
    page.get_by_label("What data was involved").fill("A safety plan: names and the school's part in it.")
    page.get_by_label("Yes: special-category data or children's data").check()
    page.get_by_label("How many people are affected").fill("3")
    page.get_by_label("Unlikely to result in a risk to people's rights and freedoms").check()
    page.get_by_role("button", name="Record the breach").click()
    page.wait_for_url(re.compile(r".*/data-protection/breaches/\d+/$"))
    breach = Breach.objects.get()
    assert page.url.endswith(f"/data-protection/breaches/{breach.pk}/")
    expect(page.get_by_text("69 hours left").or_(page.get_by_text("70 hours left")).first).to_be_visible()
    problems["breach page"] = blocking_violations(page)

    page.get_by_role("link", name="Decide whether to report it").click()
    page.get_by_label("Not reportable: a risk to people is unlikely").check()
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator("#error_1_id_reason")).to_be_visible()
    page.get_by_label("Why").fill("The school deleted it unread and confirmed so in writing.")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_role("status").or_(page.get_by_role("alert")).first).to_contain_text("not reportable")
    breach.refresh_from_db()
    assert breach.decision == Breach.Decision.NOT_REPORTABLE and breach.decided_by == administrator

    page.get_by_role("link", name="Add an action").click()
    page.get_by_label("What was done").fill("Asked the school to confirm the deletion in writing.")
    fill_date(page, "When it was done", discovered + datetime.timedelta(minutes=30))
    page.get_by_role("button", name="Add the action").click()
    expect(page.get_by_text("Asked the school to confirm the deletion in writing.")).to_be_visible()
    assert BreachAction.objects.filter(breach=breach, recorded_by=administrator).count() == 1
    problems["breach page with an action"] = blocking_violations(page)

    page.get_by_role("link", name="Back to breaches").click()
    expect(page.get_by_role("cell", name="Decided: not reportable")).to_be_visible()
    problems["list"] = blocking_violations(page)
    assert not any(problems.values()), "Serious accessibility problems found by axe:\n" + describe(problems)
