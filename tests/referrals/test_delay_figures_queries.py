"""The delay figures are counted in the database: each referral's working days are worked out in the
query and only counts per authority, working days and outcome come back. Here the figures are
checked against the rule applied referral by referral in Python (core.working_days for the working
days, referrals.survival.kaplan_meier for the estimate) on generated data: weekends, bank holidays
and the changes made to them here, the four nations, steps recorded on a bank holiday, before the
referral or after now, referrals closed without a step, and those still waiting. The test suite runs
on SQLite and PostgreSQL, so both dialects of the query are checked."""

import datetime
import random
from collections import Counter, defaultdict
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from core import working_days
from core.working_days import Calendar, CalendarChange, is_working_day, working_days_between
from families.models import LocalAuthority
from referrals.figures import (
    DECISIONS_CALLING_FOR_ASSESSMENT,
    PERCENTILE,
    Period,
    _working_day_number,
    delay_figures,
    follow_up_counts,
)
from referrals.models import Milestone, MilestoneRecord, Referral, SocialWorkerAllocation
from referrals.survival import kaplan_meier
from tests.factories import FamilyFactory, LocalAuthorityFactory, TeamFactory

LONDON = ZoneInfo("Europe/London")

# Changes made here on top of the library's days: a one-off Scottish holiday, the English early May
# bank holiday withdrawn, and a Saturday "added" in Northern Ireland (weekends never count).
CHANGES = [
    CalendarChange(Calendar.SCOTLAND, datetime.date(2026, 3, 10), added=True),
    CalendarChange(Calendar.ENGLAND_AND_WALES, datetime.date(2026, 5, 4), added=False),
    CalendarChange(Calendar.NORTHERN_IRELAND, datetime.date(2026, 2, 14), added=True),
]


@pytest.fixture
def calendar_with_changes():
    working_days.install_changes(CHANGES)


def days_from(first, last):
    return [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]


# Christmas and New Year, St Patrick's Day and Easter, the changed days, the summer holidays.
SPANS = [(datetime.date(2025, 12, 20), datetime.date(2026, 1, 6)),
         (datetime.date(2026, 2, 12), datetime.date(2026, 2, 16)),
         (datetime.date(2026, 3, 8), datetime.date(2026, 3, 19)),
         (datetime.date(2026, 4, 1), datetime.date(2026, 4, 8)),
         (datetime.date(2026, 5, 1), datetime.date(2026, 5, 6)),
         (datetime.date(2026, 7, 10), datetime.date(2026, 7, 14)),
         (datetime.date(2026, 8, 1), datetime.date(2026, 9, 1))]
NATIONS = ["england", "wales", "scotland", "northern_ireland"]


def working_day_numbers(days, nation):
    """The query's working-day number of each day, worked out by the database in use."""
    holidays = {calendar: working_days.weekday_bank_holidays_between(calendar, days[0], days[-1])
                for calendar in Calendar}
    number, params = _working_day_number("day", "nation", holidays, connection.vendor)
    day = "CAST(%s AS date)" if connection.vendor == "postgresql" else "%s"
    rows = " UNION ALL ".join(f"SELECT {day} AS day, %s AS nation" for _ in days)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {number} FROM ({rows}) AS days",  # noqa: S608 - test SQL, no input
                       [*params, *[value for day in days for value in (day, nation)]])
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db
@pytest.mark.usefixtures("calendar_with_changes")
@pytest.mark.parametrize("nation", NATIONS)
def test_working_day_numbers_differ_by_working_days_between(nation):
    """For every pair of days in the spans, the difference of the query's numbers is
    working_days_between's count: a step on a weekend or bank holiday counts as the next working
    day's wait, the changes made here included."""
    days = sorted({day for first, last in SPANS for day in days_from(first, last)})
    numbers = dict(zip(days, working_day_numbers(days, nation), strict=True))
    for start in days:
        for end in days:
            if end >= start:
                moment = datetime.datetime.combine(start, datetime.time(12), tzinfo=LONDON)
                later = datetime.datetime.combine(end, datetime.time(12), tzinfo=LONDON)
                assert numbers[end] - numbers[start] == working_days_between(moment, later, nation), (start, end)
    # The days the changes are about, checked one by one.
    scottish_one_off, english_may_day = datetime.date(2026, 3, 10), datetime.date(2026, 5, 4)
    before = datetime.timedelta(days=1)
    assert numbers[scottish_one_off] - numbers[scottish_one_off - before] == (nation != "scotland")
    assert numbers[english_may_day] - numbers[english_may_day - before] == (nation in ("england", "wales"))
    assert is_working_day(english_may_day, "england") and not is_working_day(english_may_day, "scotland")


# ------------------------------------------------------------------ the figures against the rule


