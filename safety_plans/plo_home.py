"""What a parent liaison officer's home page lists from safety plans, missing episodes and the
intelligence log: for the families of their teams only, each item with a link to act on it."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import F, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone

from deadlines.models import Deadline
from families import permissions
from families.models import Family
from safety_plans.deadline_kinds import RETURN_HOME_INTERVIEW
from safety_plans.intelligence import intelligence_for_plo_home
from safety_plans.models import Commitment, MissingEpisode, SafetyPlan

# Each list shows at most this many; the page says when there are more.
LIMIT = 20
REVIEW_WITHIN_DAYS = 14
# A child back within this many days whose return home interview is not done is still listed.
RECENTLY_RETURNED_DAYS = 7


@dataclass(frozen=True)
class WorkItem:
    family: Family
    url: str
    record: object  # the plan, commitment, episode or intelligence entry


@dataclass
class WorkList:
    items: list[WorkItem] = field(default_factory=list)
    more: bool = False  # there are more than LIMIT


@dataclass
class PloWork:
    plans_due_for_review: WorkList
    commitments_overdue: WorkList
    children_missing_or_back: WorkList
    # None when the person may not see intelligence in any of their teams.
    intelligence_not_passed: WorkList | None
    today: date
    now: datetime

    @property
    def families(self) -> list:
        """Every family the page names, once each (for the audit trail)."""
        lists = (self.plans_due_for_review, self.commitments_overdue, self.children_missing_or_back,
                 self.intelligence_not_passed)
        return list({item.family.pk: item.family for work in lists if work for item in work.items}.values())


def _bounded(queryset, url_of, limit) -> WorkList:
    rows = list(queryset[: limit + 1])
    return WorkList(items=[WorkItem(_family_of(row), url_of(row), row) for row in rows[:limit]],
                    more=len(rows) > limit)


def _family_of(record):
    return record.plan.family if isinstance(record, Commitment) else record.family


def plo_work(user, today: date, *, now: datetime | None = None, limit: int = LIMIT) -> PloWork:
    """Four bounded lists in a fixed number of queries (five; four for someone without intelligence):
    plans due for review within REVIEW_WITHIN_DAYS (soonest first), safety network commitments past
    their date, children missing now or back within RECENTLY_RETURNED_DAYS whose return home
    interview is not done (each with its due moment), and intelligence not yet passed to the police,
    this last only from the teams where the person may see intelligence
    (safety_plans.intelligence.intelligence_for_plo_home)."""
    now = now or timezone.now()
    teams = permissions.team_ids(user)
    open_families = Q(family__team_id__in=teams, family__status=Family.Status.OPEN)

    plans = (
        SafetyPlan.objects.filter(open_families, review_on__lte=today + timedelta(days=REVIEW_WITHIN_DAYS))
        .select_related("family", "child")
        .order_by("review_on", "pk")
    )
    commitments = (
        Commitment.objects.filter(
            plan__family__team_id__in=teams, plan__family__status=Family.Status.OPEN,
            status=Commitment.Status.OPEN, due_on__lt=today,
        )
        .select_related("plan__family", "plan__child")
        .order_by("due_on", "pk")
    )
    interview_due_at = Deadline.objects.filter(
        kind=RETURN_HOME_INTERVIEW,
        subject_type__app_label=MissingEpisode._meta.app_label,
        subject_type__model=MissingEpisode._meta.model_name,
        subject_id=OuterRef("pk"),
        met_at__isnull=True,
        cancelled_at__isnull=True,
    ).values("due_at")[:1]
    episodes = (
        MissingEpisode.objects.filter(open_families, interview_done_at__isnull=True)
        .filter(Q(returned_at__isnull=True) | Q(returned_at__gte=now - timedelta(days=RECENTLY_RETURNED_DAYS)))
        .select_related("family", "child")
        .annotate(interview_due_at=Subquery(interview_due_at))
        # Missing now first, longest missing first; then those back, whose interview is due soonest.
        .order_by(F("returned_at").asc(nulls_first=True), "went_missing_at", "pk")
    )

    def plan_url(plan):
        return reverse("safety_plans:plan", args=[plan.family_id, plan.child_id])

    def commitment_url(commitment):
        return reverse("safety_plans:plan", args=[commitment.plan.family_id, commitment.plan.child_id]) + "#network"

    def episode_url(episode):
        return reverse("safety_plans:missing", args=[episode.family_id, episode.child_id]) + f"#episode-{episode.pk}"

    intelligence = None
    if permissions.intelligence_team_ids(user).exists():
        # Asked for one more than shown, to know whether there are more.
        entries = intelligence_for_plo_home(user, limit + 1)
        intelligence = WorkList(
            items=[WorkItem(entry.family, reverse("safety_plans:intelligence", args=[entry.family_id]), entry)
                   for entry in entries[:limit]],
            more=len(entries) > limit,
        )

    return PloWork(
        plans_due_for_review=_bounded(plans, plan_url, limit),
        commitments_overdue=_bounded(commitments, commitment_url, limit),
        children_missing_or_back=_bounded(episodes, episode_url, limit),
        intelligence_not_passed=intelligence,
        today=today,
        now=now,
    )
