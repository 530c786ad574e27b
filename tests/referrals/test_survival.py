"""The Kaplan–Meier estimate behind the delay figures (referrals.survival): against a published
worked example, and against lifelines, an established survival-analysis library that only the
tests use."""

import os
import random
import warnings
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from referrals.survival import TimeToEvent, kaplan_meier, kaplan_meier_counts

EXAMPLES = 300 if os.environ.get("CI") else 60

# Freireich et al. (1963), "The effect of 6-mercaptopurine on the duration of steroid-induced
# remissions in acute leukemia", Blood 21:699–716: weeks in remission of 21 children on 6-MP and 21
# on placebo, as tabulated and worked through in Kleinbaum & Klein, "Survival Analysis: A
# Self-Learning Text" (3rd ed., Springer 2012), chapter 2. A "+" there, False here, is censored.
SIX_MP = [(6, True)] * 3 + [(6, False), (7, True), (9, False), (10, True), (10, False), (11, False), (13, True),
                            (16, True), (17, False), (19, False), (20, False), (22, True), (23, True), (25, False),
                            (32, False), (32, False), (34, False), (35, False)]
PLACEBO = [(weeks, True) for weeks in (1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23)]


def curve_of(pairs):
    return kaplan_meier([duration for duration, _ in pairs], [seen for _, seen in pairs])


def test_the_6_mp_group_of_the_leukaemia_remission_trial():
    """Kleinbaum & Klein's table for the 6-MP group: at each time a remission ended, the number still
    in remission (at risk), how many ended, and S(t), given there to four places."""
    curve = curve_of(SIX_MP)
    event_rows = [(step.time, step.at_risk, step.events, round(step.survival, 4))
                  for step in curve.steps if step.events]
    assert event_rows == [
        (6, 21, 3, 0.8571), (7, 17, 1, 0.8067), (10, 15, 1, 0.7529), (13, 12, 1, 0.6902),
        (16, 11, 1, 0.6275), (22, 7, 1, 0.5378), (23, 6, 1, 0.4482),
    ]
    assert (curve.subjects, curve.events, curve.censored, curve.longest_follow_up) == (21, 9, 12, 35)
    # The median remission: the first time S(t) is a half or less, 23 weeks.
    assert curve.median() == TimeToEvent(time=23, longest_follow_up=35)
    # S(t) never falls to a tenth: the 90th percentile is not reached, "more than 35 weeks".
    assert curve.percentile(90) == TimeToEvent(time=None, longest_follow_up=35)
    assert curve.percentile(90).in_words("weeks") == "more than 35 weeks"
    assert curve.survival_at(5) == 1 and curve.survival_at(24) == curve.survival_at(23)


def test_the_placebo_group_with_no_one_censored_is_the_plain_share_still_waiting():
    """With no censoring the estimate is the share not yet ended: 12/21 after week 5, 8/21 after week
    8, so the median is 8 weeks (Kleinbaum & Klein give 8 for the placebo group); 2/21 after week 17,
    the first at or below a tenth."""
    curve = curve_of(PLACEBO)
    assert [(step.time, step.survival) for step in curve.steps if step.time in (5, 8, 15, 17)] == [
        (5, pytest.approx(12 / 21)), (8, pytest.approx(8 / 21)), (15, pytest.approx(3 / 21)),
        (17, pytest.approx(2 / 21)),
    ]
    assert (curve.median().time, curve.percentile(90).time) == (8, 17)
    assert curve.steps[-1].survival == 0


def test_on_a_tied_time_the_event_comes_before_the_censoring():
    """Two referrals followed 2 days: one decided, one still waiting. The waiting one was still being
    followed on day 2, so 1 of 2 was decided that day: S(2) = 1/2, the median is 2."""
    curve = kaplan_meier([2, 2], [True, False])
    assert [(step.at_risk, step.events, step.censored, step.survival) for step in curve.steps] == [(2, 1, 1, 0.5)]
    assert curve.median().time == 2


def test_nothing_observed_is_not_reached_with_the_longest_follow_up():
    curve = kaplan_meier([3, 12, 7], [False, False, False])
    assert curve.median() == TimeToEvent(time=None, longest_follow_up=12)
    assert curve.median().in_words() == "more than 12 working days"
    assert kaplan_meier([1], [True]).median().in_words() == "1 working day"
    assert kaplan_meier([0], [True]).median().in_words() == "0 working days"


def test_an_empty_group_has_nothing_to_estimate():
    curve = kaplan_meier([], [])
    assert (curve.subjects, curve.events, curve.longest_follow_up) == (0, 0, None)
    assert curve.median() is None and curve.percentile(90) is None


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="same length"):
        kaplan_meier([1, 2], [True])
    with pytest.raises(ValueError, match="negative"):
        kaplan_meier([-1], [True])


# ------------------------------------------------------------------ from counts


def test_the_6_mp_group_from_counts_per_week():
    """The same table from how many remissions ended and how many were censored each week, as a query
    grouped by duration gives them (6 weeks in two rows, which add up)."""
    rows = [(6, 2, 0), (6, 1, 1), (7, 1, 0), (9, 0, 1), (10, 1, 1), (11, 0, 1), (13, 1, 0), (16, 1, 0), (17, 0, 1),
            (19, 0, 1), (20, 0, 1), (22, 1, 0), (23, 1, 0), (25, 0, 1), (32, 0, 2), (34, 0, 1), (35, 0, 1)]
    assert kaplan_meier_counts(rows) == curve_of(SIX_MP)


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.lists(st.tuples(st.integers(min_value=0, max_value=30), st.integers(min_value=0, max_value=4),
                          st.integers(min_value=0, max_value=4)), max_size=40))
