"""The business rules of a referral's timeline: which order milestones come in, which
threshold rules apply, and what each escalation gives CSC to answer."""

from datetime import datetime

from core.working_days import Allowance
from referrals.models import Escalation, Milestone, Referral, ThresholdRule

# A milestone may not be dated before any of these, where they are recorded.
MUST_FOLLOW = {
    Milestone.REFERRAL_MADE: [Milestone.CONCERN_RAISED],
    Milestone.ACKNOWLEDGED: [Milestone.CONCERN_RAISED, Milestone.REFERRAL_MADE],
    Milestone.DECISION: [Milestone.CONCERN_RAISED, Milestone.REFERRAL_MADE],
    Milestone.STRATEGY_DISCUSSION: [Milestone.CONCERN_RAISED, Milestone.REFERRAL_MADE],
    Milestone.ASSESSMENT_STARTED: [Milestone.CONCERN_RAISED, Milestone.REFERRAL_MADE],
    Milestone.ASSESSMENT_COMPLETED: [Milestone.CONCERN_RAISED, Milestone.REFERRAL_MADE, Milestone.ASSESSMENT_STARTED],
    Milestone.INITIAL_CONFERENCE: [Milestone.CONCERN_RAISED, Milestone.REFERRAL_MADE, Milestone.STRATEGY_DISCUSSION],
    Milestone.FIRST_CORE_GROUP: [Milestone.CONCERN_RAISED, Milestone.REFERRAL_MADE, Milestone.INITIAL_CONFERENCE],
    Milestone.REVIEW_CONFERENCE: [Milestone.CONCERN_RAISED, Milestone.REFERRAL_MADE, Milestone.INITIAL_CONFERENCE],
    Milestone.CLOSED: [Milestone.CONCERN_RAISED, Milestone.REFERRAL_MADE],
}
# ...and may not be dated after these.
MUST_PRECEDE = {
    Milestone.CONCERN_RAISED: [Milestone.REFERRAL_MADE],
    Milestone.ASSESSMENT_STARTED: [Milestone.ASSESSMENT_COMPLETED],
    Milestone.STRATEGY_DISCUSSION: [Milestone.INITIAL_CONFERENCE],
    Milestone.INITIAL_CONFERENCE: [Milestone.FIRST_CORE_GROUP, Milestone.REVIEW_CONFERENCE],
}

# The time CSC has to answer an escalation (its own clock).
ESCALATION_RESPONSE = {
    # Children Act 1989 Representations Procedure (England) Regulations 2006: stage 1 within
    # 10 working days (extendable to 20), stage 2 investigation within 25 working days (up to 65),
    # stage 3 review panel within 30 working days of the request.
    Escalation.Kind.COMPLAINT_1: Allowance(10, "working_days"),
    Escalation.Kind.COMPLAINT_2: Allowance(25, "working_days"),
    Escalation.Kind.COMPLAINT_3: Allowance(30, "working_days"),
    # No statutory figure: a reply to a letter is expected within the same 10 working days.
    Escalation.Kind.LETTER: Allowance(10, "working_days"),
}


def sequence_problem(milestone: str, occurred_at: datetime, recorded: dict[str, list[datetime]]) -> str | None:
    """Why ``milestone`` at ``occurred_at`` cannot be right, given the dates already recorded
    (milestone → its dates), or None."""
    label = Milestone(milestone).label.lower()
    for earlier in MUST_FOLLOW.get(milestone, []):
        for when in recorded.get(earlier, []):
            if occurred_at < when:
                return f"The {label} cannot be before the {Milestone(earlier).label.lower()} ({when:%d/%m/%Y})."
    for later in MUST_PRECEDE.get(milestone, []):
        for when in recorded.get(later, []):
            if occurred_at > when:
                return f"The {label} cannot be after the {Milestone(later).label.lower()} ({when:%d/%m/%Y})."
    if milestone != Milestone.CLOSED:
        for when in recorded.get(Milestone.CLOSED, []):
            if occurred_at > when:
                return f"The referral was closed on {when:%d/%m/%Y}; this cannot be later."
    return None


def rule_applies(rule: ThresholdRule, decision: str) -> bool:
    if rule.applies_when == ThresholdRule.AppliesWhen.ASSESSMENT:
        return decision in (Referral.Decision.CHILD_IN_NEED, Referral.Decision.CHILD_PROTECTION)
    if rule.applies_when == ThresholdRule.AppliesWhen.CHILD_PROTECTION:
        return decision == Referral.Decision.CHILD_PROTECTION
    return True


def effective_rules(rules, local_authority_id) -> list[ThresholdRule]:
    """The rules in force for one local authority: its own where it has one, the defaults otherwise."""
    chosen = {}
    for rule in rules:
        key = (rule.from_milestone, rule.to_milestone)
        if rule.local_authority_id == local_authority_id or (rule.local_authority_id is None and key not in chosen):
            chosen[key] = rule
    return list(chosen.values())

