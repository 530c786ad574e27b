"""The call form in Chromium: it opens ready to type, its timer fills the duration, the panel beside it
says how to get in touch safely, and Enter in a one-line box never saves a half-written call. Then
putting a logged call right, and undoing "Mark done"."""

import datetime

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from families.models import Contact, ContactRevision, FollowUp
from tests.browser.test_journeys import blocking_violations, describe, screenshot
from tests.factories import ContactFactory, FamilyFactory, FollowUpFactory, support_category

pytestmark = pytest.mark.browser

LAST_CALL = "Joanne said Tyler had been picked up from school by an older boy in a grey car."
NOTE = "Joanne rang after the strategy meeting; we went through what the police said."


def earlier_call(cast, **fields):
    contact = ContactFactory(
        family=cast.family, worker=cast.teammate, spoke_with=cast.carer, summary=LAST_CALL, duration_minutes=20,
        occurred_at=datetime.datetime.now(datetime.UTC).replace(second=0, microsecond=0) - datetime.timedelta(days=2),
        **fields,
    )
    contact.support_given.set([support_category("listening")])
    return contact


def test_the_call_form_opens_warm_and_its_timer_fills_the_duration(page, sign_in, cast):
    cast.family.voicemail_ok = False
    cast.family.safe_contact_times = "After 6pm, when her partner is at work"
    cast.family.save()
    earlier_call(cast)
    page.clock.install()
    sign_in(cast.key_worker)
    page.goto(reverse("families:contact_log", args=[cast.family.pk]))

    spoke_with = page.get_by_label("Who we spoke with")
    expect(spoke_with).to_be_focused()
    expect(spoke_with).to_have_value(str(cast.carer.pk))

    panel = page.get_by_role("complementary", name=f"About {cast.family.reference}")
    expect(panel).to_contain_text("Joanne Okafor: Mother of Tyler")
    expect(panel.get_by_role("region", name="Getting in touch safely")).to_contain_text("Do not leave voicemail")
    expect(panel).to_contain_text("After 6pm, when her partner is at work")
    last_call = panel.get_by_role("region", name="Last call")
    expect(last_call).to_contain_text(LAST_CALL)
    expect(last_call).to_contain_text(f"by {cast.teammate}, with Joanne Okafor")

    timer = page.get_by_role("timer")
    expect(timer).to_have_attribute("aria-live", "off")
    expect(timer).to_have_text("Call time 0:00")
    duration = page.get_by_label("Duration (minutes)")
    expect(duration).to_have_value("1")  # at least a minute from the start
    page.clock.run_for("12:04")
    expect(timer).to_have_text("Call time 12:04")
    expect(duration).to_have_value("12")
    screenshot(page, "call_form_warm")

    # Paused, the timer and the duration stand still; resumed, they go on from there.
    page.get_by_role("button", name="Pause timer").click()
    page.clock.run_for("05:00")
    expect(timer).to_have_text("Call time 12:04")
    page.get_by_role("button", name="Resume timer").click()
    page.clock.run_for("01:00")
    expect(timer).to_have_text("Call time 13:04")
    expect(duration).to_have_value("13")

    # A duration the worker types is theirs: the timer no longer changes it.
    duration.fill("30")
    page.clock.run_for("02:00")
    expect(timer).to_have_text("Call time 15:04")
    expect(duration).to_have_value("30")

    page.get_by_label("What was discussed").fill(NOTE)
    page.keyboard.press("Control+Enter")
    page.wait_for_url(f"**{cast.family.get_absolute_url()}")
    contact = Contact.objects.get(summary=NOTE)
    assert (contact.duration_minutes, contact.spoke_with, contact.worker) == (30, cast.carer, cast.key_worker)


def test_the_timer_fills_a_duration_left_to_it(page, sign_in, cast):
    page.clock.install()
    sign_in(cast.key_worker)
    page.goto(reverse("families:contact_log", args=[cast.family.pk]))
    page.clock.run_for("07:30")
    expect(page.get_by_label("Duration (minutes)")).to_have_value("7")
    page.get_by_label("What was discussed").fill(NOTE)
    page.keyboard.press("Control+Enter")
    page.wait_for_url(f"**{cast.family.get_absolute_url()}")
    assert Contact.objects.get().duration_minutes == 7


def test_enter_in_a_one_line_box_does_not_save_and_ctrl_enter_does(page, sign_in, cast):
    sign_in(cast.key_worker)
    url = reverse("families:contact_log", args=[cast.family.pk])
    page.goto(url)
    posts = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)

    page.get_by_label("What was discussed").fill(NOTE)
    description = page.get_by_label("Follow-up", exact=True)
    description.fill("Ring Joanne on Friday")
    description.press("Enter")
    page.get_by_label("Duration (minutes)").press("Enter")
    page.locator("input[name=follow_up-due_on_day]").press("Enter")
    # Give a submit time to start, were one coming: nothing is sent, nothing is saved, nothing is lost.
    page.wait_for_timeout(500)
    assert posts == []
    assert not Contact.objects.exists()
    assert page.url.endswith(url)
    expect(description).to_have_value("Ring Joanne on Friday")
    expect(page.get_by_label("What was discussed")).to_have_value(NOTE)

    # Enter in the summary is a new line, not a save.
    page.get_by_label("What was discussed").press("End")
    page.get_by_label("What was discussed").press("Enter")
    page.wait_for_timeout(200)
    assert posts == []

    description.press("Control+Enter")
    # The follow-up has no date: the form comes back with the message, and everything typed.
    expect(page.locator("#div_id_follow_up-due_on .invalid-feedback")).to_be_visible()
    assert any(post.endswith(url) for post in posts)
    assert not Contact.objects.exists()
    expect(description).to_have_value("Ring Joanne on Friday")
    description.fill("")
    page.get_by_label("What was discussed").press("Control+Enter")
    page.wait_for_url(f"**{cast.family.get_absolute_url()}")
    assert Contact.objects.get().summary.startswith(NOTE)
    assert not FollowUp.objects.exists()


