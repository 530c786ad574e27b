"""How long until something happens, counting those still waiting: the Kaplan–Meier method.

In plain words. We follow a group of referrals from the day each was made. Some have had the
step we are timing (a decision, say): for them we know how long it took. Others are still
waiting: for them we know only that it takes longer than they have waited so far. Leaving them
out would make a slow authority look fast (only its quick answers would count); counting them as
if the step happened today would make it look faster still. The Kaplan–Meier method (the
product-limit estimate, Kaplan and Meier 1958) uses both: on each day on which the step happened
for someone, it takes the share of those still being followed on that day who had it, and the
chance of still waiting after that day is the product of the shares who did not, over every such
day so far. A referral that is still waiting (said to be "censored") counts among those being
followed for as long as it has waited, and then drops out of the count without changing the
estimate on its own.

Conventions, as in the survival-analysis literature and lifelines:

- Time is whole days. On a day when some had the step and others stopped being followed, the
  step is counted first: those who stopped that day were still being followed on it.
- The median is the first time at which the estimated chance of still waiting is one half or
  less; the 90th percentile the first time at which it is one tenth or less (lifelines'
  ``median_survival_time_`` and ``percentile(0.1)``). Both are always one of the observed times.
- When the estimate never falls that far (fewer than half have had the step, counting the
  waits so far), the time is "not reached": all that is known is that it is longer than the
  longest time anyone has been followed, and ``TimeToEvent`` says so explicitly.

No dependency: the arithmetic is a running product over the distinct times, so it needs only how
many had the step and how many stopped being followed at each time (kaplan_meier_counts), which
the database counts; never one row per subject.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

# The chance of still waiting is a product of fractions; where it equals a half exactly (no one
# stopped being followed before that time, and half the group had the step) floating point can
# leave it a hair above. Within this margin it counts as reached.
TOLERANCE = 1e-9


class Step(NamedTuple):
    """One distinct time in the data: how many were being followed, had the step, or stopped. (A
    named tuple: a curve has one per distinct time, hundreds for each authority on the figures page.)"""

    time: int
    at_risk: int  # still being followed at the start of that time
    events: int  # had the step at that time
    censored: int  # stopped being followed at that time without having it (still waiting)
    survival: float  # estimated chance of still waiting after that time


@dataclass(frozen=True)
class TimeToEvent:
    """A time read off the curve. ``time`` is None when the estimate is not reached: then the
    true value is more than ``longest_follow_up``, the longest time anyone was followed."""

    time: int | None
    longest_follow_up: int

    @property
    def reached(self) -> bool:
        return self.time is not None

    def in_words(self, unit: str = "working days") -> str:
        """"12 working days", or "more than 40 working days" when not reached."""
        if self.time is None:
            return f"more than {self.longest_follow_up} {_plural(unit, self.longest_follow_up)}"
        return f"{self.time} {_plural(unit, self.time)}"


def _plural(unit: str, count: int) -> str:
    return unit.replace("days", "day") if count == 1 else unit


@dataclass(frozen=True)
class Curve:
    """The product-limit estimate: one step per distinct time, in time order."""

    steps: tuple[Step, ...]

    @property
    def subjects(self) -> int:
        return self.steps[0].at_risk if self.steps else 0

    @property
    def events(self) -> int:
        return sum(step.events for step in self.steps)

    @property
    def censored(self) -> int:
        return sum(step.censored for step in self.steps)

    @property
    def longest_follow_up(self) -> int | None:
        return self.steps[-1].time if self.steps else None

    def survival_at(self, time: float) -> float:
        """The estimated chance of still waiting after ``time``: 1 before the first step."""
        survival = 1.0
        for step in self.steps:
            if step.time > time:
                break
            survival = step.survival
        return survival

    def time_to(self, survival: float) -> TimeToEvent | None:
        """The first time at which the chance of still waiting is ``survival`` or less; None for
        an empty group (nothing to estimate)."""
        if not self.steps:
            return None
        for step in self.steps:
            if step.survival <= survival + TOLERANCE:
                return TimeToEvent(time=step.time, longest_follow_up=self.longest_follow_up)
        return TimeToEvent(time=None, longest_follow_up=self.longest_follow_up)

    def median(self) -> TimeToEvent | None:
        """The time by which half have had the step."""
        return self.time_to(0.5)

    def percentile(self, percent: int) -> TimeToEvent | None:
        """The time by which ``percent`` in 100 have had the step (90 gives the 90th percentile:
        the first time the chance of still waiting is a tenth or less)."""
        return self.time_to((100 - percent) / 100)


def kaplan_meier(durations: list[int], observed: list[bool]) -> Curve:
    """The Kaplan–Meier curve of ``durations`` (whole days, 0 or more), each with whether the
    step was observed (True) or the subject is still waiting and was followed that long (False)."""
    if len(durations) != len(observed):
        raise ValueError("durations and observed must be the same length")
    return kaplan_meier_counts((duration, 1, 0) if seen else (duration, 0, 1)
                               for duration, seen in zip(durations, observed, strict=True))


def kaplan_meier_counts(rows: Iterable[tuple[int, int, int]]) -> Curve:
    """The Kaplan–Meier curve of subjects counted by duration: rows of (duration in whole days, how
    many had the step after that long, how many were followed that long without it), as a query
    grouped by duration gives them. A duration may come in several rows (they add up); a row of
    two zeros counts no one."""
    events: dict[int, int] = {}
    censorings: dict[int, int] = {}
    for duration, had, stopped in rows:
        if duration < 0:
            raise ValueError("durations cannot be negative")
        if had < 0 or stopped < 0:
            raise ValueError("counts cannot be negative")
        events[duration] = events.get(duration, 0) + had
        censorings[duration] = censorings.get(duration, 0) + stopped
    at_risk = sum(events.values()) + sum(censorings.values())
    survival = 1.0
    steps = []
    for time in sorted(time for time in events if events[time] or censorings[time]):
        had, stopped = events[time], censorings[time]
        # Events first: those who stopped being followed at this time were at risk at it.
        survival *= 1 - had / at_risk
        steps.append(Step(time, at_risk, had, stopped, survival))
        at_risk -= had + stopped
    return Curve(steps=tuple(steps))
