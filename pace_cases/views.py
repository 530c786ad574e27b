"""Pages that bring several apps together. The project package stands above every app, so
it may read from all of them; no app imports it."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from families import permissions
from families import selectors as family_selectors
from families.models import Role
from referrals import selectors as referral_selectors
from safety_plans import plo_home

HOME_TEMPLATES = {
    Role.MANAGER: "home/manager.html",
    Role.PLO: "home/plo.html",
}


@require_GET
@login_required
def home(request):
    """My work: what is due for the signed-in person, shaped by their main role."""
    role = permissions.home_role(request.user)
    work = family_selectors.my_work(request.user, include_team=role in permissions.MANAGING_ROLES)
    template = HOME_TEMPLATES.get(role, "home/caseworker.html")
    waiting = referral_selectors.waiting_on_csc(request.user)
    context = {"work": work, "role": role, "waiting": waiting}
    if role == Role.PLO:
        context["plo"] = plo_home.plo_work(request.user, timezone.localdate())
    return render(request, template, context)
