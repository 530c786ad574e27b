"""Who may see and do what. Every decision about access, and every definition of a role's
reach, lives here; queries, forms, services and the overdue digests all use these.

A family belongs to one team; a user sees the families of the teams they belong to,
whatever their role there. Anything else is answered with 404, so a URL never confirms
that a family exists. Deactivated accounts can do nothing and are told nothing.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404

from core import audit
from families.models import Family, LocalAuthority, Membership, Role, Team
from staff.models import User

# Roles in the order that decides which home page a person with several sees.
HOME_ROLE_ORDER = [Role.MANAGER, Role.PLO, Role.CASEWORKER, Role.ADMINISTRATOR]
# The roles that manage a team: they see its overdue queue, hear of every flag of its families
# (the digests), acknowledge and escalate, transfer families, and set local thresholds.
MANAGING_ROLES = frozenset({Role.MANAGER, Role.ADMINISTRATOR})


def team_ids(user):
    return Membership.objects.filter(user=user).values("team_id")


def visible_families(user):
    """The families ``user``'s teams hold. An anonymised family (data_protection.anonymise) is no
    one's to open or change: it is a tombstone the figures count, not a record."""
    if not user.is_authenticated or not user.is_active:
        return Family.objects.none()
    return Family.objects.filter(team_id__in=team_ids(user), anonymised_at__isnull=True)


def family_for(user, pk, *, queryset=None):
    """The family ``pk`` if ``user`` may see it (see visible_families), else Http404
    (audit.RefusedRecord: an attempt on another team's family is logged)."""
    queryset = queryset if queryset is not None else Family.objects.all()
    try:
        return queryset.filter(team_id__in=team_ids(user), anonymised_at__isnull=True).get(pk=pk)
    except Family.DoesNotExist:
        raise audit.RefusedRecord(Family, pk) from None


def roles_of(user):
    return set(Membership.objects.filter(user=user).values_list("role", flat=True))


def home_role(user):
    roles = roles_of(user)
    for role in HOME_ROLE_ORDER:
        if role in roles:
            return role
    return None


def managed_team_ids(user) -> list[int]:
    """The teams ``user`` manages (one query): see MANAGING_ROLES."""
    if not user.is_authenticated or not user.is_active:
        return []
    return list(
        Membership.objects.filter(user=user, role__in=MANAGING_ROLES).order_by("team_id").values_list(
            "team_id", flat=True
        )
    )


def can_manage_team(user, team_id):
    return Membership.objects.filter(user=user, team_id=team_id, role__in=MANAGING_ROLES).exists()


def can_transfer(user, family):
    """Managers and administrators of the family's current team move it to another team."""
    return can_manage_team(user, family.team_id)


def teams_of(user):
    return Team.objects.filter(pk__in=team_ids(user))


def users_in_teams_of(user):
    """Colleagues in any of the user's teams (those a new family's team may be chosen from)."""
    return User.objects.filter(is_active=True, memberships__team_id__in=team_ids(user)).distinct()


def people_who_may_see(team_id):
    """Active members of the team: the only people who may own work on its families (key worker,
    a follow-up's owner), since anyone else would be told of a family that is a 404 to them."""
    return User.objects.filter(is_active=True, memberships__team_id=team_id).distinct()


def may_see_team_families(user, team_id) -> bool:
    return bool(user and user.is_active) and Membership.objects.filter(user=user, team_id=team_id).exists()


def is_administrator(user) -> bool:
    """Administrators (Role.ADMINISTRATOR in any team) manage teams, memberships and staff accounts."""
    if not user.is_authenticated or not user.is_active:
        return False
    return Membership.objects.filter(user=user, role=Role.ADMINISTRATOR).exists()


def may_manage_data_protection(user) -> bool:
    """Administrators set how long records are kept and place and lift legal holds."""
    return is_administrator(user)


def may_export_research(user) -> bool:
    """Administrators only make the anonymised research export (reports.research): it reads every
    team's families, so no one whose reach is a team's may make it, even anonymised."""
    return is_administrator(user)


def only_for(allowed):
    """A view decorator: signed out, the sign-in page; signed in but not ``allowed(user)``, 404,
    before anything else is answered (even a wrong method)."""

    def decorate(view):
        @wraps(view)
        def checked(request, *args, **kwargs):
            if not allowed(request.user):
                raise Http404
            return view(request, *args, **kwargs)

        return login_required(checked)

    return decorate


