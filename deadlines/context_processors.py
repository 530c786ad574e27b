"""What the navigation bar needs on every page: the unread notifications badge, and whether to
show the overdue queue link."""

from dataclasses import dataclass

from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.functional import SimpleLazyObject

from deadlines import selectors
from families.models import Membership
from families.permissions import MANAGING_ROLES
from staff.models import User


@dataclass(frozen=True)
class NavigationState:
    unread_notifications: int = 0
    is_manager: bool = False


def _navigation_state(user) -> NavigationState:
    if not user.is_authenticated:
        return NavigationState()
    # One query for both: the user's row, annotated with the unread count and "manages a team".
    unread = (
        selectors.unread_notifications(user)
        .order_by()
        .values("recipient")
        .annotate(count=Count("pk"))
        .values("count")
    )
    unread_count, is_manager = (
        User.objects.filter(pk=user.pk)
        .annotate(
            unread=Coalesce(Subquery(unread, output_field=IntegerField()), Value(0)),
            manages=Exists(Membership.objects.filter(user=OuterRef("pk"), role__in=MANAGING_ROLES)),
        )
        .values_list("unread", "manages")
        .get()
    )
    return NavigationState(unread_notifications=unread_count, is_manager=is_manager)


def unread_notifications(request):
    """``nav``: evaluated only when a template reads it (base.html does, for signed-in people), so
    anonymous pages, htmx fragments and downloads run no query for it."""
    return {"nav": SimpleLazyObject(lambda: _navigation_state(request.user))}
