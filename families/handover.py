"""Hand-overs: when a family's key worker changes to someone, the new key worker is shown what they
need to pick the family up (its open follow-ups, flags, plan reviews, meetings and latest history)
on their home page until they mark it read. The summary itself is put together in the project
package (pace_cases.handover), which may read the apps above this one."""

from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from families.models import Family, Handover
from families.permissions import team_ids

# The most hand-overs shown at once: a worker given a whole caseload reads them a page at a time.
HANDOVERS_SHOWN = 20


@transaction.atomic
def handover_create(*, user, family: Family, from_user_id: int | None) -> Handover | None:
    """Called by the services that change a family's key worker, inside their transaction, after the
    change is saved. One unread hand-over per family and recipient: a family handed away and back
    before it was read keeps the one it has. None when the family now has no key worker."""
    if family.key_worker_id is None or family.key_worker_id == from_user_id:
        return None
    handover, _ = Handover.objects.get_or_create(
        family=family, to_user_id=family.key_worker_id, read_at=None,
        defaults={"from_user_id": from_user_id},
    )
    return handover


@transaction.atomic
def handover_mark_read(*, user, pk: int) -> Handover:
    """Only the person it was handed to marks it read (Http404 for anyone else). Marking it twice, or
    in two tabs at once, keeps the first moment."""
    handover = Handover.objects.filter(pk=pk, to_user=user).first() if user.is_authenticated else None
    if handover is None:
        raise Http404
    Handover.objects.filter(pk=handover.pk, read_at__isnull=True).update(read_at=timezone.now())
    handover.refresh_from_db(fields=["read_at"])
    return handover


def _unread_of(user):
    # Only those of families they still key-work and may see: one handed on again since, or moved to
    # a team they are not in, is no longer theirs to pick up.
    if not user.is_authenticated or not user.is_active:
        return Handover.objects.none()
    return Handover.objects.filter(
        to_user=user, read_at__isnull=True, family__key_worker=user, family__team_id__in=team_ids(user)
    ).select_related("family__local_authority", "from_user")


def unread_handovers(user, *, limit: int = HANDOVERS_SHOWN) -> list[Handover]:
    """The hand-overs ``user`` has not read yet, oldest first, with their families: one query."""
    return list(_unread_of(user).order_by("created_at", "pk")[:limit])


def unread_handover_for(user, pk) -> Handover:
    """One of ``user``'s unread hand-overs, else Http404."""
    return get_object_or_404(_unread_of(user), pk=pk)
