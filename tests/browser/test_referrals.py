"""Journeys through the referral and overdue-queue pages in Chromium.

A caseworker records a referral to children's social care and what happened next; a manager works
through the overdue queue: filters it, acknowledges a flag, escalates it, and downloads it as CSV.
Then axe looks at every page of both journeys.

Dates are worked out from today, so the tests pass whatever day they run on. The expected working
days are counted here with the ``holidays`` package directly, not with the code under test.
"""

import csv
import datetime
import io
import re
from zoneinfo import ZoneInfo

import holidays
import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import dateformat, timezone
from playwright.sync_api import expect

from deadlines import services as deadline_services
from deadlines.models import Deadline, OverdueFlag
from families.models import LocalAuthority
from referrals import services as referral_services
from referrals.models import Escalation, Milestone, MilestoneRecord, Referral
from staff.models import User
from tests.browser.dates import date_group, fill_date, shown_date
from tests.browser.test_journeys import blocking_violations, describe, long_date, screenshot
from tests.factories import ChildFactory, FamilyFactory, PersonFactory, RelationshipFactory

pytestmark = pytest.mark.browser

LONDON = ZoneInfo("Europe/London")
BIRMINGHAM, LEEDS = "E08000025", "E08000035"
CSV_HEADER = [
    "Family reference",
    "What is late",
    "Local authority",
    "Team",
    "Key worker",
    "Due date",
    "Working days late",
    "Level",
    "Acknowledged by",
    "Acknowledged at",
    "Note",
]
ACK_NOTE = "Rang the Birmingham duty team; decision promised by Friday"
MANAGER_NAME = "Samuel Chambers"
SENT_TO = "Team manager, Birmingham children's advice and support service"


# ------------------------------------------------------------------ working days, counted independently


def _bank_holidays(*years):
    return holidays.country_holidays("GB", subdiv="ENG", years=years)


def is_working_day(day):
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def working_day_after(day, count):
    """The count-th working day (England) after ``day``."""
    while count:
        day += datetime.timedelta(days=1)
        count -= is_working_day(day)
    return day


def working_day_before(day, count):
    while count:
        day -= datetime.timedelta(days=1)
        count -= is_working_day(day)
    return day


def working_days_after(start, end):
    """How many working days d have start < d <= end."""
    return sum(is_working_day(start + datetime.timedelta(days=n)) for n in range(1, (end - start).days + 1))


def expected_due_text(due_day, today):
    """What the pages say about a deadline due by the end of ``due_day``, seen today."""
    if due_day < today:
        late = working_days_after(due_day, today)
        return f"{late} working day{'' if late == 1 else 's'} overdue" if late else "Overdue"
    left = working_days_after(today, due_day)
    return f"Due in {left} working day{'' if left == 1 else 's'}" if left else "Due today"


def at_london(day, hour, minute=0):
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=LONDON)


def end_of_london_day(day):
    return datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(), tzinfo=LONDON)


def long_weekday_date(day):
    """A date as the referral page shows a due day, e.g. "Tuesday 5 Mar 2025"."""
    return dateformat.format(day, "l j M Y")


# ------------------------------------------------------------------ arranging


def overdue_referral(family, child, authority, made_by):
    """A referral made (through the service, as the page would) about 10 working days ago."""
    made_on = working_day_before(timezone.localdate(), 10)
    referral = Referral(local_authority=authority, referred_by=Referral.ReferredBy.CHARITY)
    return referral_services.referral_create(
        user=made_by,
        family=family,
        referral=referral,
        children=[child],
        referral_made_at=at_london(made_on, 10),
    )


def leeds_family(cast):
    """A second family of the manager's team, referred to Leeds."""
    family = FamilyFactory(
        team=cast.family.team,
        key_worker=cast.teammate,
        postcode="LS1 4AP",
        local_authority=LocalAuthority.objects.get(code=LEEDS),
    )
    carer = PersonFactory(family=family, first_name="Samira", last_name="Haddad")
    child = ChildFactory(family=family, first_name="Idris", last_name="Haddad")
    RelationshipFactory(carer=carer, child=child)
    return family, child


def family_member_names(*families):
    return {
        name
        for family in families
        for person in family.people.all()
        for name in (person.first_name, person.last_name, person.full_name)
    }


# ------------------------------------------------------------------ 1. the caseworker


