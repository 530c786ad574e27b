"""Data protection in Chromium: an administrator reads how long records are kept, places a legal hold
on a family, reviews what a retention run would remove and approves it; a caseworker records a
parent's challenge to a call; an administrator answers a subject access request with one item
withheld, and the withheld item is not in the reply downloaded. axe finds nothing serious on any of
these pages."""

import datetime
import json
import zipfile

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from playwright.sync_api import expect

from data_protection.models import LegalHold, SubjectAccessRequest
from families.models import Challenge, Family, Person, Role
from safety_plans.models import IntelligenceEntry
from tests.browser.dates import fill_date
from tests.browser.test_journeys import blocking_violations, describe
from tests.factories import ChildFactory, ContactFactory, FamilyFactory, MembershipFactory, PersonFactory, TeamFactory

pytestmark = pytest.mark.browser


def test_an_administrator_holds_a_family_reviews_a_retention_run_and_approves_it(page, sign_in, cast):
    administrator = MembershipFactory(role=Role.ADMINISTRATOR, team=TeamFactory(name="Head office")).user
    # Two families long closed: the one the administrator holds below, and one that is due.
    long_ago = datetime.datetime(2010, 1, 1, 12, tzinfo=datetime.UTC)
    for family in (cast.family, due := FamilyFactory(team=cast.family.team)):
        Family.objects.filter(pk=family.pk).update(
            status=Family.Status.CLOSED, closure_reason=Family.ClosureReason.SUPPORT_COMPLETE,
            closed_on=datetime.date(2012, 1, 1), created_at=long_ago)
        Person.objects.filter(family=family, kind=Person.Kind.CHILD).update(date_of_birth=datetime.date(1990, 1, 1))
    PersonFactory(family=due, first_name="Marlene")
    ChildFactory(family=due, date_of_birth=datetime.date(1990, 1, 1))
    sign_in(administrator)
    page.get_by_role("link", name="Data protection").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("kept")
    problems = {"rules": blocking_violations(page)}

    page.get_by_role("link", name="Legal holds").first.click()
    problems["holds"] = blocking_violations(page)
    page.get_by_role("link", name="Place a legal hold").click()
    page.get_by_label("Family reference").fill(cast.family.reference)
    page.get_by_label("An open police investigation").check()
    page.get_by_label("Details").fill("Operation Larch: the investigating officer asked us to keep everything.")
    fill_date(page, "Review date", timezone.localdate() + datetime.timedelta(days=30))
    page.get_by_role("button", name="Place the hold").click()
    expect(page.get_by_role("status").or_(page.get_by_role("alert")).first).to_contain_text(cast.family.reference)
    assert LegalHold.objects.in_force().filter(family=cast.family, placed_by=administrator).exists()
    problems["holds with one"] = blocking_violations(page)

    page.get_by_role("link", name="Retention: what would go").first.click()
    problems["retention dry run"] = blocking_violations(page)
    # One long-closed family is due; the held one is kept. Approving with the wrong number is refused.
    page.get_by_label("Number of families to anonymise").fill("2")
    page.get_by_role("button", name="Approve and anonymise").click()
    expect(page.get_by_text("That is not the number of families this run would anonymise").first).to_be_visible()
    problems["approval refused"] = blocking_violations(page)
    page.get_by_label("Number of families to anonymise").fill("1")
    page.get_by_role("button", name="Approve and anonymise").click()
    page.wait_for_url("**/data-protection/retention/runs/*/")
    problems["the run"] = blocking_violations(page)
    due.refresh_from_db()
    cast.family.refresh_from_db()
    assert due.anonymised_at is not None and due.reference.startswith("ANON-")
    assert cast.family.anonymised_at is None  # the held family: nothing of it changed
    assert not Person.objects.filter(family=due, first_name="Marlene").exists()
    assert not any(problems.values()), "Serious accessibility problems found by axe:\n" + describe(problems)


