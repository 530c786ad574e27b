"""Who may see and do what. Every decision about access lives here.

A family belongs to one team; a user sees the families of the teams they belong
to, whatever their role there. Anything else is answered with 404, so a URL never
confirms that a family exists.
"""

from django.shortcuts import get_object_or_404

from families.models import Family, Membership, Role, Team
from staff.models import User

# Roles in the order that decides which home page a person with several sees.
HOME_ROLE_ORDER = [Role.MANAGER, Role.PLO, Role.CASEWORKER, Role.ADMINISTRATOR]
MANAGING_ROLES = {Role.MANAGER, Role.ADMINISTRATOR}


def team_ids(user):
    return Membership.objects.filter(user=user).values("team_id")


def visible_families(user):
    if not user.is_authenticated:
        return Family.objects.none()
    return Family.objects.filter(team_id__in=team_ids(user))


def family_for(user, pk, *, queryset=None):
    """The family ``pk`` if ``user`` may see it, else Http404."""
    queryset = queryset if queryset is not None else Family.objects.all()
    return get_object_or_404(queryset.filter(team_id__in=team_ids(user)), pk=pk)


def roles_of(user):
    return set(Membership.objects.filter(user=user).values_list("role", flat=True))


def home_role(user):
    roles = roles_of(user)
    for role in HOME_ROLE_ORDER:
        if role in roles:
            return role
    return None


def can_manage_team(user, team_id):
    return Membership.objects.filter(user=user, team_id=team_id, role__in=MANAGING_ROLES).exists()


def can_transfer(user, family):
    """Managers and administrators of the family's current team move it to another team."""
    return can_manage_team(user, family.team_id)


def teams_of(user):
    return Team.objects.filter(pk__in=team_ids(user))


def users_in_teams_of(user):
    """Colleagues who may own work on the user's families (follow-ups, key work)."""
    return User.objects.filter(is_active=True, memberships__team_id__in=team_ids(user)).distinct()


def is_manager(user):
    """Managers and administrators of any team: they review overdue work and set local thresholds."""
    return user.is_authenticated and Membership.objects.filter(user=user, role__in=MANAGING_ROLES).exists()