def test_key_worker_records_a_referral_and_what_happened(page, sign_in, cast):
    birmingham = LocalAuthority.objects.get(code=BIRMINGHAM)
    today = timezone.localdate()
    # A working day a few days ago; the decision was due by the end of the next working day.
    made_on = today - datetime.timedelta(days=4)
    while not is_working_day(made_on):
        made_on -= datetime.timedelta(days=1)
    decision_due_on = working_day_after(made_on, 1)

    sign_in(cast.key_worker)
    page.goto(cast.family.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_contain_text(cast.family.reference)
    page.get_by_role("link", name="Record a referral").click()
    page.wait_for_url(f"**{reverse('referrals:create', args=[cast.family.pk])}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Record a referral to children's social care")

    # The family's only child is ticked already.
    expect(page.get_by_role("checkbox", name="Tyler Okafor")).to_be_checked()
    # The authority starts as the family's own; this referral went to Birmingham.
    authority = page.get_by_label("Local authority")
    expect(authority).to_have_value(str(cast.family.local_authority_id))
    authority.focus()
    page.keyboard.type("Birmingham")  # type-ahead in a closed select
    expect(authority).to_have_value(str(birmingham.pk))
    referred_by = page.get_by_label("Referred by")
    referred_by.focus()
    page.keyboard.type("Our")
    expect(referred_by).to_have_value(Referral.ReferredBy.CHARITY)
    made_at = fill_date(page, "When the referral was made", at_london(made_on, 10, 30))
    screenshot(page, "referral_form")
    made_at.get_by_label("Time").press("Control+Enter")

    page.wait_for_url(re.compile(r"/families/\d+/referrals/\d+/$"))
    expect(page.get_by_role("status")).to_contain_text("Referral recorded.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Referral to Birmingham children's social care")
    due_state = expected_due_text(decision_due_on, today)
    expect(page.get_by_text("Decision on the referral: due by the end of")).to_have_text(
        f"Decision on the referral: due by the end of {long_weekday_date(decision_due_on)}. {due_state}",
        use_inner_text=True,
    )
    timeline = page.get_by_role("region", name="Timeline")
    expect(timeline.get_by_role("heading", name="Due: Decision on the referral")).to_contain_text(due_state)
    expect(timeline.get_by_role("heading", name="Referral made")).to_contain_text(long_date(made_on))
    screenshot(page, "referral_page")

    referral = Referral.objects.get(family=cast.family)
    assert referral.local_authority == birmingham
    assert referral.referred_by == Referral.ReferredBy.CHARITY
    assert list(referral.children.all()) == [cast.child]
    assert referral.created_by == cast.key_worker

    record = page.get_by_role("link", name="Record what happened")
    record.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{reverse('referrals:milestone', args=[cast.family.pk, referral.pk])}")
    what = page.get_by_label("What happened")
    expect(what).to_have_value(Milestone.DECISION)  # the next thing due is offered first
    what.focus()
    page.keyboard.type("Referral ack")
    expect(what).to_have_value(Milestone.ACKNOWLEDGED)
    when = fill_date(page, "When", at_london(made_on, 14, 15))
    when.get_by_label("Time").press("Control+Enter")

    page.wait_for_url(f"**{referral.get_absolute_url()}")
    expect(page.get_by_role("status")).to_contain_text("Milestone recorded.")
    expect(timeline.get_by_role("heading", name="Referral acknowledged")).to_have_text(
        f"{long_date(made_on)} · Referral acknowledged"
    )
    # Acknowledging is not the decision: that is still what is due.
    expect(timeline.get_by_role("heading", name="Due: Decision on the referral")).to_be_visible()

    records = MilestoneRecord.objects.filter(referral=referral)
    assert list(records.values_list("milestone", "occurred_at", "recorded_by")) == [
        (Milestone.REFERRAL_MADE, at_london(made_on, 10, 30), cast.key_worker.pk),
        (Milestone.ACKNOWLEDGED, at_london(made_on, 14, 15), cast.key_worker.pk),
    ]
    referral.refresh_from_db()
    assert referral.next_milestone == Milestone.DECISION
    assert referral.next_due_at == end_of_london_day(decision_due_on)


# ------------------------------------------------------------------ 2. the manager


def test_manager_filters_acknowledges_escalates_and_exports_the_overdue_queue(page, sign_in, cast):
    birmingham = LocalAuthority.objects.get(code=BIRMINGHAM)
    leeds = LocalAuthority.objects.get(code=LEEDS)
    other_family, other_child = leeds_family(cast)
    to_birmingham = overdue_referral(cast.family, cast.child, birmingham, cast.key_worker)
    overdue_referral(other_family, other_child, leeds, cast.teammate)
    run = deadline_services.raise_overdue_flags()
    assert run.flagged == 2
    flag = OverdueFlag.objects.get(family=cast.family)
    today = timezone.localdate()
    decision_due_on = working_day_after(working_day_before(today, 10), 1)
    late = working_days_after(decision_due_on, today)

    sign_in(cast.manager)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Overdue queue").click()
    page.wait_for_url(f"**{reverse('deadlines:queue')}")
    expect(page.get_by_role("heading", name="Overdue queue", level=1)).to_be_visible()
    table = page.get_by_role("table")
    expect(table.locator("caption")).to_contain_text("2 overdue flags")
    birmingham_row = table.get_by_role("row").filter(has_text=cast.family.reference)
    leeds_row = table.get_by_role("row").filter(has_text=other_family.reference)
    expect(birmingham_row).to_contain_text("Birmingham")
    expect(birmingham_row).to_contain_text("Decision on the referral")
    expect(birmingham_row).to_contain_text(f"{late} working days")
    expect(birmingham_row).to_contain_text(long_date(decision_due_on))
    expect(leeds_row).to_contain_text("Leeds")

    filters = page.get_by_role("form", name="Filter the queue")
    authority = filters.get_by_label("Local authority")
    authority.focus()
    page.keyboard.type("Birm")
    expect(authority).to_have_value(str(birmingham.pk))
    filters.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(rf"local_authority={birmingham.pk}"))
    expect(table.locator("caption")).to_contain_text("1 overdue flag,")
    expect(birmingham_row).to_have_count(1)
    expect(leeds_row).to_have_count(0)

    page.get_by_role("checkbox", name=f"Decision on the referral for family {cast.family.reference}").check()
    page.get_by_label("Note").fill(ACK_NOTE)
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_role("status").filter(has_text="acknowledged")).to_contain_text("1 flag acknowledged.")
    assert f"local_authority={birmingham.pk}" in page.url  # the filter is kept
    expect(birmingham_row).to_contain_text(f"By {cast.manager.full_name}, {long_date(today)}")
    expect(birmingham_row).to_contain_text(ACK_NOTE)
    flag.refresh_from_db()
    assert (flag.acknowledged_by, flag.acknowledgement_note) == (cast.manager, ACK_NOTE)
    screenshot(page, "overdue_queue")

    birmingham_row.get_by_role("link", name="Record an escalation").click()
    page.wait_for_url(f"**{reverse('referrals:flag_escalate', args=[flag.pk])}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Record an escalation")
    kind = page.get_by_label("What was sent")
    kind.focus()
    page.keyboard.type("Formal complaint, stage 1")
    expect(kind).to_have_value(Escalation.Kind.COMPLAINT_1)
    sent_to = page.get_by_label("Sent to")
    sent_to.fill(SENT_TO)
    sent_at_default = shown_date(page, "When it was sent")  # now, kept as it is
    screenshot(page, "escalate")
    sent_to.press("Control+Enter")

    page.wait_for_url(re.compile(r"/overdue/$"))
    expect(page.get_by_role("status").filter(has_text="recorded")).to_contain_text(
        f"Formal complaint, stage 1 recorded for family {cast.family.reference}."
    )
    escalation = Escalation.objects.get()
    assert (escalation.referral, escalation.flag, escalation.created_by) == (to_birmingham, flag, cast.manager)
    assert (escalation.kind, escalation.to_whom) == (Escalation.Kind.COMPLAINT_1, SENT_TO)
    sent_at = escalation.sent_at.astimezone(LONDON)
    assert f"{sent_at.day}/{sent_at.month}/{sent_at.year} {sent_at:%H:%M}" == sent_at_default
    response = Deadline.objects.get(
        subject_type=ContentType.objects.get_for_model(Escalation), subject_id=escalation.pk
    )
    assert response.kind == "escalation:response"
    assert response.allowance == "10 working days"
    assert response.due_at == end_of_london_day(working_day_after(sent_at.date(), 10))
    assert not OverdueFlag.objects.filter(deadline=response).exists()

    # The redirect came back unfiltered: filter again, then download what is shown.
    authority.select_option(str(birmingham.pk))
    filters.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(rf"local_authority={birmingham.pk}"))
    expect(leeds_row).to_have_count(0)
    with page.expect_download() as info:
        page.get_by_role("link", name="Download as a spreadsheet (CSV)").click()
    download = info.value
    assert download.suggested_filename == f"overdue-queue-{today:%Y-%m-%d}.csv"
    with open(download.path(), encoding="utf-8", newline="") as file:
        content = file.read()
    lines = list(csv.reader(io.StringIO(content)))
    assert lines[0] == CSV_HEADER
    assert len(lines) == 2, lines  # one flag in the filter
    row = dict(zip(CSV_HEADER, lines[1], strict=True))
    assert row["Family reference"] == cast.family.reference
    assert row["What is late"] == "Decision on the referral"
    assert row["Local authority"] == "Birmingham"
    assert row["Key worker"] == cast.key_worker.full_name
    assert row["Due date"] == f"{decision_due_on:%d/%m/%Y}"
    assert row["Working days late"] == str(late)
    assert row["Acknowledged by"] == cast.manager.full_name
    assert row["Note"] == ACK_NOTE
    assert other_family.reference not in content
    for name in family_member_names(cast.family, other_family):
        assert name not in content, f"{name!r}, a family member's name, is in the CSV"