def test_a_caseworker_records_that_the_parent_says_a_call_is_wrong(page, sign_in, cast):
    contact = ContactFactory(family=cast.family, worker=cast.key_worker, spoke_with=cast.carer,
                             summary="Mum said Tyler was out all night on Friday.")
    sign_in(cast.key_worker)
    page.goto(contact.get_absolute_url())
    page.get_by_role("link", name="The parent says this is wrong").click()
    page.get_by_label("Who says it is wrong").select_option(label=cast.carer.full_name)
    fill_date(page, "When they told us", timezone.localdate())
    page.get_by_label("What the parent says is wrong").fill("I said he was out until midnight, not all night.")
    problems = {"challenge form": blocking_violations(page)}
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_text("I said he was out until midnight, not all night.")).to_be_visible()
    assert Challenge.objects.filter(family=cast.family, raised_by=cast.carer).exists()
    # The call's own words are unchanged beside the challenge.
    expect(page.get_by_text("Mum said Tyler was out all night on Friday.").first).to_be_visible()
    problems["call with its challenge"] = blocking_violations(page)
    assert not any(problems.values()), "Serious accessibility problems found by axe:\n" + describe(problems)


def test_an_administrator_answers_a_subject_access_request_with_one_item_withheld(page, sign_in, cast):
    administrator = MembershipFactory(role=Role.ADMINISTRATOR, team=TeamFactory(name="Head office")).user
    ContactFactory(family=cast.family, worker=cast.key_worker, spoke_with=cast.carer,
                   occurred_at=timezone.now() - datetime.timedelta(days=1),
                   summary="Joanne rang: Tyler was home by nine and they talked about the boys at the bus stop.")
    withheld = IntelligenceEntry.objects.create(
        family=cast.family, kind=IntelligenceEntry.Kind.PERSON, observed_at=timezone.now() - datetime.timedelta(days=3),
        description="Operation Kestrel: an informant names the driver of the blue van.", source="The police",
        recorded_by=cast.key_worker)
    sign_in(administrator)
    page.get_by_role("link", name="Data protection").click()
    page.get_by_role("link", name="Subject access requests").first.click()
    page.get_by_role("link", name="Record a request").click()
    page.get_by_label("Family reference").fill(cast.family.reference)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Joanne Okafor (parent or carer)").check()
    page.get_by_label("The person themself").check()
    page.get_by_label("Known to us: answered on the contact details we hold").check()
    page.get_by_label("Details of the check").fill("Rang her back on the mobile number we hold.")
    fill_date(page, "Date received", timezone.localdate())
    page.get_by_role("button", name="Record the request").click()
    page.wait_for_url("**/data-protection/subject-access/*/")  # recorded: its review screen
    request = SubjectAccessRequest.objects.get(family=cast.family)
    page.wait_for_url(f"**/data-protection/subject-access/{request.pk}/")

    row = page.locator(f"#item-{ContentType.objects.get_for_model(IntelligenceEntry).pk}-{withheld.pk}")
    row.get_by_role("combobox").select_option(label="Police intelligence (crime and taxation)")
    row.get_by_label("Why it is withheld").fill("The officer in the case asked us not to share the informant's "
                                                "account.")
    page.get_by_role("button", name="Save the review").click()
    expect(page.get_by_role("status").or_(page.get_by_role("alert")).first).to_contain_text("Review saved: 1 of 3")
    problems = {"review with one withheld": blocking_violations(page)}

    with page.expect_download() as info:
        page.get_by_role("link", name="Download the reply as data (JSON and CSV, zip)").click()
    download = info.value
    assert download.suggested_filename == f"subject-access-request-{request.pk}.zip"
    with zipfile.ZipFile(download.path()) as archive:
        files = {name: archive.read(name).decode("utf-8-sig") for name in archive.namelist()}
    assert set(files) == {"response.json", "response.csv", "README.txt"}
    for name, text in files.items():
        assert "Kestrel" not in text and "informant" not in text, name
    assert "Tyler was home by nine" in files["response.json"] and "Tyler was home by nine" in files["response.csv"]
    assert json.loads(files["response.json"])["withheld"]["count"] == 1
    assert not any(problems.values()), "Serious accessibility problems found by axe:\n" + describe(problems)
