"""Reads for the managers' overdue queue and a person's notifications. Each is a fixed number
of queries whatever the number of flags: the queue is read in keyset pages on the flags' own
index (core.keyset), lateness is worked out in Python from rows fetched with their family, team,
key worker and local authority (once per due moment and nation), and links come from the
registered kinds (deadlines.kinds), one call per kind on the page."""

import functools
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q

from core.keyset import keyset_chunks
from core.working_days import working_days_overdue
from deadlines import kinds
from deadlines.models import Notification, OverdueFlag, due_day, overdue_since
from families.models import Family, LocalAuthority, Team
from families.permissions import is_administrator, managed_team_ids
from staff.models import User

QUEUE_KEY = "due_at"  # with the id: the order of the queue, on the flag_queue_order index


def unresolved_flags(team_ids_managed):
    """Unresolved overdue flags of the families of these teams, most late first (QUEUE_KEY), with
    what a row of the queue shows (QueueRow.authority_name: the deadline's authority, else the
    family's)."""
    return (
        OverdueFlag.objects.filter(resolved_at__isnull=True, family__team_id__in=team_ids_managed)
        .select_related(
            "deadline__local_authority", "family__team", "family__key_worker", "family__local_authority",
            "acknowledged_by",
        )
        .order_by(QUEUE_KEY, "pk")
    )


def counted_against(authority) -> Q:
    """Flags counted against ``authority``: the deadline's authority where it has one (a referral's is
    the one it was made to, not always where the family lives now), else the family's."""
    return Q(deadline__local_authority=authority) | Q(
        deadline__local_authority__isnull=True, family__local_authority=authority
    )


def flags_to_acknowledge(team_ids_managed):
    """The flags a manager of these teams may acknowledge: unresolved ones of their families."""
    return OverdueFlag.objects.filter(resolved_at__isnull=True, family__team_id__in=team_ids_managed)


def authorities():
    """Every local authority a flag may be counted against, by name: the authorities themselves,
    about two hundred rows, rather than those the flags name (which means reading all of them)."""
    return LocalAuthority.objects.order_by("name", "pk")


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


def _authority_name(flag) -> str:
    authority = flag.deadline.local_authority or (flag.family.local_authority if flag.family else None)
    return authority.name if authority else "Not known"


def _lateness(now: datetime):
    """(due day, overdue since, working days late) of a due moment in a nation's working days, worked
    out once for each moment and nation: many flags share them."""

    @functools.cache
    def lateness(due_at: datetime, nation: str) -> tuple[date, date, int]:
        return due_day(due_at), overdue_since(due_at), working_days_overdue(due_at, now, nation)

    return lateness


def queue_rows(flags, now: datetime) -> list[QueueRow]:
    """Rows of a page of the queue, with the page about each promise and the actions on it."""
    flags = list(flags)
    urls = kinds.links_for(flag.deadline for flag in flags)
    lateness = _lateness(now)
    rows = []
    for flag in flags:
        due_on, since, late = lateness(flag.due_at, flag.deadline.nation)
        rows.append(
            QueueRow(
                flag=flag,
                authority_name=_authority_name(flag),
                due_on=due_on,
                overdue_since=since,
                working_days_late=late,
                subject_url=urls.get(flag.deadline_id),
                actions=kinds.get(flag.deadline.kind).actions(flag),
            )
        )
    return rows


@dataclass(frozen=True)
class ExportRow:
    reference: str
    label: str
    authority_name: str
    team_name: str
    key_worker_name: str
    due_on: date
    working_days_late: int
    level: int
    acknowledged_by_name: str
    acknowledged_at: datetime | None
    note: str
    family_id: int


EXPORT_VALUES = (
    "pk", QUEUE_KEY, "family_id", "family__reference", "family__team_id", "family__key_worker_id",
    "family__local_authority_id", "deadline__label", "deadline__nation", "deadline__local_authority_id", "level",
    "acknowledged_by_id", "acknowledged_at", "acknowledgement_note",
)


def export_chunks(flags, now: datetime, *, size: int, first_size: int | None = None):
    """The rows of the queue's export, a list of at most ``size`` at a time (the first of at most
    ``first_size``), each one query in the queue's order after the last (core.keyset), read as plain
    values rather than model instances: an export may be tens of thousands of rows. The names of
    teams, staff and authorities (a few hundred rows each) are read once, not joined to every row."""
    lateness = _lateness(now)
    teams = dict(Team.objects.values_list("pk", "name"))
    staff = dict(User.objects.values_list("pk", "full_name"))
    authorities = dict(LocalAuthority.objects.values_list("pk", "name"))
    values = flags.select_related(None).values_list(*EXPORT_VALUES, named=True)
    for chunk in keyset_chunks(values, key=QUEUE_KEY, size=size, first_size=first_size):
        rows = []
        for flag in chunk:
            due_on, _, late = lateness(flag.due_at, flag.deadline__nation)
            authority = flag.deadline__local_authority_id or flag.family__local_authority_id
            rows.append(ExportRow(
                reference=flag.family__reference, label=flag.deadline__label,
                authority_name=authorities.get(authority, "Not known"), team_name=teams[flag.family__team_id],
                key_worker_name=staff.get(flag.family__key_worker_id, ""), due_on=due_on, working_days_late=late,
                level=flag.level, acknowledged_by_name=staff.get(flag.acknowledged_by_id, ""),
                acknowledged_at=flag.acknowledged_at, note=flag.acknowledgement_note, family_id=flag.family_id,
            ))
        yield rows


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
