"""Pages that bring several apps together. The project package stands above every app, so
it may read from all of them; no app imports it."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from core import audit
from families import handover as family_handover
from families import permissions
from families import selectors as family_selectors
from families.models import Role
from pace_cases import handover
from referrals import selectors as referral_selectors
from safety_plans import plo_home

HOME_TEMPLATES = {
    Role.MANAGER: "home/manager.html",
    Role.PLO: "home/plo.html",
}


@require_GET
@login_required
def home(request):
    """My work: what is due for the signed-in person, shaped by their main role. Each list shows a
    page, the most pressing first, with how many there are and links to the pages before and after
    (GET parameters: see family_selectors.MyWorkCursors)."""
    role = permissions.home_role(request.user)
    cursors = family_selectors.MyWorkCursors.from_query(request.GET)
    work = family_selectors.my_work(request.user, include_team=role in permissions.MANAGING_ROLES, cursors=cursors)
    template = HOME_TEMPLATES.get(role, "home/caseworker.html")
    waiting = referral_selectors.waiting_on_csc(request.user, after=cursors.waiting_after,
                                                before=cursors.waiting_before)
    handovers = handover.handovers_for(request.user)
    context = {"work": work, "role": role, "waiting": waiting, "handovers": handovers}
    shown = [*work.families, *(row.referral.family for row in waiting), *handovers.families]
    if role == Role.PLO:
        context["plo"] = plo_home.plo_work(request.user, timezone.localdate())
        shown += context["plo"].families
    audit.record_reads(shown, kind=audit.Read.LIST)
    return render(request, template, context)


@require_GET
@login_required
def handover_history(request, pk):
    """A hand-over's latest timeline entries, loaded into the home page after it (see handovers_for)."""
    received = family_handover.unread_handover_for(request.user, pk)
    audit.record_view(received.family)
    entries = handover.recent_history(received, request.user)
    return render(request, "home/_handover_history.html", {"handover": received, "entries": entries})


@require_POST
@login_required
def handover_read(request, pk):
    family_handover.handover_mark_read(user=request.user, pk=pk)
    if request.htmx:
        return HttpResponse("")
    return redirect("home")
