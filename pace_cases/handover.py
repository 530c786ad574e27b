"""The hand-over summary on a new key worker's home page (see families.handover): for each family
handed to them and not yet read, what is open on it now. It reads from families, deadlines,
safety plans and meetings, so it lives in the project package, above them all."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils import timezone

from deadlines.models import OverdueFlag
from families.handover import HANDOVERS_SHOWN, unread_handovers
from families.models import Family, FollowUp, Handover
from families.timeline import timeline_for
from meetings.models import Meeting
from safety_plans.models import SafetyPlan

RECENT_ENTRIES = 5


@dataclass
class HandoverSummary:
    handover: Handover
    follow_ups: list = field(default_factory=list)
    flags: list = field(default_factory=list)
    plans: list = field(default_factory=list)  # the children's plans that have a review date
    meetings: list = field(default_factory=list)

    @property
    def family(self) -> Family:
        return self.handover.family


@dataclass
class Handovers:
    summaries: list[HandoverSummary]
    # True when there are more than are shown (HANDOVERS_SHOWN).
    more: bool
    today: date
    now: datetime

    @property
    def families(self) -> list:
        return [summary.family for summary in self.summaries]


def handovers_for(user, *, now: datetime | None = None) -> Handovers:
    """Five queries whatever the number of families (one when there is nothing to read): the
    hand-overs, then each list for all their families at once. The families' latest history is
    not here: each summary loads it separately (recent_history), as a timeline costs a few queries
    per family."""
    now = now or timezone.now()
    handovers = unread_handovers(user, limit=HANDOVERS_SHOWN + 1)
    more = len(handovers) > HANDOVERS_SHOWN
    summaries = {h.family_id: HandoverSummary(handover=h) for h in handovers[:HANDOVERS_SHOWN]}
    result = Handovers(summaries=list(summaries.values()), more=more, today=timezone.localdate(now), now=now)
    if not summaries:
        return result
    family_ids = list(summaries)
    lists = defaultdict(lambda: defaultdict(list))
    for follow_up in (
        FollowUp.objects.filter(family_id__in=family_ids, done_at__isnull=True)
        .select_related("owner")
        .order_by("due_on", "pk")
    ):
        lists[follow_up.family_id]["follow_ups"].append(follow_up)
    for flag in (
        OverdueFlag.objects.filter(family_id__in=family_ids, resolved_at__isnull=True)
        .select_related("deadline")
        .order_by("raised_at", "pk")
    ):
        lists[flag.family_id]["flags"].append(flag)
    for plan in (
        SafetyPlan.objects.filter(family_id__in=family_ids, review_on__isnull=False)
        .select_related("child")
        .order_by("review_on", "pk")
    ):
        lists[plan.family_id]["plans"].append(plan)
    for meeting in Meeting.objects.filter(family_id__in=family_ids, held_at__gte=now).order_by("held_at", "pk"):
        lists[meeting.family_id]["meetings"].append(meeting)
    for family_id, summary in summaries.items():
        for name, rows in lists[family_id].items():
            setattr(summary, name, rows)
    return result


def recent_history(handover: Handover, user) -> list:
    """The family's last few timeline entries, newest first (families.timeline)."""
    return timeline_for(handover.family, user, limit=RECENT_ENTRIES).entries
