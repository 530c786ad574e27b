"""The next check-in's clock, a deadline kind registered with the deadline engine (see
deadlines.kinds). Each parent with ratings has one clock, its subject the parent (a Person):

- while the family is open, their ratings are due again CHECK_IN_EVERY_MONTHS after the latest;
- once the family is closed, ratings "as support ends" are due within AS_SUPPORT_ENDS_WITHIN of the
  day it closed (unless the latest ratings already are those), and the regular clock stops;
- reopened, the regular clock runs again from the latest ratings.

A parent with no ratings yet has no clock: the first ratings start it. Recording ratings meets the
open clock (``check_in_clock_met``); ``check_in_clock_follows`` then sets the one that is wanted.
"""

import datetime

from dateutil.relativedelta import relativedelta
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from core.working_days import Allowance, end_of_local_day
from deadlines import kinds
from deadlines import services as deadlines
from deadlines.models import Deadline
from families.models import Family, Person

GROUP = "Outcomes"
CHECK_IN = "outcomes:check_in"

# How often a parent is asked their ratings again while the family is supported.
CHECK_IN_EVERY_MONTHS = 3
# When a family is closed, the ratings "as support ends" are asked within this of its closing day.
AS_SUPPORT_ENDS_WITHIN = Allowance(10, "working_days")
# A check-in late by this much beyond its date is "very late".
ESCALATE_AFTER = Allowance(10, "working_days")
LABEL_LENGTH = 200  # deadlines.models.Deadline.label


def _check_in_links(deadlines_) -> dict[int, str]:
    # No query: the page to record ratings is the family's, with the parent chosen.
    return {
        d.pk: reverse("outcomes:check_in_new", args=[d.family_id]) + f"?parent={d.subject_id}"
        for d in deadlines_ if d.family_id
    }


def register():
    kinds.register(
        kinds.DeadlineKind(code=CHECK_IN, label="Ask the parent's ratings again", group=GROUP, links=_check_in_links),
    )


def _nation(family) -> str:
    return family.local_authority.nation if family.local_authority_id else "england"


def _label(parent: Person, words: str) -> str:
    label = f"Ask {parent.first_name}'s ratings {words}"
    return label if len(label) <= LABEL_LENGTH else label[: LABEL_LENGTH - 1] + "…"


def next_due_on(asked_on: datetime.date) -> datetime.date:
    """The day the next regular check-in is due: the same day of the month, CHECK_IN_EVERY_MONTHS
    later (the month's last day where it has no such day)."""
    return asked_on + relativedelta(months=CHECK_IN_EVERY_MONTHS)


def open_clocks(subjects):
    """The open check-in clocks of these parents (a queryset)."""
    return Deadline.objects.filter(
        subject_type=ContentType.objects.get_for_model(Person), subject_id__in=[p.pk for p in subjects],
        kind=CHECK_IN, met_at__isnull=True, cancelled_at__isnull=True,
    )


def check_in_clock_met(parent: Person, *, asked_on: datetime.date, now=None):
    """Ratings asked on ``asked_on`` meet the parent's open clock, by the end of that day."""
    now = now or timezone.now()
    met_at = min(now, end_of_local_day(asked_on))
    for deadline in open_clocks([parent]):
        deadlines.deadline_meet(deadline, at=met_at, now=now)


def check_in_clock_follows(family: Family, parent: Person, *, now=None):
    """Set the parent's clock to the one wanted now (see the module's docstring); inside the
    caller's transaction, after their ratings or the family are saved."""
    from outcomes.models import CheckIn

    now = now or timezone.now()
    latest = CheckIn.objects.filter(family=family, parent=parent).order_by("-asked_on", "-pk").first()
    if latest is None:
        for deadline in open_clocks([parent]):
            deadlines.deadline_cancel(deadline, at=now)
        return None
    nation = _nation(family)
    if family.status == Family.Status.OPEN:
        return deadlines.deadline_set_by_date(
            family=family, subject=parent, kind=CHECK_IN, label=_label(parent, "again"),
            due_on=next_due_on(latest.asked_on), nation=nation, escalate_after=ESCALATE_AFTER, now=now,
        )
    if latest.occasion == CheckIn.Occasion.CLOSURE:
        # Their ratings as support ended are recorded: nothing more is due.
        for deadline in open_clocks([parent]):
            deadlines.deadline_cancel(deadline, at=now)
        return None
    closed_on = family.closed_on or timezone.localdate(now)
    started_at = timezone.make_aware(datetime.datetime.combine(closed_on, datetime.time(12)))
    return deadlines.deadline_set(
        family=family, subject=parent, kind=CHECK_IN, label=_label(parent, "as support ends"),
        allowance=AS_SUPPORT_ENDS_WITHIN, nation=nation, started_at=started_at, now=now,
    )


def family_clocks_follow(family: Family, *, now=None):
    """Every rated parent's clock after the family was closed or reopened."""
    from outcomes.models import CheckIn

    parent_ids = set(CheckIn.objects.filter(family=family).values_list("parent_id", flat=True))
    for parent in Person.objects.filter(pk__in=parent_ids, family=family):
        check_in_clock_follows(family, parent, now=now)
