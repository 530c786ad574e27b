"""Finding the right family on a call, in Chromium: Enter opens a family only when there is no
doubt which; a search that finds nobody leads to the new-family form with what was typed; a family
that may already be known is shown before a second one is added."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from families.models import Family
from tests.browser.test_journeys import blocking_violations, describe, screenshot
from tests.factories import ChildFactory, FamilyFactory, PersonFactory, RelationshipFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def second_okafor_family(cast):
    """Another family of the same team with the same surname."""
    family = FamilyFactory(team=cast.family.team, key_worker=cast.teammate, postcode="B2 4QA")
    carer = PersonFactory(family=family, first_name="Dami", last_name="Okafor")
    child = ChildFactory(family=family, first_name="Precious", last_name="Okafor")
    RelationshipFactory(carer=carer, child=child)
    return family


def search_for(page, text):
    page.keyboard.press("/")
    search = page.get_by_role("searchbox", name="Find a family")
    expect(search).to_be_focused()
    search.press_sequentially(text)
    return search


def results(page):
    return page.get_by_role("group", name="Families found").get_by_role("link")


def test_enter_opens_a_family_only_when_there_is_no_doubt_which(page, sign_in, cast, second_okafor_family):
    sign_in(cast.key_worker)
    home = page.url
    search = search_for(page, "Okafor")
    expect(results(page)).to_have_count(2)
    expect(page.get_by_role("group", name="Families found")).to_contain_text(
        "2 families match: use the arrow keys to choose one."
    )

    # Enter in the box cannot choose between two families: it says so, and opens neither.
    search.press("Enter")
    status = page.locator("#family-search-status")
    expect(status).to_have_text("2 families match: use the arrow keys to choose one.")
    expect(status).to_have_attribute("aria-live", "polite")
    page.wait_for_timeout(300)
    assert page.url == home
    expect(search).to_be_focused()
    screenshot(page, "search_several_matches")

    # The arrow keys choose the second (the family changed least recently), and Enter opens it.
    second = results(page).nth(1)
    expect(second).to_contain_text(cast.family.reference)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(second).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{cast.family.get_absolute_url()}")
    # The heading names the people, so a wrong family is obvious at once.
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(f"{cast.family.reference} · Joanne Okafor and Tyler Okafor")

    # With one family found, Enter in the box opens it.
    search = search_for(page, "Precious")
    expect(results(page)).to_have_count(1)
    search.press("Enter")
    page.wait_for_url(f"**{second_okafor_family.get_absolute_url()}")
    expect(heading).to_have_text(f"{second_okafor_family.reference} · Dami Okafor and Precious Okafor")


def test_enter_pressed_before_the_results_arrive_waits_for_them(page, sign_in, cast, second_okafor_family):
    sign_in(cast.key_worker)
    page.keyboard.press("/")
    search = page.get_by_role("searchbox", name="Find a family")
    search.fill("Tyler")  # and Enter at once, inside the typing pause
    search.press("Enter")
    page.wait_for_url(f"**{cast.family.get_absolute_url()}")

    search = page.get_by_role("searchbox", name="Find a family")
    search.fill("Okafor")
    search.press("Enter")
    expect(page.locator("#family-search-status")).to_have_text("2 families match: use the arrow keys to choose one.")
    assert page.url.endswith(cast.family.get_absolute_url())


def test_no_family_found_leads_to_a_new_family_with_the_number_typed_and_warns_of_a_known_one(page, sign_in, cast):
    # A family of another team with this number: never found, never mentioned.
    outsiders = FamilyFactory(team=cast.outsider.memberships.get().team)
    PersonFactory(family=outsiders, first_name="Grace", last_name="Mensah", phone="07700 900555")
    sign_in(cast.key_worker)

    search_for(page, "+447700900555")  # as caller ID shows it
    expect(page.locator("#family-search-results")).to_contain_text("No family found for “+447700900555”.")
    screenshot(page, "search_no_family_found")
    add = page.get_by_role("button", name="Add a family")
    add.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{reverse('families:create')}")
    assert "900555" not in page.url

    carer = page.get_by_role("group", name="Parent or carer", exact=True)
    expect(carer.get_by_label("Phone")).to_have_value("07700 900555")
    needed = page.get_by_role("group", name="Needed to add the family")
    needed.get_by_label("Parent or carer's first name").fill("Sandra")
    needed.get_by_label("Child's first name").fill("Tyler")
    needed.get_by_label("How they reached us").select_option(Family.Source.SELF)
    # The same child's name and date of birth as a family already known to this team.
    child = page.get_by_role("group", name="Child", exact=True)
    born = cast.child.date_of_birth
    child.get_by_label("Day").fill(str(born.day))
    child.get_by_label("Month").fill(str(born.month))
    child.get_by_label("Year").fill(str(born.year))
    page.keyboard.press("Control+Enter")

    warning = page.get_by_role("region", name="These families may be the same")
    expect(warning).to_be_visible()
    expect(warning).to_be_focused()
    expect(warning).to_contain_text(f"{cast.family.reference} (Joanne Okafor, Tyler Okafor, {cast.family.postcode})")
    expect(warning).to_contain_text("a child with the same name and date of birth")
    expect(warning).not_to_contain_text(outsiders.reference)
    link = warning.get_by_role("link", name=f"Open {cast.family.reference} in a new tab")
    expect(link).to_have_attribute("target", "_blank")
    assert not Family.objects.exclude(pk__in=[cast.family.pk, outsiders.pk]).exists()
    # What was typed is still there.
    expect(carer.get_by_label("Phone")).to_have_value("07700 900555")
    expect(needed.get_by_label("Parent or carer's first name")).to_have_value("Sandra")
    screenshot(page, "new_family_possible_duplicates")

    warning.get_by_label("This is a different family").check()
    warning.get_by_role("button", name="Add family").click()
    page.wait_for_url(re.compile(r"/families/\d+/$"))
    added = Family.objects.exclude(pk__in=[cast.family.pk, outsiders.pk]).get()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{added.reference} · Sandra and Tyler")
    assert added.people.get(kind="carer").phone_digits == "7700900555"


def test_search_results_and_the_duplicate_warning_have_no_serious_accessibility_problems(
    page, sign_in, cast, second_okafor_family
):
    problems = {}
    sign_in(cast.key_worker)
    search = search_for(page, "Okafor")
    expect(results(page)).to_have_count(2)
    search.press("Enter")
    expect(page.locator("#family-search-status")).to_contain_text("2 families match")
    problems["search results with several matches"] = blocking_violations(page)

    page.goto(reverse("families:create"))
    needed = page.get_by_role("group", name="Needed to add the family")
    needed.get_by_label("Parent or carer's first name").fill("Sandra")
    needed.get_by_label("Child's first name").fill("Kai")
    needed.get_by_label("How they reached us").select_option(Family.Source.SELF)
    carer = page.get_by_role("group", name="Parent or carer", exact=True)
    carer.get_by_label("Last name").fill("Okafor")
    page.get_by_role("group", name="Family", exact=True).get_by_label("Postcode").fill(cast.family.postcode)
    page.keyboard.press("Control+Enter")
    expect(page.get_by_role("region", name="These families may be the same")).to_be_visible()
    problems["new-family form with possible duplicates"] = blocking_violations(page)

    assert not any(problems.values()), "Serious accessibility problems found by axe:\n" + describe(problems)
