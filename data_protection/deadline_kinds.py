"""The deadline kind subject access requests register with the deadline engine (see deadlines.kinds),
and how a request's clock follows what is recorded about it."""

from datetime import datetime, time

from django.urls import reverse
from django.utils import timezone

from core.working_days import Allowance, end_of_local_day
from data_protection.models import SubjectAccessRequest
from deadlines import kinds
from deadlines import services as deadlines

GROUP = "Data protection"
SUBJECT_ACCESS = "data_protection:subject_access"
LABEL = "Reply to a subject access request"

# UK GDPR Article 12(3): a reply within one month of receipt, extendable by two further months
# where the request is complex or one of several. Calendar months, from the day it was received.
REPLY_WITHIN = Allowance(1, "calendar_months")
REPLY_WITHIN_EXTENDED = Allowance(3, "calendar_months")


def _links(deadlines_) -> dict[int, str]:
    # The deadline's subject is the request itself: its id is all the link needs.
    return {d.pk: reverse("data_protection:subject_access", args=[d.subject_id]) for d in deadlines_}


def register():
    kinds.register(kinds.DeadlineKind(
        code=SUBJECT_ACCESS, label=LABEL, group=GROUP, links=_links,
        # Administrators answer the requests, whichever team the family is in.
        tells=frozenset({kinds.Audience.TEAM_MANAGERS, kinds.Audience.KEY_WORKER, kinds.Audience.ADMINISTRATORS}),
        overview_url_name="data_protection:subject_access_list", overview_name="the subject access requests",
    ))


def _nation(family) -> str:
    return family.local_authority.nation if family.local_authority_id else "england"


def received_at(request: SubjectAccessRequest) -> datetime:
    """The start of the London day the request was received: the clock counts from that day."""
    return timezone.make_aware(datetime.combine(request.received_on, time.min))


def allowance_for(request: SubjectAccessRequest) -> Allowance:
    return REPLY_WITHIN_EXTENDED if request.is_extended else REPLY_WITHIN


def due_at(request: SubjectAccessRequest, *, extended: bool | None = None) -> datetime:
    """When the reply is due (the end of that London day), as the engine works it out."""
    extended = request.is_extended if extended is None else extended
    allowance = REPLY_WITHIN_EXTENDED if extended else REPLY_WITHIN
    return allowance.due_from(received_at(request), _nation(request.family))


def request_clock_follows(request: SubjectAccessRequest, *, now=None):
    """An open request has one deadline, a month (or, extended, three) from receipt; completed, its
    clock is met at the end of the day it was completed. Inside the caller's transaction, after the
    request is saved."""
    now = now or timezone.now()
    if request.is_open:
        deadlines.deadline_set(
            family=request.family, subject=request, kind=SUBJECT_ACCESS, label=LABEL,
            allowance=allowance_for(request), nation=_nation(request.family), started_at=received_at(request),
            now=now,
        )
    else:
        met_at = min(now, end_of_local_day(request.completed_on))
        deadlines.deadlines_close_for(request, met_at=met_at, now=now)
