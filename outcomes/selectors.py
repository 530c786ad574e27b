"""Reads of parents' ratings for the family's pages: each in a fixed number of queries."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.utils import timezone

from deadlines.models import Deadline
from families.models import Family, Person
from outcomes import deadline_kinds
from outcomes.measures import MEASURES, Measure
from outcomes.models import CheckIn


@dataclass(frozen=True)
class MeasureChange:
    measure: Measure
    first: int | None
    latest: int | None

    @property
    def change(self) -> int | None:
        if self.first is None or self.latest is None:
            return None
        return self.latest - self.first

    @property
    def change_in_words(self) -> str:
        change = self.change
        if change is None:
            return ""
        if change == 0:
            return "the same"
        return f"{abs(change)} {'higher' if change > 0 else 'lower'}"


@dataclass
class ParentRatings:
    parent: Person
    check_ins: list[CheckIn] = field(default_factory=list)
    next_due: Deadline | None = None

    @property
    def first(self) -> CheckIn | None:
        return self.check_ins[0] if self.check_ins else None

    @property
    def latest(self) -> CheckIn | None:
        return self.check_ins[-1] if self.check_ins else None

    @property
    def changes(self) -> list[MeasureChange]:
        """Each measure asked at least once: first answer and latest (None where not answered)."""
        rows = []
        for measure in MEASURES:
            answered = [c for c in self.check_ins if getattr(c, measure.field) is not None]
            if answered:
                rows.append(MeasureChange(measure, getattr(answered[0], measure.field),
                                          getattr(answered[-1], measure.field)))
        return rows

    @property
    def next_due_on(self) -> date | None:
        if self.next_due is None:
            return None
        # The deadline is due at the end of its day: the first moment of the next, in London.
        return timezone.localdate(self.next_due.due_at - timedelta(seconds=1))

    @property
    def is_overdue(self) -> bool:
        return self.next_due is not None and self.next_due.due_at < timezone.now()


def ratings_by_parent(family: Family) -> list[ParentRatings]:
    """Each parent with ratings, in the order they were first asked, with their check-ins oldest
    first and their next check-in's open clock: two queries."""
    by_parent: dict[int, ParentRatings] = {}
    for check_in in (CheckIn.objects.filter(family=family).select_related("parent", "recorded_by")
                     .order_by("asked_on", "pk")):
        by_parent.setdefault(check_in.parent_id, ParentRatings(parent=check_in.parent)).check_ins.append(check_in)
    for parent_id, deadline in due_clocks_for(family).items():
        if parent_id in by_parent:
            by_parent[parent_id].next_due = deadline
    for rated in by_parent.values():
        # The answers a page shows in a row, in the order of the measures this parent was asked.
        asked = [row.measure.field for row in rated.changes]
        for check_in in rated.check_ins:
            check_in.shown_scores = [getattr(check_in, name) for name in asked]
    return list(by_parent.values())


@dataclass(frozen=True)
class FamilyRatings:
    parents: list[ParentRatings]


def family_section(family: Family) -> FamilyRatings:
    """The family page's "Parent's ratings": two queries."""
    return FamilyRatings(parents=ratings_by_parent(family))


def carers_of(family: Family):
    return family.people.filter(kind=Person.Kind.CARER).order_by("pk")


def check_in_for(family: Family, check_in_pk) -> CheckIn | None:
    return CheckIn.objects.filter(family=family, pk=check_in_pk).select_related("parent").first()


def due_clocks_for(family: Family) -> dict[int, Deadline]:
    """The open check-in clocks of the family's parents, by parent id: one query."""
    return {
        d.subject_id: d
        for d in Deadline.objects.filter(family=family, kind=deadline_kinds.CHECK_IN, met_at__isnull=True,
                                         cancelled_at__isnull=True)
    }
