"""What the navigation bar needs on every page: the unread notifications badge, whether to show
the overdue queue link, and, for administrators, whether e-mail is being delivered."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils.functional import SimpleLazyObject

from deadlines import outbox, selectors
from families.models import Membership, Role
from families.permissions import MANAGING_ROLES
from staff.models import User


@dataclass(frozen=True)
class NavigationState:
    unread_notifications: int = 0
    is_manager: bool = False
    is_administrator: bool = False
    # Administrators only: e-mails waiting to be sent, since when, and the error of the latest
    # failed attempt. ``mail_last_error`` is empty while e-mail goes through.
    mail_waiting: int = 0
    mail_waiting_since: datetime | None = None
    mail_last_error: str = ""

    @property
    def mail_failing(self) -> bool:
        return bool(self.mail_last_error)


def _navigation_state(user) -> NavigationState:
    if not user.is_authenticated:
        return NavigationState()
    # One query for all of it: the user's row, annotated with the unread count, "manages a team",
    # "is an administrator" and, for administrators only, the state of the e-mail outbox.
    unread = (
        selectors.unread_notifications(user)
        .order_by()
        .values("recipient")
        .annotate(count=Count("pk"))
        .values("count")
    )
    is_administrator = Exists(Membership.objects.filter(user=OuterRef("pk"), role=Role.ADMINISTRATOR))
    mail = {
        name: Case(When(is_administrator, then=expression), default=Value(None), output_field=expression.output_field)
        for name, expression in outbox.mail_trouble_annotations().items()
    }
    row = (
        User.objects.filter(pk=user.pk)
        .annotate(
            unread=Coalesce(Subquery(unread, output_field=IntegerField()), Value(0)),
            manages=Exists(Membership.objects.filter(user=OuterRef("pk"), role__in=MANAGING_ROLES)),
            administers=is_administrator,
            **mail,
        )
        .values("unread", "manages", "administers", *mail)
        .get()
    )
    return NavigationState(
        unread_notifications=row["unread"],
        is_manager=row["manages"],
        is_administrator=row["administers"],
        mail_waiting=row["mail_waiting"] or 0,
        mail_waiting_since=row["mail_waiting_since"],
        mail_last_error=row["mail_last_error"] or "",
    )


def unread_notifications(request):
    """``nav``: evaluated only when a template reads it (base.html does, for signed-in people), so
    anonymous pages, htmx fragments and downloads run no query for it."""
    return {"nav": SimpleLazyObject(lambda: _navigation_state(request.user))}
