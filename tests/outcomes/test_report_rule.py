"""outcomes.report's one query against the rule worked out in plain Python, parent by parent, on
varied made-up check-ins: several local authorities and teams, quarters cut to a period, ratings
on the same day, unanswered questions, another wording of the questions, ratings before and after
the period. The service report's outcomes are these figures, per authority and quarter."""

import datetime
import random
from collections import Counter, defaultdict

import pytest

from families.models import Family
from outcomes.measures import MEASURE_FIELDS, QUESTIONS_VERSION
from outcomes.models import CheckIn
from outcomes.report import CHANGES, outcomes_report, rating_changes
from referrals.figures import Period
from reports.service import quarters
from tests.factories import FamilyFactory, LocalAuthorityFactory, PersonFactory, TeamFactory, UserFactory

START, END = datetime.date(2026, 1, 20), datetime.date(2026, 8, 15)


def expected_figures(check_ins, parts, *, area_of_parent, per_local_authority):
    """{(area, part index or None for the whole period): {measure: (changes, first only, not answered)}},
    the rule as the module's notes say it, one parent at a time."""
    periods = dict(enumerate(parts)) | {None: Period(parts[0].start, parts[-1].end)}
    by_parent = defaultdict(list)
    for check_in in sorted(check_ins, key=lambda c: (c.asked_on, c.pk)):
        if check_in.questions_version == QUESTIONS_VERSION and check_in.parent_id in area_of_parent:
            by_parent[check_in.parent_id].append(check_in)
    figures = defaultdict(lambda: {field: [Counter(), 0, 0] for field in MEASURE_FIELDS})
    for parent_id, ratings in by_parent.items():
        area = area_of_parent[parent_id] if per_local_authority else None
        for key, period in periods.items():
            in_period = [c for c in ratings if period.start <= c.asked_on <= period.end]
            if not in_period:
                continue
            for field in MEASURE_FIELDS:
                answered = [c for c in ratings if getattr(c, field) is not None and c.asked_on <= period.end]
                latest = [c for c in in_period if getattr(c, field) is not None]
                counts = figures[(area, key)][field]
                if not latest:
                    counts[2] += 1
                elif latest[-1].asked_on > answered[0].asked_on:
                    counts[0][getattr(latest[-1], field) - getattr(answered[0], field)] += 1
                else:
                    counts[1] += 1
    return figures


def made_up_check_ins(seed):
    """Three authorities, two teams of ours and one not; 60 parents with 0 to 5 check-ins each from
    mid-2025 to the end of 2026, a few on the same day, a few with other wording."""
    rng = random.Random(seed)  # noqa: S311 - a fixed seed for a repeatable data set, not a secret
    ours, theirs = TeamFactory(), TeamFactory()
    other_of_ours = TeamFactory()
    authorities = [LocalAuthorityFactory() for _ in range(3)]
    recorder = UserFactory()
    area_of_parent = {}
    rows = []
    for n in range(60):
        team = rng.choice([ours, ours, other_of_ours, theirs])
        family = FamilyFactory(team=team, local_authority=rng.choice(authorities))
        parent = PersonFactory(family=family)
        if team != theirs:
            area_of_parent[parent.pk] = family.local_authority_id
        day = datetime.date(2025, 6, 1) + datetime.timedelta(days=rng.randrange(400))
        for k in range(rng.choice((0, 1, 1, 2, 3, 4, 5))):
            if k and rng.random() > 0.2:  # a fifth on the same day as the one before
                day += datetime.timedelta(days=rng.randrange(1, 120))
            scores = {field: None if rng.random() < 0.25 else rng.randint(1, 5) for field in MEASURE_FIELDS}
            if all(score is None for score in scores.values()):
                scores["wellbeing"] = rng.randint(1, 5)
            rows.append(CheckIn(
                family=family, parent=parent, occasion=CheckIn.Occasion.FIRST if not k else CheckIn.Occasion.REVIEW,
                asked_on=day, recorded_by=recorder, **scores,
                questions_version=QUESTIONS_VERSION + 1 if rng.random() < 0.05 else QUESTIONS_VERSION,
            ))
        if n % 7 == 0 and rows:
            rows[-1].asked_on = START if n % 2 else END  # the period's first and last days
    CheckIn.objects.bulk_create(rows)
    return [ours.pk, other_of_ours.pk], authorities, area_of_parent


def as_counts(figures):
    return {figures.measure.field: [Counter({change: n for change, n in figures.changes.items() if n}),
                                    figures.first_only, figures.not_answered]}


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_query_gives_the_rule_for_each_authority_and_quarter(seed):
    team_ids, authorities, area_of_parent = made_up_check_ins(seed)
    parts = quarters(START, END)
    families = Family.objects.filter(team_id__in=team_ids)
    changes = rating_changes(families, parts, per_local_authority=True)
    expected = expected_figures(CheckIn.objects.all(), parts, area_of_parent=area_of_parent, per_local_authority=True)
    compared = 0
    for authority in authorities:
        for part in [*range(len(parts)), None]:
            ours = {}
            for figures in changes.measures(part=part, groups=[authority.pk]):
                ours |= as_counts(figures)
                assert set(figures.changes) == set(CHANGES)
            want = expected.get((authority.pk, part)) or {field: [Counter(), 0, 0] for field in MEASURE_FIELDS}
            assert ours == want, (authority.pk, part)
            compared += sum(sum(counts[0].values()) for counts in want.values())
    assert compared > 20  # the made-up data has changes to compare


@pytest.mark.django_db
def test_ungrouped_figures_are_the_authorities_added_up_and_the_outcomes_reports():
    team_ids, authorities, area_of_parent = made_up_check_ins(4)
    families = Family.objects.filter(team_id__in=team_ids)
    whole = [Period(START, END)]
    together = rating_changes(families, whole).measures()
    by_authority = rating_changes(families, whole, per_local_authority=True).measures(
        groups=[authority.pk for authority in authorities])
    expected = expected_figures(CheckIn.objects.all(), whole, area_of_parent=area_of_parent,
                                per_local_authority=False)[(None, None)]
    for ungrouped, added_up in zip(together, by_authority, strict=True):
        field = ungrouped.measure.field
        assert as_counts(ungrouped) == as_counts(added_up) == {field: expected[field]}
    now = datetime.datetime(2026, 11, 30, tzinfo=datetime.UTC)
    report = outcomes_report(team_ids=team_ids, period=(START, END), now=now)
    assert [as_counts(figures) for figures in report.measures] == [as_counts(figures) for figures in together]


@pytest.mark.django_db
def test_the_parts_of_a_period_must_follow_each_other():
    with pytest.raises(ValueError, match="follow each other"):
        rating_changes(Family.objects.all(), [Period(START, datetime.date(2026, 3, 31)),
                                              Period(datetime.date(2026, 4, 2), END)])