def test_amend_a_call_and_read_its_history(page, sign_in, cast):
    contact = earlier_call(cast)
    sign_in(cast.key_worker)
    page.goto(cast.family.get_absolute_url())
    timeline = page.get_by_role("region", name="Timeline")
    timeline.get_by_role("link", name="Amend").click()
    page.wait_for_url(f"**{reverse('families:call_amend', args=[cast.family.pk, contact.pk])}")
    expect(page.get_by_label("Who we spoke with")).to_be_focused()

    summary = page.get_by_label("What was discussed")
    summary.fill(LAST_CALL + " She had the registration and passed it to the police.")
    page.get_by_label("Why it is being changed (optional)").fill("Added what she did next.")
    summary.press("Control+Enter")
    page.wait_for_url(f"**{contact.get_absolute_url()}")

    expect(page.get_by_role("status")).to_contain_text("Call amended.")
    history = page.get_by_role("region", name="History of this call")
    expect(history).to_contain_text(f"Amended by {cast.key_worker} on")
    expect(history).to_contain_text("what was discussed. Why: Added what she did next.")
    expect(history.get_by_role("group")).to_contain_text(LAST_CALL)  # the earlier text, readable
    expect(page.locator(".card")).to_contain_text("passed it to the police")
    assert ContactRevision.objects.get().summary == LAST_CALL
    screenshot(page, "call_history")


def test_undo_mark_done(page, sign_in, cast):
    FollowUpFactory(family=cast.family, owner=cast.key_worker, description="Ring the school")
    sign_in(cast.key_worker)
    page.goto(cast.family.get_absolute_url())
    page.get_by_role("button", name="Mark done").click()
    status = page.get_by_role("status")
    expect(status).to_contain_text("Marked done: Ring the school.")
    assert FollowUp.objects.get().is_done
    status.get_by_role("button", name="Undo").click()
    expect(page.get_by_role("status")).to_contain_text("No longer marked done: Ring the school.")
    follow_ups = page.get_by_role("region", name="Follow-ups")
    expect(follow_ups.get_by_role("button", name="Mark done")).to_be_visible()
    follow_up = FollowUp.objects.get()
    assert (follow_up.done_at, follow_up.done_by) == (None, None)

    # The family page's own Undo, on a follow-up done earlier.
    follow_ups.get_by_role("button", name="Mark done").click()
    page.get_by_role("region", name="Follow-ups").get_by_role("button", name="Undo").click()
    expect(page.get_by_role("status")).to_contain_text("No longer marked done")
    assert not FollowUp.objects.get().is_done


def test_call_pages_have_no_serious_accessibility_problems(page, sign_in, cast):
    cast.family.voicemail_ok = False
    cast.family.save()
    contact = earlier_call(cast)
    ContactRevision.objects.create(contact=contact, family=cast.family, kind=ContactRevision.Kind.AMEND,
                                   changed_by=cast.teammate, changed_fields=["summary"], summary="What it said first",
                                   reason="Added the car's colour.")
    struck = earlier_call(cast, handle_with_care=True)
    problems = {}
    sign_in(cast.key_worker)

    page.goto(reverse("families:contact_log", args=[cast.family.pk]))
    expect(page.get_by_role("timer")).to_be_visible()
    problems["call form"] = blocking_violations(page)

    page.goto(contact.get_absolute_url())
    expect(page.get_by_role("region", name="History of this call")).to_contain_text("What it said first")
    problems["call page with history"] = blocking_violations(page)

    page.goto(reverse("families:call_amend", args=[cast.family.pk, contact.pk]))
    problems["amend form"] = blocking_violations(page)

    page.goto(reverse("families:call_move", args=[cast.family.pk, contact.pk]))
    problems["move form"] = blocking_violations(page)
    page.get_by_label("The family it belongs to").fill(FamilyFactory().reference)
    page.get_by_label("Why it is being moved").press("Control+Enter")
    expect(page.locator(".invalid-feedback").first).to_be_visible()
    problems["move form with errors"] = blocking_violations(page)
    screenshot(page, "call_move")

    page.goto(reverse("families:call_strike", args=[cast.family.pk, struck.pk]))
    problems["strike form"] = blocking_violations(page)
    page.get_by_label("Why it is being struck through").fill("Logged twice.")
    page.get_by_role("button", name="Strike through").click()
    page.wait_for_url(f"**{struck.get_absolute_url()}")
    expect(page.locator("del")).to_be_attached()
    problems["struck-through call"] = blocking_violations(page)
    screenshot(page, "call_struck")

    page.goto(cast.family.get_absolute_url())
    expect(page.get_by_role("region", name="Timeline")).to_contain_text("Struck through: Phone with Joanne Okafor")
    problems["family page with a struck-through call"] = blocking_violations(page)

    assert not any(problems.values()), "Serious accessibility problems found by axe:\n" + describe(problems)