def figures_referral_by_referral(*, team_ids, local_authority_ids, start, end, now):
    """{authority id: the figures}, each referral's follow-up worked out in Python: the rule
    delay_figures applies, written out independently of it."""
    referrals = referrals_in_scope(team_ids=team_ids, local_authority_ids=local_authority_ids).select_related(
        "local_authority").prefetch_related("milestones", "social_workers")
    first, after = (datetime.datetime.combine(day, datetime.time(), tzinfo=LONDON)
                    for day in (start, end + datetime.timedelta(days=1)))
    follow_ups, figures = defaultdict(lambda: {"decision": [], "assessment": []}), {}
    for referral in referrals:
        authority = referral.local_authority
        row = figures.setdefault(authority.pk, {"name": authority.name, "referrals": 0, "allocations": 0,
                                                "open": 0, "overdue": 0})
        if referral.status == Referral.Status.OPEN:
            row["open"] += 1
            row["overdue"] += referral.next_due_at is not None and referral.next_due_at < now
        at = {record.milestone: record.occurred_at for record in referral.milestones.all()}
        made = at.get(Milestone.REFERRAL_MADE)
        if made is None or not first <= made < after:
            continue
        row["referrals"] += 1
        row["allocations"] += len(referral.social_workers.all())
        closed = at.get(Milestone.CLOSED)
        steps = {"decision": at.get(Milestone.DECISION), "assessment": at.get(Milestone.ASSESSMENT_COMPLETED)}
        for step, step_at in steps.items():
            if step == "assessment" and step_at is None and referral.decision not in DECISIONS_CALLING_FOR_ASSESSMENT:
                continue
            reached = step_at is not None and step_at <= now
            ends = step_at if reached else closed if closed is not None and closed < now else now
            waiting = not reached and referral.status == Referral.Status.OPEN and closed is None
            days = max(0, working_days_between(made, ends, authority.nation))
            follow_ups[authority.pk][step].append((days, reached, waiting))
    for authority_id, steps in follow_ups.items():
        for step, followed in steps.items():
            if followed:
                curve = kaplan_meier([days for days, _, _ in followed], [reached for _, reached, _ in followed])
                figures[authority_id][step] = (len(followed), curve.events, sum(waiting for *_, waiting in followed),
                                               curve.median(), curve.percentile(PERCENTILE))
    counts = {(authority_id, step): Counter(followed)
              for authority_id, steps in follow_ups.items() for step, followed in steps.items() if followed}
    return {authority_id: row for authority_id, row in figures.items() if row["referrals"] or row["open"]}, counts


def referrals_in_scope(*, team_ids, local_authority_ids):
    referrals = Referral.objects.order_by()
    if team_ids is not None:
        referrals = referrals.filter(family__team_id__in=team_ids)
    if local_authority_ids is not None:
        referrals = referrals.filter(local_authority_id__in=local_authority_ids)
    return referrals


def counted_up(rows):
    """A Counter of follow-ups from the query's rows (a follow-up may come in more than one)."""
    counts = Counter()
    for days, reached, waiting, number in rows:
        counts[(days, reached, waiting)] += number
    return counts


def as_compared(figure):
    def delay(value):
        return value and (value.counted, value.reached, value.still_waiting, value.median, value.p90)

    return {"name": figure.name, "referrals": figure.referrals, "allocations": figure.social_worker_allocations,
            "open": figure.open_referrals, "overdue": figure.open_overdue,
            **({"decision": delay(figure.to_decision)} if figure.to_decision else {}),
            **({"assessment": delay(figure.to_assessment)} if figure.to_assessment else {})}


def london(*args):
    return datetime.datetime(*args, tzinfo=LONDON)


def in_london(moment):
    return moment.astimezone(LONDON)


def random_moment(rng, first, last):
    """A moment between two days, often near midnight (where London's date and UTC's differ)."""
    day = first + datetime.timedelta(days=rng.randrange((last - first).days + 1))
    hour, minute = rng.choice([(0, 15), (0, 45), (23, 30), (9, 0), (12, 0), (17, 59), (rng.randrange(24), 0)])
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=LONDON)


