"""A call that lasts longer than the idle limit, in Chromium: the note typed during it is never lost.

Typing keeps the sign-in alive; a warning shows before it lapses; and a save after it lapsed opens a
sign-in dialog over the form, then saves what was typed. Nothing typed is kept in the browser's storage.
"""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.urls import reverse
from playwright.sync_api import expect

from families.models import Contact, Handover
from staff import sessions
from tests.browser.conftest import CODE_LABEL
from tests.browser.test_journeys import blocking_violations, describe, screenshot
from tests.factories import PASSWORD
from tests.families.test_handover import hand_over
from tests.two_factor import app_device, usable_code

pytestmark = pytest.mark.browser

LONDON = ZoneInfo("Europe/London")
NOTE = "Mum says Jayden came home at 3am again with a new phone; talked through what to write down and who to tell."
KEEP_ALIVE = reverse("staff:session_keep_alive")
SIGNED_OUT = "You were signed out. Sign in again to save your work – what you typed is kept on this page."


def stored_in_browser(page):
    """Everything in localStorage and sessionStorage, as {"local": {...}, "session": {...}}."""
    return page.evaluate(
        """() => ({
            local: Object.fromEntries(Object.entries(localStorage)),
            session: Object.fromEntries(Object.entries(sessionStorage)),
        })"""
    )


def is_keep_alive(request):
    return request.method == "POST" and request.url.endswith(KEEP_ALIVE)


def london_clock(moment):
    return moment.astimezone(LONDON).strftime("%H:%M")


def test_a_save_after_the_sign_in_lapsed_signs_in_again_over_the_form_and_keeps_the_note(page, sign_in, cast):
    sign_in(cast.key_worker)
    page.goto(reverse("families:contact_log", args=[cast.family.pk]))
    summary = page.get_by_label("What was discussed")
    summary.fill(NOTE)
    assert stored_in_browser(page) == {"local": {}, "session": {}}

    Session.objects.all().delete()  # the sign-in lapsed while the parent was talking
    summary.press("Control+Enter")

    dialog = page.get_by_role("dialog", name="Sign in again")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(SIGNED_OUT)
    expect(dialog.get_by_label("E-mail address")).to_have_value(cast.key_worker.email)
    password = dialog.get_by_label("Password")
    expect(password).to_be_focused()
    problems = {"sign-in dialog": blocking_violations(page)}
    screenshot(page, "session_sign_in_dialog")

    # Escape closes the dialog and gives the focus back to the note; saving again opens it again.
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(summary).to_be_focused()
    summary.press("Control+Enter")
    expect(dialog).to_be_visible()
    expect(password).to_be_focused()

    code = dialog.get_by_label(CODE_LABEL)
    code.fill(usable_code(app_device(cast.key_worker)))
    password.fill("not my password")
    password.press("Enter")
    expect(password).to_have_accessible_description("That password is not right. Check it and try again.")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(dialog).to_be_visible()
    problems["sign-in dialog with an error"] = blocking_violations(page)
    assert not Contact.objects.exists()
    expect(summary).to_have_value(NOTE)

    password.fill(PASSWORD)
    password.press("Enter")

    page.wait_for_url(f"**{cast.family.get_absolute_url()}")
    expect(page.get_by_role("status").filter(has_text="Call logged.")).to_be_visible()
    contact = Contact.objects.get()
    assert contact.summary == NOTE
    assert contact.worker == cast.key_worker
    assert contact.family == cast.family
    assert stored_in_browser(page) == {"local": {}, "session": {}}
    assert not any(problems.values()), "Serious accessibility problems found by axe:\n" + describe(problems)


def test_a_save_while_signed_in_goes_straight_through(page, sign_in, cast):
    sign_in(cast.key_worker)
    page.goto(reverse("families:contact_log", args=[cast.family.pk]))
    summary = page.get_by_label("What was discussed")
    summary.fill(NOTE)
    summary.press("Control+Enter")
    page.wait_for_url(f"**{cast.family.get_absolute_url()}")
    expect(page.get_by_role("status").filter(has_text="Call logged.")).to_be_visible()
    assert Contact.objects.get().summary == NOTE


