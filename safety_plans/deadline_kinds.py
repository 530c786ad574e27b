"""The deadline kinds safety plans register with the deadline engine (see deadlines.kinds), and
how a plan's, a commitment's and a missing episode's clocks follow what is recorded."""

from django.urls import reverse
from django.utils import timezone

from core.working_days import Allowance
from deadlines import kinds
from deadlines import services as deadlines
from safety_plans.models import Commitment, MissingEpisode, SafetyPlan

GROUP = "Safety plans and missing episodes"
PLAN_REVIEW = "plan:review"
COMMITMENT = "plan:commitment"
RETURN_HOME_INTERVIEW = "missing:return_home_interview"

# A review or commitment late by this much beyond its date is "very late".
ESCALATE_AFTER = Allowance(10, "working_days")
# Statutory guidance on children who run away or go missing from home or care (2014): a return
# home interview within 72 hours of the child's return. Elapsed hours, through nights, weekends and
# clock changes.
RETURN_HOME_INTERVIEW_WITHIN = Allowance(72, "hours")


def _nation(family) -> str:
    return family.local_authority.nation if family.local_authority_id else "england"


def _plan_links(deadlines_) -> dict[int, str]:
    child_of = dict(SafetyPlan.objects.filter(pk__in=[d.subject_id for d in deadlines_]).values_list("pk", "child_id"))
    return {d.pk: reverse("safety_plans:plan", args=[d.family_id, child_of[d.subject_id]])
            for d in deadlines_ if d.subject_id in child_of}


def _commitment_links(deadlines_) -> dict[int, str]:
    child_of = dict(
        Commitment.objects.filter(pk__in=[d.subject_id for d in deadlines_]).values_list("pk", "plan__child_id")
    )
    return {d.pk: reverse("safety_plans:plan", args=[d.family_id, child_of[d.subject_id]]) + "#network"
            for d in deadlines_ if d.subject_id in child_of}


def _episode_links(deadlines_) -> dict[int, str]:
    child_of = dict(
        MissingEpisode.objects.filter(pk__in=[d.subject_id for d in deadlines_]).values_list("pk", "child_id")
    )
    return {d.pk: reverse("safety_plans:missing", args=[d.family_id, child_of[d.subject_id]])
            for d in deadlines_ if d.subject_id in child_of}


def register():
    kinds.register(
        kinds.DeadlineKind(code=PLAN_REVIEW, label="Safety plan review", group=GROUP, links=_plan_links),
        kinds.DeadlineKind(code=COMMITMENT, label="Safety network commitment", group=GROUP, links=_commitment_links),
        kinds.DeadlineKind(
            code=RETURN_HOME_INTERVIEW, label="Return home interview", group=GROUP, links=_episode_links,
        ),
    )


# --------------------------------------------------------------------------- clocks


def plan_clocks_follow(plan: SafetyPlan, *, now=None):
    """The plan's review date and each commitment's date as deadlines; inside the caller's
    transaction, after the plan's rows are saved. A commitment done meets its clock; one dropped,
    undated or removed has none."""
    now = now or timezone.now()
    family = plan.family
    nation = _nation(family)
    if plan.review_on:
        deadlines.deadline_set_by_date(
            family=family, subject=plan, kind=PLAN_REVIEW, label="Safety plan review",
            due_on=plan.review_on, nation=nation, escalate_after=ESCALATE_AFTER, now=now,
        )
    else:
        deadlines.deadlines_close_for(plan, now=now)
    for commitment in Commitment.objects.filter(plan=plan):
        commitment_clock_follows(commitment, family=family, now=now)


def commitment_clock_follows(commitment: Commitment, *, family, now=None):
    now = now or timezone.now()
    if commitment.status == Commitment.Status.OPEN and commitment.due_on:
        deadlines.deadline_set_by_date(
            family=family, subject=commitment, kind=COMMITMENT,
            label=f"Commitment: {commitment.who}", due_on=commitment.due_on, nation=_nation(family),
            escalate_after=ESCALATE_AFTER, now=now,
        )
    else:
        done = commitment.status == Commitment.Status.DONE
        deadlines.deadlines_close_for(commitment, met_at=now if done else None, now=now)


def episode_clock_follows(episode: MissingEpisode, *, now=None):
    """A return home interview is due 72 hours after the child came back, until it is done."""
    now = now or timezone.now()
    if episode.returned_at and episode.interview_done_at is None:
        deadlines.deadline_set(
            family=episode.family, subject=episode, kind=RETURN_HOME_INTERVIEW, label="Return home interview",
            allowance=RETURN_HOME_INTERVIEW_WITHIN, nation=_nation(episode.family), started_at=episode.returned_at,
            now=now,
        )
    else:
        deadlines.deadlines_close_for(episode, met_at=episode.interview_done_at, now=now)
