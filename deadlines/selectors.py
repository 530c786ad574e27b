"""Reads for the managers' overdue queue and a person's notifications. Each is a fixed number
of queries whatever the number of flags: lateness is worked out in Python from rows fetched
with their family, team, key worker and local authority."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import BigIntegerField, Case, CharField, F, OuterRef, Q, Subquery, When

from core.working_days import local_date, working_days_overdue
from deadlines.models import Notification, OverdueFlag
from families.models import Family, LocalAuthority
from families.permissions import managed_team_ids
from referrals.models import Escalation, Referral
from staff.models import User

# Deadlines whose subject leads to a referral, so an escalation can be recorded against it.
_REFERRAL = ("referrals", "referral")
_ESCALATION = ("referrals", "escalation")


def _by_subject(referral_field: str, escalation_field: str, family_field: str, output_field):
    """A value taken from the referral the deadline is about (directly, or through an escalation
    of it), else from the family: a referral goes to the authority it was made to, which is not
    always the one the family lives in now."""
    on_referral = Referral.objects.filter(pk=OuterRef("deadline__subject_id")).values(referral_field)[:1]
    on_escalation = Escalation.objects.filter(pk=OuterRef("deadline__subject_id")).values(escalation_field)[:1]
    return Case(
        When(
            deadline__subject_type__app_label=_REFERRAL[0], deadline__subject_type__model=_REFERRAL[1],
            then=Subquery(on_referral),
        ),
        When(
            deadline__subject_type__app_label=_ESCALATION[0], deadline__subject_type__model=_ESCALATION[1],
            then=Subquery(on_escalation),
        ),
        default=F(family_field),
        output_field=output_field,
    )


def unresolved_flags(team_ids_managed):
    """Unresolved overdue flags of the families of these teams, most late first, with what a
    row of the queue shows. ``authority_id`` is annotated so the queue can be filtered on it."""
    return (
        OverdueFlag.objects.filter(resolved_at__isnull=True, family__team_id__in=team_ids_managed)
        .select_related(
            "deadline__subject_type", "family__team", "family__key_worker", "family__local_authority",
            "acknowledged_by",
        )
        .annotate(
            authority_id=_by_subject(
                "local_authority_id", "referral__local_authority_id", "family__local_authority_id",
                BigIntegerField(),
            ),
            authority_name=_by_subject(
                "local_authority__name", "referral__local_authority__name", "family__local_authority__name",
                CharField(),
            ),
        )
        .order_by("deadline__due_at", "pk")
    )


def flags_to_acknowledge(team_ids_managed):
    """The flags a manager of these teams may acknowledge: unresolved ones of their families."""
    return OverdueFlag.objects.filter(resolved_at__isnull=True, family__team_id__in=team_ids_managed)


def authorities_in(team_ids_managed):
    """Local authorities the families of these teams live in or were referred to."""
    lived_in = Family.objects.filter(team_id__in=team_ids_managed).values("local_authority_id")
    referred_to = Referral.objects.filter(family__team_id__in=team_ids_managed).values("local_authority_id")
    return LocalAuthority.objects.filter(Q(pk__in=lived_in) | Q(pk__in=referred_to)).order_by("name")


def key_workers_in(team_ids_managed):
    return (
        User.objects.filter(pk__in=Family.objects.filter(team_id__in=team_ids_managed).values("key_worker_id"))
        .order_by("full_name", "pk")
    )


@dataclass(frozen=True)
class QueueRow:
    flag: OverdueFlag
    authority_name: str
    due_on: date  # the London day by the end of which it was due
    overdue_since: datetime
    working_days_late: int
    can_escalate: bool

    @property
    def family(self):
        return self.flag.family

    @property
    def deadline(self):
        return self.flag.deadline


def due_day(due_at: datetime) -> date:
    """The day a deadline was due by: a deadline ending at local midnight belongs to the day before."""
    return local_date(due_at - timedelta(microseconds=1))


def queue_rows(flags, now: datetime) -> list[QueueRow]:
    """Rows of the queue, lateness in working days of the deadline's nation, computed in Python."""
    rows = []
    for flag in flags:
        deadline = flag.deadline
        subject_type = deadline.subject_type
        rows.append(
            QueueRow(
                flag=flag,
                authority_name=flag.authority_name or "Not known",
                due_on=due_day(deadline.due_at),
                overdue_since=deadline.due_at,
                working_days_late=working_days_overdue(deadline.due_at, now, deadline.nation),
                can_escalate=(subject_type.app_label, subject_type.model) in (_REFERRAL, _ESCALATION),
            )
        )
    return rows


def flag_for_manager(user, flag_id):
    """An unresolved flag of a family in a team ``user`` manages, or None."""
    return (
        OverdueFlag.objects.filter(
            pk=flag_id, resolved_at__isnull=True, family__team_id__in=managed_team_ids(user)
        )
        .select_related("deadline__subject_type", "family")
        .first()
    )


def referral_behind(flag: OverdueFlag) -> Referral | None:
    """The referral a flag is about: the deadline's subject, or the referral an escalation
    (whose answer is late) challenged. None for deadlines of other kinds."""
    subject_type = flag.deadline.subject_type
    key = (subject_type.app_label, subject_type.model)
    queryset = Referral.objects.select_related("family", "local_authority").filter(family_id=flag.family_id)
    if key == _REFERRAL:
        return queryset.filter(pk=flag.deadline.subject_id).first()
    if key == _ESCALATION:
        return queryset.filter(escalations__pk=flag.deadline.subject_id).first()
    return None


# ------------------------------------------------------------------ export audit


# ------------------------------------------------------------------ notifications


def in_app_notifications(user):
    """The user's in-app notifications, newest first. A digest names no family: it gives a count and
    links to the queue or My work, which show only what the user may see now."""
    return Notification.objects.filter(recipient=user, channel=Notification.Channel.IN_APP).order_by(
        "-created_at", "-pk"
    )


def unread_notifications(user):
    return in_app_notifications(user).filter(read_at__isnull=True)


def digest_family_references(notification: Notification, *, limit: int) -> list[str]:
    """References of the families a digest is about, in order, at most ``limit``: those with a flag
    raised (or escalated) at the digest's run moment whose key worker is the recipient or whose
    team the recipient manages (as things stand when it is sent)."""
    marker = "raised_at" if notification.event == Notification.Event.RAISED else "escalated_at"
    recipient = notification.recipient
    flags = OverdueFlag.objects.filter(**{marker: notification.created_at}).filter(
        Q(family__key_worker=recipient) | Q(family__team_id__in=managed_team_ids(recipient))
    )
    return list(
        Family.objects.filter(pk__in=flags.values("family_id")).order_by("reference").values_list(
            "reference", flat=True
        )[:limit]
    )