def test_an_htmx_form_saved_after_the_sign_in_lapsed_is_sent_by_htmx_with_the_new_token(page, sign_in, cast):
    hand_over(cast.family, cast.teammate, by=cast.manager)
    sign_in(cast.teammate)
    mark_read = page.get_by_role("button", name=re.compile(rf"^Mark read\W+{cast.family.reference}$"))
    expect(mark_read).to_be_visible()
    token_script = "() => JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken']"
    old_token = page.evaluate(token_script)

    Session.objects.all().delete()
    mark_read.click()
    dialog = page.get_by_role("dialog", name="Sign in again")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Password").fill(PASSWORD)
    dialog.get_by_label(CODE_LABEL).fill(usable_code(app_device(cast.teammate)))
    dialog.get_by_role("button", name="Sign in and save").click()

    expect(mark_read).to_have_count(0)  # htmx swapped the hand-over out: the page itself stayed
    assert Handover.objects.get().read_at is not None
    new_token = page.evaluate(token_script)
    assert new_token != old_token
    assert page.locator("input[name=csrfmiddlewaretoken]").first.input_value() == new_token


def test_typing_keeps_the_sign_in_alive(page, sign_in, cast, settings):
    settings.SESSION_KEEPALIVE_SECONDS = 1
    sign_in(cast.key_worker)
    page.goto(reverse("families:contact_log", args=[cast.family.pk]))
    session = Session.objects.get()
    expires_before = session.expire_date

    with page.expect_request(is_keep_alive) as keep_alive:
        page.get_by_label("What was discussed").press_sequentially("Talked through the school's call", delay=100)

    response = keep_alive.value.response()
    assert response.status == 200
    assert response.json()["signed_in"] is True
    session.refresh_from_db()
    assert session.expire_date > expires_before


def test_a_warning_shows_before_an_idle_sign_out_and_stay_signed_in_keeps_it(page, sign_in, cast, settings):
    # The warning shows two minutes before the idle limit: with 2 minutes 2 seconds, two seconds after the page loads.
    settings.SESSION_COOKIE_AGE = 122
    settings.SESSION_KEEPALIVE_SECONDS = 1
    sign_in(cast.key_worker)
    page.goto(reverse("families:contact_log", args=[cast.family.pk]))
    loaded = datetime.datetime.now(tz=datetime.UTC)

    dialog = page.get_by_role("dialog", name="You will be signed out soon")
    expect(dialog).to_be_visible()
    times = {london_clock(loaded + datetime.timedelta(seconds=seconds)) for seconds in (118, 122, 126)}
    text = dialog.get_by_role("alert").inner_text()
    assert text in {f"You will be signed out at {time} unless you carry on." for time in times}
    stay = dialog.get_by_role("button", name="Stay signed in")
    expect(stay).to_be_focused()
    problems = {"idle warning": blocking_violations(page)}
    screenshot(page, "session_idle_warning")

    with page.expect_request(is_keep_alive) as keep_alive:
        stay.click()
    assert keep_alive.value.response().status == 200
    expect(dialog).to_be_hidden()

    # Two seconds later it is near again. Escape closes it, and counts as carrying on: the sign-in is kept.
    expect(dialog).to_be_visible()
    with page.expect_request(is_keep_alive) as keep_alive:
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
    assert keep_alive.value.response().status == 200
    assert not any(problems.values()), "Serious accessibility problems found by axe:\n" + describe(problems)


def test_a_warning_shows_before_the_absolute_end_of_the_sign_in(page, sign_in, cast):
    sign_in(cast.key_worker)
    # Signed in about nine hours and 55 minutes ago: five minutes are left of the ten hours.
    store = SessionStore(session_key=Session.objects.get().session_key)
    # The end half-way through a minute, so that the minute shown cannot be one either side.
    ends = (datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(minutes=5)).replace(second=30, microsecond=0)
    signed_in_at = ends - datetime.timedelta(hours=10)
    store[sessions.SIGNED_IN_AT] = signed_in_at.timestamp()
    store.save()
    page.goto(reverse("families:contact_log", args=[cast.family.pk]))

    dialog = page.get_by_role("dialog", name="Your sign-in ends soon")
    expect(dialog).to_be_visible()
    day = "today" if ends.astimezone(LONDON).date() == datetime.datetime.now(tz=LONDON).date() else "tomorrow"
    expected = f"Your sign-in ends at {london_clock(ends)} {day}. Save your work now."
    expect(dialog.get_by_role("alert")).to_have_text(expected)
    problems = {"absolute end warning": blocking_violations(page)}
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert not any(problems.values()), "Serious accessibility problems found by axe:\n" + describe(problems)
