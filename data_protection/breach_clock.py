"""The 72-hour clock of a personal data breach, kept by the deadline engine (deadlines.kinds): a
reportable breach is reported to the ICO "without undue delay and, where feasible, not later than 72
hours after having become aware of it" (UK GDPR Article 33(1)). The hours are elapsed hours from
the moment of discovery: through nights, weekends, bank holidays and clock changes.

The clock is met by the decision that the breach is not reportable (at the moment it is recorded)
or by the report to the ICO (at the moment it was made). A breach is no family's: its deadline
has none, and only administrators are told when it passes."""

import math
from dataclasses import dataclass
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from core.working_days import Allowance
from data_protection.models import Breach, BreachAction
from deadlines import kinds
from deadlines import services as deadlines
from deadlines.models import OverdueFlag

BREACH_REPORT = "data_protection:breach_report"
LABEL = "Report to the ICO, or record why not"
GROUP = "Data protection"
REPORT_WITHIN = Allowance(72, "hours")
# Elapsed hours skip no bank holidays, so any nation's calendar gives the same moment.
NATION = "england"


def _links(deadlines_) -> dict[int, str]:
    # The deadline's subject is the breach itself: its id is all the link needs.
    return {d.pk: reverse("data_protection:breach", args=[d.subject_id]) for d in deadlines_}


def register():
    kinds.register(kinds.DeadlineKind(
        code=BREACH_REPORT, label=LABEL, group=GROUP, links=_links,
        tells=frozenset({kinds.Audience.ADMINISTRATORS}),
        overview_url_name="data_protection:breaches", overview_name="the breach log",
    ))


def due_at(breach: Breach) -> datetime:
    """72 elapsed hours after discovery (UTC arithmetic, whatever the clocks in London do)."""
    return REPORT_WITHIN.due_from(breach.discovered_at, NATION)


def met_at(breach: Breach) -> datetime | None:
    """When the clock stopped: the report to the ICO, or the decision that it is not reportable."""
    if breach.reported_at is not None:
        return breach.reported_at
    if breach.decision == Breach.Decision.NOT_REPORTABLE:
        return breach.decided_at
    return None


def breach_clock_follows(breach: Breach, *, now: datetime | None = None):
    """Make the breach's deadline what it says: one clock from its discovery, met when it was
    decided not reportable or reported. A corrected moment of discovery replaces the clock (its
    flag, if raised, is resolved with the old one). Inside the caller's transaction, after the
    breach is saved."""
    deadlines.deadlines_sync(
        subject=breach, family=None, nation=NATION, now=now,
        wanted=[deadlines.WantedDeadline(kind=BREACH_REPORT, label=LABEL, allowance=REPORT_WITHIN,
                                         started_at=breach.discovered_at, met_at=met_at(breach))],
    )


def _hours(seconds: float) -> str:
    hours = math.floor(seconds / 3600)
    if hours < 1:
        return "less than an hour"
    return f"{hours} hour{'' if hours == 1 else 's'}"


@dataclass(frozen=True)
class BreachClock:
    """How a breach's 72 hours stand, in words an administrator reads at a glance."""

    due_at: datetime
    stopped_at: datetime | None
    late: bool  # still running and past the 72 hours
    text: str

    @property
    def running(self) -> bool:
        return self.stopped_at is None


def clock_for(breach: Breach, now: datetime | None = None) -> BreachClock:
    now = now or timezone.now()
    due = due_at(breach)
    stopped = met_at(breach)
    if breach.decision == Breach.Decision.NOT_REPORTABLE and breach.reported_at is None:
        return BreachClock(due, stopped, False, "Decided: not reportable")
    if stopped is not None:
        if stopped <= due:
            return BreachClock(due, stopped, False, "Reported to the ICO within the 72 hours")
        return BreachClock(due, stopped, False,
                           f"Reported to the ICO {_hours((stopped - due).total_seconds())} after the 72 hours")
    if now >= due:
        return BreachClock(due, None, True, f"Past the 72 hours by {_hours((now - due).total_seconds())}")
    return BreachClock(due, None, False, f"{_hours((due - now).total_seconds())} left".capitalize())


# ------------------------------------------------------------------ what the pages show


@dataclass(frozen=True)
class BreachRow:
    breach: Breach
    clock: BreachClock
    # The flag raised on its current clock (none until the 72 hours pass unreported).
    flag: OverdueFlag | None

    @property
    def _order(self):
        breach, clock = self.breach, self.clock
        if breach.is_open and clock.running:
            return (0 if clock.late else 1, clock.due_at.timestamp())
        return (2 if breach.is_open else 3, -breach.discovered_at.timestamp())


def _flags_of(breaches: list[Breach]) -> dict[int, OverdueFlag]:
    """The flag of each breach's current clock (not one replaced when its discovery was corrected),
    by breach id: one query."""
    flags = OverdueFlag.objects.filter(
        deadline__subject_type=ContentType.objects.get_for_model(Breach),
        deadline__subject_id__in=[breach.pk for breach in breaches],
        deadline__kind=BREACH_REPORT, deadline__cancelled_at__isnull=True,
    ).select_related("deadline")
    return {flag.deadline.subject_id: flag for flag in flags}


def breach_rows(*, now: datetime | None = None) -> list[BreachRow]:
    """Every breach: those past the 72 hours and still undecided or unreported first (the longest
    past first), then those whose clock is running (the soonest due first), then those decided but
    still open, then closed ones (the latest discovered first). Two queries."""
    now = now or timezone.now()
    breaches = list(Breach.objects.all())
    flags = _flags_of(breaches)
    rows = [BreachRow(breach, clock_for(breach, now), flags.get(breach.pk)) for breach in breaches]
    return sorted(rows, key=lambda row: row._order)


def breach_page(pk, *, now: datetime | None = None) -> tuple[BreachRow, list[BreachAction]]:
    """The breach ``pk`` with its clock and flag, and its actions in the order they were done
    (Breach.DoesNotExist otherwise). Three queries."""
    breach = Breach.objects.select_related("recorded_by", "decided_by", "closed_by").get(pk=pk)
    actions = list(breach.actions.select_related("recorded_by"))
    return BreachRow(breach, clock_for(breach, now), _flags_of([breach]).get(breach.pk)), actions