@pytest.fixture
def generated(cast):
    """About 400 referrals to six authorities in the four nations, in two teams, made from December
    2025 to June 2026, with every kind of follow-up, from a fixed seed."""
    rng = random.Random(16)  # noqa: S311 - a fixed seed for a repeatable data set, not a secret
    team, other_team = cast.family.team, TeamFactory()
    authorities = [LocalAuthorityFactory(name=name, nation=nation) for name, nation in (
        ("Eastshire", "england"), ("Westshire", "england"), ("Cardiff test", "wales"),
        ("Glasgow test", "scotland"), ("Belfast test", "northern_ireland"), ("Quietshire", "england"))]
    families = [FamilyFactory(team=family_team, local_authority=authority)
                for family_team in (team, other_team) for authority in authorities]
    decisions = [*Referral.Decision.values, ""]
    referrals, milestones, allocations = [], [], []
    for family in families:
        for _ in range(rng.randrange(20, 45)):
            made = random_moment(rng, datetime.date(2025, 12, 1), datetime.date(2026, 6, 30))
            step_times = {Milestone.REFERRAL_MADE: made}
            kind = rng.random()
            if kind < 0.75:
                latest = made.date() + datetime.timedelta(days=rng.choice((0, 1, 3, 9, 40)))
                step_times[Milestone.DECISION] = (made - datetime.timedelta(days=2) if kind < 0.03
                                                  else random_moment(rng, made.date(), latest))
            decision = rng.choice(decisions) if Milestone.DECISION in step_times else ""
            if (decision in DECISIONS_CALLING_FOR_ASSESSMENT and rng.random() < 0.6) or rng.random() < 0.05:
                step_times[Milestone.ASSESSMENT_COMPLETED] = random_moment(
                    rng, made.date(), made.date() + datetime.timedelta(days=rng.randrange(5, 90)))
            if rng.random() < 0.3:
                step_times[Milestone.CLOSED] = random_moment(
                    rng, made.date(), made.date() + datetime.timedelta(days=rng.randrange(0, 60)))
            # Mostly closed when a closure is recorded; some open again, some closed with no date.
            closed = rng.random() < 0.8 if Milestone.CLOSED in step_times else rng.random() < 0.1
            referrals.append(Referral(
                family=family, local_authority=family.local_authority, referred_by=Referral.ReferredBy.CHARITY,
                decision=decision, status=Referral.Status.CLOSED if closed else Referral.Status.OPEN,
                next_due_at=None if rng.random() < 0.2 else random_moment(
                    rng, datetime.date(2026, 1, 1), datetime.date(2026, 7, 1)),
                created_by=cast.key_worker,
            ))
            milestones.append(step_times)
            allocations.append(rng.choice((0, 0, 1, 2)))
    Referral.objects.bulk_create(referrals)
    MilestoneRecord.objects.bulk_create(
        MilestoneRecord(referral=referral, milestone=milestone, occurred_at=at, recorded_by=cast.key_worker)
        for referral, step_times in zip(referrals, milestones, strict=True) for milestone, at in step_times.items()
    )
    SocialWorkerAllocation.objects.bulk_create(
        SocialWorkerAllocation(referral=referral, name="A social worker", allocated_on=datetime.date(2026, 1, 5),
                               recorded_by=cast.key_worker)
        for referral, count in zip(referrals, allocations, strict=True) for _ in range(count)
    )
    return {"team": team, "other_team": other_team, "authorities": authorities}


@pytest.mark.django_db
@pytest.mark.usefixtures("calendar_with_changes")
@pytest.mark.parametrize(("now", "start", "end"), [
    (london(2026, 6, 1, 9, 0), datetime.date(2026, 1, 1), datetime.date(2026, 3, 31)),
    (london(2026, 7, 20, 12, 0), datetime.date(2025, 12, 1), datetime.date(2026, 6, 30)),
    (london(2026, 4, 6, 23, 30), datetime.date(2026, 3, 1), datetime.date(2026, 4, 30)),  # Easter Monday, BST
    (london(2026, 1, 2, 0, 30), datetime.date(2025, 12, 20), datetime.date(2026, 1, 2)),  # only Scotland's holiday
    (london(2026, 5, 4, 15, 0), datetime.date(2026, 5, 4), datetime.date(2026, 5, 4)),  # the withdrawn May Day
])
def test_the_figures_are_the_rule_applied_referral_by_referral(generated, now, start, end):
    team_ids = [generated["team"].pk]
    scopes = [
        {"team_ids": team_ids, "local_authority_ids": None},
        {"team_ids": None, "local_authority_ids": None},
        {"team_ids": [generated["team"].pk, generated["other_team"].pk],
         "local_authority_ids": [authority.pk for authority in generated["authorities"][2:5]]},
    ]
    for scope in scopes:
        counted = delay_figures(**scope, start=start, end=end, now=now)
        expected, expected_counts = figures_referral_by_referral(**scope, start=start, end=end, now=now)
        assert {figure.local_authority_id: as_compared(figure) for figure in counted} == expected
        # And the whole curves: the query's counts are each referral's follow-up, counted.
        queried_counts, _ = follow_up_counts(referrals_in_scope(**scope), start=start, end=end, now=now)
        assert {(authority, step): counted_up(rows)
                for (authority, part, step), rows in queried_counts.items() if part is None} == expected_counts
        assert all(part is None for _, part, _ in queried_counts)
        assert [figure.name for figure in counted] == sorted(figure.name for figure in counted)
    if (end - start).days > 60:  # every outcome the rule tells apart, in every nation
        figures = delay_figures(team_ids=None, local_authority_ids=None, start=start, end=end, now=now)
        delays = [figure.to_decision for figure in figures if figure.to_decision]
        assert all(sum(getattr(delay, outcome) for delay in delays)
                   for outcome in ("reached", "still_waiting", "closed_without"))
        assert sum(figure.to_assessment.reached for figure in figures if figure.to_assessment)
        assert {LocalAuthority.objects.get(pk=figure.local_authority_id).nation for figure in figures} == set(NATIONS)