def test_counts_give_the_curve_of_the_subjects_they_count(rows):
    """Rows of (duration, events, censored), durations repeated or not, rows of zeros included: the
    curve of one subject per event and per censoring."""
    durations = [duration for duration, events, censored in rows for _ in range(events + censored)]
    observed = [seen for _, events, censored in rows for seen in [True] * events + [False] * censored]
    assert kaplan_meier_counts(rows) == kaplan_meier(durations, observed)


def test_a_duration_no_one_was_followed_for_is_no_step():
    curve = kaplan_meier_counts([(3, 1, 0), (40, 0, 0)])
    assert [step.time for step in curve.steps] == [3]
    assert curve.longest_follow_up == 3
    assert kaplan_meier_counts([]) == kaplan_meier_counts([(5, 0, 0)]) == kaplan_meier([], [])


def test_bad_counts_are_refused():
    with pytest.raises(ValueError, match="negative"):
        kaplan_meier_counts([(-1, 1, 0)])
    with pytest.raises(ValueError, match="counts cannot be negative"):
        kaplan_meier_counts([(1, -1, 2)])


# ------------------------------------------------------------------ against lifelines


def lifelines_fit(durations, observed):
    from lifelines import KaplanMeierFitter

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # percentile() warns that it reads the fitted curve, as we do
        fitter = KaplanMeierFitter().fit(durations, observed)
        return fitter, fitter.median_survival_time_, fitter.percentile(0.1)


def as_lifelines(estimate: TimeToEvent) -> float:
    return float("inf") if estimate.time is None else float(estimate.time)


def exact_time_to(durations, observed, share):
    """The same estimate in exact fractions: the first time S(t) <= share, None if never; and
    whether S(t) equals share exactly at some time (a tie floating point can land either side of)."""
    at_risk, survival, tie = len(durations), Fraction(1), False
    for time in sorted(set(durations)):
        events = sum(1 for d, seen in zip(durations, observed, strict=True) if d == time and seen)
        stopped = sum(1 for d, seen in zip(durations, observed, strict=True) if d == time and not seen)
        survival *= 1 - Fraction(events, at_risk)
        at_risk -= events + stopped
        tie = tie or survival == share
        if survival <= share:
            return time, tie
    return None, tie


def assert_same_curve_as_lifelines(durations, observed, fitter):
    curve = kaplan_meier(durations, observed)
    table = fitter.event_table
    for step in curve.steps:
        row = table.loc[step.time]
        assert (step.at_risk, step.events, step.censored) == (row["at_risk"], row["observed"], row["censored"])
        assert step.survival == pytest.approx(fitter.survival_function_.loc[step.time].iloc[0], abs=1e-12)
    return curve


def test_200_seeded_delays_give_lifelines_median_and_90th_percentile():
    """200 delays of 0 to 60 working days, about a third still waiting, from a fixed seed."""
    rng = random.Random(20260601)  # noqa: S311 - a fixed seed for a repeatable data set, not a secret
    durations = [rng.randint(0, 60) for _ in range(200)]
    observed = [rng.random() < 0.65 for _ in range(200)]
    fitter, median, p90 = lifelines_fit(durations, observed)
    curve = assert_same_curve_as_lifelines(durations, observed, fitter)
    # No time where the estimate is exactly a half or a tenth, so floating point cannot differ.
    assert not exact_time_to(durations, observed, Fraction(1, 2))[1]
    assert not exact_time_to(durations, observed, Fraction(1, 10))[1]
    assert 0 < curve.censored < curve.events
    assert as_lifelines(curve.median()) == median
    assert as_lifelines(curve.percentile(90)) == p90
    assert curve.median().reached and curve.percentile(90).reached  # both are tested, not just "inf"


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.lists(st.tuples(st.integers(min_value=0, max_value=30), st.booleans()), min_size=1, max_size=60))
def test_any_delays_give_lifelines_estimate(pairs):
    """Where the estimate is exactly a half (or a tenth) at some time, lifelines' floating-point
    product can land a rounding above it and move on to the next time; there the exact answer is
    the one given."""
    durations, observed = [d for d, _ in pairs], [seen for _, seen in pairs]
    fitter, median, p90 = lifelines_fit(durations, observed)
    curve = assert_same_curve_as_lifelines(durations, observed, fitter)
    for estimate, theirs, share in ((curve.median(), median, Fraction(1, 2)),
                                    (curve.percentile(90), p90, Fraction(1, 10))):
        exact, tie = exact_time_to(durations, observed, share)
        assert estimate.time == exact
        assert estimate.longest_follow_up == max(durations)
        if not tie:
            assert as_lifelines(estimate) == theirs


def test_an_estimate_of_exactly_a_half_is_reached():
    """Followed 1 day (still waiting), then decisions on days 2, 3 and 5 among those left: S(5) =
    5/6 × 4/5 × 3/4 = 1/2 exactly, so the median is 5 days. lifelines' product of floats gives
    0.5000000000000001 there and says the median is not reached."""
    durations, observed = [1, 2, 3, 5, 5, 9, 11], [False, True, True, True, False, False, False]
    assert exact_time_to(durations, observed, Fraction(1, 2)) == (5, True)
    assert kaplan_meier(durations, observed).median() == TimeToEvent(time=5, longest_follow_up=11)
    fitter, _, _ = lifelines_fit(durations, observed)
    assert fitter.survival_function_.loc[5].iloc[0] == pytest.approx(0.5)