def family_view(*methods):
    """A view decorator for a family's pages: the view is called with the family (its local authority
    loaded) in place of ``pk``. The family is found first (404, logged, for anyone outside its team),
    then the method is checked, so a wrong method tells an outsider nothing."""

    def decorate(view):
        @login_required
        @wraps(view)
        def checked(request, pk, **kwargs):
            family = family_for(request.user, pk, queryset=Family.objects.select_related("local_authority"))
            if request.method not in methods:
                return HttpResponseNotAllowed(methods)
            return view(request, family, **kwargs)

        return checked

    return decorate


def team_for_administrator(user, pk, *, queryset=None) -> Team:
    """The team ``pk`` if ``user`` is an administrator (who manage every team), else Http404."""
    if not is_administrator(user):
        raise Http404
    return get_object_or_404(queryset if queryset is not None else Team.objects.all(), pk=pk)


def is_manager(user):
    """Managers and administrators of any team: they review overdue work and set local thresholds."""
    return bool(managed_team_ids(user))


# --------------------------------------------------------------- local authorities' rules


def authorities_managed_by(user):
    """The local authorities whose clocks (local threshold rules) ``user`` may change: those of the
    parent liaison teams they manage, and those where families of any team they manage live."""
    teams = managed_team_ids(user)
    if not teams:
        return LocalAuthority.objects.none()
    lived_in = Family.objects.filter(team_id__in=teams, local_authority__isnull=False).values("local_authority_id")
    embedded_in = Team.objects.filter(pk__in=teams, local_authority__isnull=False).values("local_authority_id")
    return LocalAuthority.objects.filter(Q(pk__in=lived_in) | Q(pk__in=embedded_in))


def can_change_rules_of(user, local_authority_id) -> bool:
    return authorities_managed_by(user).filter(pk=local_authority_id).exists()


# --------------------------------------------------------------- who is told


def recipient_memberships_sql(membership_table: str, user_table: str) -> str:
    """A condition, for the overdue digests' SQL, that a membership row ``m`` is of an active
    user who manages the team (the same reach as ``managed_team_ids``). Values are parameters
    named ``managing_role_0`` … (see ``recipient_sql_params``)."""
    roles = ", ".join(f"%(managing_role_{i})s" for i in range(len(MANAGING_ROLES)))
    return (
        # Placeholders and table names only (from model metadata): no value is ever formatted in.
        f"m.role IN ({roles}) AND EXISTS (SELECT 1 FROM {user_table} u WHERE u.id = m.user_id AND u.is_active)"  # noqa: S608
    )


def recipient_sql_params() -> dict:
    return {f"managing_role_{i}": role.value for i, role in enumerate(sorted(MANAGING_ROLES))}


def administrator_memberships_sql(membership_table: str, user_table: str) -> str:
    """A condition, for the overdue digests' SQL, that a membership row ``m`` makes an active user an
    administrator (the same reach as ``is_administrator``). Its value is the parameter named
    ``administrator_role`` (see ``administrator_sql_params``)."""
    # Placeholders and table names only (from model metadata): no value is ever formatted in.
    active = f"EXISTS (SELECT 1 FROM {user_table} u WHERE u.id = m.user_id AND u.is_active)"  # noqa: S608
    return f"m.role = %(administrator_role)s AND {active}"


def administrator_sql_params() -> dict:
    return {"administrator_role": Role.ADMINISTRATOR.value}


# --------------------------------------------------------------- intelligence about perpetrators

# What parents gather about the people exploiting their child is for those who take it to the
# police with them: the team's parent liaison officers and those who manage the team.
INTELLIGENCE_ROLES = frozenset({Role.PLO, Role.MANAGER, Role.ADMINISTRATOR})


def intelligence_team_ids(user):
    """The teams in whose families ``user`` may read and record intelligence (a subquery)."""
    if not user.is_authenticated or not user.is_active:
        return Membership.objects.none().values("team_id")
    return Membership.objects.filter(user=user, role__in=INTELLIGENCE_ROLES).values("team_id")


def may_see_intelligence(user, family) -> bool:
    return intelligence_team_ids(user).filter(team_id=family.team_id).exists()