@pytest.mark.django_db
def test_the_generated_data_has_the_edges_the_rule_tells_apart(generated):
    """Decisions on weekends, on bank holidays and before the referral was made; steps and closures
    after the first ``now`` above; referrals made in the hour where London's date is not UTC's."""
    now = london(2026, 6, 1, 9, 0)
    records = MilestoneRecord.objects.select_related("referral__local_authority")
    made = {record.referral_id: record.occurred_at for record in records if record.milestone == Milestone.REFERRAL_MADE}
    decisions = [record for record in records if record.milestone == Milestone.DECISION]
    assert any(in_london(record.occurred_at).weekday() >= 5 for record in decisions)
    assert any(in_london(record.occurred_at).weekday() < 5
               and not is_working_day(in_london(record.occurred_at).date(), record.referral.local_authority.nation)
               for record in decisions)
    assert any(record.occurred_at < made[record.referral_id] for record in decisions)
    assert any(record.occurred_at > now for record in decisions)
    assert any(record.occurred_at > now for record in records if record.milestone == Milestone.CLOSED)
    assert any(in_london(moment).date() != moment.astimezone(datetime.UTC).date() for moment in made.values())
    assert Referral.objects.filter(status=Referral.Status.CLOSED, milestones__milestone=Milestone.CLOSED).exists()
    closed = Referral.objects.filter(status=Referral.Status.CLOSED)
    assert closed.exclude(milestones__milestone=Milestone.CLOSED).exists()  # closed, no date recorded
    open_again = Referral.objects.filter(status=Referral.Status.OPEN, milestones__milestone=Milestone.CLOSED)
    assert open_again.exists()


@pytest.mark.django_db
@pytest.mark.usefixtures("calendar_with_changes")
def test_counted_by_part_of_the_period_each_part_is_counted_as_its_own_period(generated):
    """The funders' reports count each quarter apart in the same query: each quarter's counts are
    those of the quarter on its own; referrals in no part (the days between two) are part None."""
    now = london(2026, 7, 20, 12, 0)
    parts = [Period(datetime.date(2025, 12, 1), datetime.date(2025, 12, 31)),
             Period(datetime.date(2026, 1, 1), datetime.date(2026, 3, 31)),
             Period(datetime.date(2026, 4, 2), datetime.date(2026, 6, 30))]  # 1 April in none
    referrals = Referral.objects.order_by()
    counts, names = follow_up_counts(referrals, start=parts[0].start, end=parts[-1].end, now=now, parts=parts)
    assert set(names) == {authority.pk for authority in generated["authorities"]}
    for index, part in enumerate([*parts, Period(datetime.date(2026, 4, 1), datetime.date(2026, 4, 1))]):
        alone, _ = follow_up_counts(referrals, start=part.start, end=part.end, now=now)
        in_the_part = {(authority, step): counted_up(rows) for (authority, number, step), rows in counts.items()
                       if number == (index if index < len(parts) else None)}
        assert in_the_part == {(authority, step): counted_up(rows) for (authority, _, step), rows in alone.items()}
        assert in_the_part


@pytest.mark.django_db
def test_a_fixed_number_of_queries_whatever_the_data(generated, django_assert_num_queries):
    """One for the counts behind the estimates, one for the social workers, one for the open
    referrals now."""
    now, period = london(2026, 6, 1, 9, 0), {"start": datetime.date(2025, 12, 1), "end": datetime.date(2026, 6, 30)}
    with django_assert_num_queries(3):
        delay_figures(team_ids=None, local_authority_ids=None, now=now, **period)
    with django_assert_num_queries(3):
        delay_figures(team_ids=[generated["team"].pk], local_authority_ids=None, now=now,
                      start=datetime.date(2026, 6, 1), end=datetime.date(2026, 6, 1))


@pytest.mark.django_db
def test_no_referrals_no_figures(cast):
    assert delay_figures(team_ids=[cast.family.team_id], local_authority_ids=None, now=london(2026, 6, 1, 9, 0),
                         start=datetime.date(2026, 1, 1), end=datetime.date(2026, 3, 31)) == []
