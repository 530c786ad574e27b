"""Reads for the managers' overdue queue and a person's notifications. Each is a fixed number
of queries whatever the number of flags: lateness is worked out in Python from rows fetched
with their family, team, key worker and local authority, and links come from the registered
kinds (deadlines.kinds), one call per kind on the page."""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import F, Q
from django.db.models.functions import Coalesce

from core.working_days import working_days_overdue
from deadlines import kinds
from deadlines.models import Deadline, Notification, OverdueFlag, due_day, overdue_since
from families.models import Family, LocalAuthority
from families.permissions import is_administrator, managed_team_ids
from staff.models import User


def unresolved_flags(team_ids_managed):
    """Unresolved overdue flags of the families of these teams, most late first, with what a row
    of the queue shows. The authority is the deadline's (a referral's is the one it was made to,
    not always where the family lives now), else the family's; annotated for the filter."""
    return (
        OverdueFlag.objects.filter(resolved_at__isnull=True, family__team_id__in=team_ids_managed)
        .select_related(
            "deadline", "family__team", "family__key_worker", "family__local_authority", "acknowledged_by",
        )
        .annotate(
            authority_id=Coalesce(F("deadline__local_authority_id"), F("family__local_authority_id")),
            authority_name=Coalesce(F("deadline__local_authority__name"), F("family__local_authority__name")),
        )
        .order_by("deadline__due_at", "pk")
    )


def flags_to_acknowledge(team_ids_managed):
    """The flags a manager of these teams may acknowledge: unresolved ones of their families."""
    return OverdueFlag.objects.filter(resolved_at__isnull=True, family__team_id__in=team_ids_managed)


def authorities_in(team_ids_managed):
    """Local authorities the families of these teams live in, or their deadlines are counted against."""
    lived_in = Family.objects.filter(team_id__in=team_ids_managed).values("local_authority_id")
    counted_against = Deadline.objects.filter(
        family__team_id__in=team_ids_managed, local_authority__isnull=False
    ).values("local_authority_id")
    return LocalAuthority.objects.filter(Q(pk__in=lived_in) | Q(pk__in=counted_against)).order_by("name")


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
    overdue_since: date
    working_days_late: int
    subject_url: str | None  # the page about what was promised
    actions: list  # deadlines.kinds.FlagAction

    @property
    def family(self):
        return self.flag.family

    @property
    def deadline(self):
        return self.flag.deadline

    @property
    def kind(self):
        return kinds.get(self.deadline.kind)


def queue_rows(flags, now: datetime) -> list[QueueRow]:
    """Rows of the queue, lateness in working days of the deadline's nation, computed in Python."""
    flags = list(flags)
    links = kinds.links_for(flag.deadline for flag in flags)
    rows = []
    for flag in flags:
        deadline = flag.deadline
        rows.append(
            QueueRow(
                flag=flag,
                authority_name=flag.authority_name or "Not known",
                due_on=due_day(deadline.due_at),
                overdue_since=overdue_since(deadline.due_at),
                working_days_late=working_days_overdue(deadline.due_at, now, deadline.nation),
                subject_url=links.get(deadline.pk),
                actions=kinds.get(deadline.kind).actions(flag),
            )
        )
    return rows


def flag_for_manager(user, flag_id):
    """An unresolved flag of a family in a team ``user`` manages, or None."""
    return (
        OverdueFlag.objects.filter(
            pk=flag_id, resolved_at__isnull=True, family__team_id__in=managed_team_ids(user)
        )
        .select_related("deadline", "family")
        .first()
    )


# ------------------------------------------------------------------ notifications


def in_app_notifications(user):
    """The user's in-app notifications, newest first. A digest names no family: it gives a count and
    links to the queue or My work, which show only what the user may see now."""
    return Notification.objects.filter(recipient=user, channel=Notification.Channel.IN_APP).order_by(
        "-created_at", "-pk"
    )


def unread_notifications(user):
    return in_app_notifications(user).filter(read_at__isnull=True)


def _digest_flags(notification: Notification):
    marker = "raised_at" if notification.event == Notification.Event.RAISED else "escalated_at"
    return OverdueFlag.objects.filter(**{marker: notification.created_at})


def _of_recipients_families(recipient) -> Q:
    return Q(family__key_worker=recipient) | Q(family__team_id__in=managed_team_ids(recipient))


def digest_family_references(notification: Notification, *, limit: int) -> list[str]:
    """References of the families a digest is about, in order, at most ``limit``: those with a flag
    raised (or escalated) at the digest's run moment whose key worker is the recipient or whose
    team the recipient manages (as things stand when it is sent)."""
    flags = _digest_flags(notification).filter(_of_recipients_families(notification.recipient))
    return list(
        Family.objects.filter(pk__in=flags.values("family_id")).order_by("reference").values_list(
            "reference", flat=True
        )[:limit]
    )


def digest_kinds_for_administrator(notification: Notification) -> list[str]:
    """Codes of the kinds, in order, of the digest's flags its recipient hears of as an
    administrator rather than through a family they work with (a breach's, which is no family's;
    another team's subject access request). Empty for anyone who is not an administrator now."""
    telling = kinds.telling(kinds.Audience.ADMINISTRATORS)
    if not telling or not is_administrator(notification.recipient):
        return []
    return list(
        _digest_flags(notification)
        .filter(deadline__kind__in=telling)
        .exclude(_of_recipients_families(notification.recipient))
        .order_by("deadline__kind")
        .values_list("deadline__kind", flat=True)
        .distinct()
    )
