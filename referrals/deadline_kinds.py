"""The deadline kinds referrals register with the deadline engine (see deadlines.kinds)."""

from django.urls import reverse

from deadlines import kinds
from referrals.models import Escalation, Milestone

GROUP = "Referrals to children's social care"
ESCALATION_RESPONSE = "escalation:response"


def deadline_kind(milestone: str) -> str:
    return f"referral:{milestone}"


def milestone_of(kind: str) -> str:
    return kind.removeprefix("referral:")


def _referral_links(deadlines) -> dict[int, str]:
    return {d.pk: reverse("referrals:detail", args=[d.family_id, d.subject_id]) for d in deadlines}


def _escalation_links(deadlines) -> dict[int, str]:
    referral_of = dict(
        Escalation.objects.filter(pk__in=[d.subject_id for d in deadlines]).values_list("pk", "referral_id")
    )
    return {
        d.pk: reverse("referrals:detail", args=[d.family_id, referral_of[d.subject_id]])
        for d in deadlines
        if d.subject_id in referral_of
    }


def _escalate(flag) -> list[kinds.FlagAction]:
    return [kinds.FlagAction("Record an escalation", reverse("referrals:flag_escalate", args=[flag.pk]))]


def register():
    kinds.register(
        *(
            kinds.DeadlineKind(
                code=deadline_kind(milestone), label=milestone.label, group=GROUP, links=_referral_links,
                actions=_escalate,
            )
            for milestone in Milestone
            if milestone != Milestone.REFERRAL_MADE
        ),
        kinds.DeadlineKind(
            code=ESCALATION_RESPONSE, label="Response to an escalation", group=GROUP, links=_escalation_links,
            actions=_escalate,
        ),
    )