# ------------------------------------------------------------------ 3. accessibility


def test_referral_and_queue_pages_have_no_serious_accessibility_problems(page, sign_in, cast):
    birmingham = LocalAuthority.objects.get(code=BIRMINGHAM)
    referral = overdue_referral(cast.family, cast.child, birmingham, cast.key_worker)
    other_family, other_child = leeds_family(cast)
    overdue_referral(other_family, other_child, LocalAuthority.objects.get(code=LEEDS), cast.teammate)
    made_on = timezone.localdate(referral.milestones.get().occurred_at)
    referral_services.referral_record_milestone(
        user=cast.key_worker,
        referral=referral,
        milestone=Milestone.ACKNOWLEDGED,
        occurred_at=at_london(made_on, 15),
        note="Acknowledged by e-mail from the front door",
    )
    deadline_services.raise_overdue_flags()
    flag = OverdueFlag.objects.get(family=cast.family)
    # A name of ordinary length, fixed: the navigation bar's width, and so axe's finding, must not
    # depend on how long a name Faker picked.
    User.objects.filter(pk=cast.manager.pk).update(full_name=MANAGER_NAME)
    problems = {}

    sign_in(cast.manager)

    page.goto(reverse("referrals:create", args=[cast.family.pk]))
    expect(page.get_by_role("heading", level=1)).to_have_text("Record a referral to children's social care")
    problems["referral form"] = blocking_violations(page)

    page.goto(referral.get_absolute_url())
    expect(page.get_by_role("region", name="Overdue flags")).to_contain_text("Decision on the referral")
    problems["referral page"] = blocking_violations(page)

    page.goto(reverse("referrals:milestone", args=[cast.family.pk, referral.pk]))
    expect(page.get_by_label("What happened")).to_have_value(Milestone.DECISION)
    date_group(page, "When").get_by_label("Day").press("Control+Enter")  # the decision itself not chosen
    decision = page.get_by_label("Decision", exact=True)
    expect(decision).to_have_attribute("aria-invalid", "true")
    expect(decision).to_have_accessible_description(re.compile(r"Choose what children's social care decided\."))
    expect(page.locator("#div_id_decision .invalid-feedback")).to_have_text(
        "Choose what children's social care decided."
    )
    problems["milestone form with an error"] = blocking_violations(page)
    screenshot(page, "milestone_form_errors")

    page.goto(reverse("referrals:chronology", args=[cast.family.pk, referral.pk]))
    expect(page.get_by_role("table")).to_contain_text("Referral acknowledged")
    problems["printable chronology"] = blocking_violations(page)
    screenshot(page, "chronology")

    page.goto(reverse("deadlines:queue"))
    expect(page.get_by_role("table").locator("caption")).to_contain_text("2 overdue flags")
    problems["overdue queue"] = blocking_violations(page)

    page.goto(reverse("referrals:flag_escalate", args=[flag.pk]))
    expect(page.get_by_role("heading", level=1)).to_have_text("Record an escalation")
    problems["escalate page"] = blocking_violations(page)

    page.goto(reverse("deadlines:notifications"))
    # Unread digests, with the link (on the highlighted background) to the queue.
    expect(page.get_by_role("listitem").filter(has_text="deadlines for your families")).not_to_have_count(0)
    problems["notifications"] = blocking_violations(page)
    screenshot(page, "notifications")

    page.goto(reverse("referrals:figures"))
    expect(page.get_by_role("table")).to_contain_text("Birmingham")
    expect(page.locator("p.method")).to_contain_text(
        "Children whose referral is still waiting count for as long as they have waited so far"
    )
    problems["delay figures"] = blocking_violations(page)
    screenshot(page, "figures")

    page.get_by_role("link", name="Printable version").click()
    expect(page.get_by_role("table")).to_contain_text("Birmingham")
    expect(page.get_by_role("button", name="Print")).to_be_visible()
    problems["delay figures to print"] = blocking_violations(page)

    page.goto(reverse("referrals:thresholds"))
    expect(page.get_by_role("table")).to_contain_text("Working Together")
    problems["thresholds"] = blocking_violations(page)

    assert not any(problems.values()), "Serious accessibility problems found by axe:\n" + describe(problems)
