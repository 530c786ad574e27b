import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import audit
from core.errors import saved
from deadlines import selectors, services
from deadlines.filters import OverdueFlagFilter
from deadlines.forms import AcknowledgeForm
from families import permissions
from referrals import services as referral_services
from referrals.forms import EscalationForm

QUEUE_PAGE_SIZE = 100
NOTIFICATIONS_PAGE_SIZE = 50


def _managed_team_ids_or_404(user):
    team_ids = permissions.managed_team_ids(user)
    if not team_ids:
        raise Http404
    return team_ids


@require_http_methods(["GET", "POST"])
@login_required
def queue(request):
    """The overdue flags of the families of the teams the user manages, most late first."""
    team_ids = _managed_team_ids_or_404(request.user)
    filterset = OverdueFlagFilter(request.GET, queryset=selectors.unresolved_flags(team_ids), team_ids=team_ids)
    form = AcknowledgeForm(
        request.POST if request.method == "POST" else None, flags=selectors.flags_to_acknowledge(team_ids)
    )
    if form.is_valid():
        count = services.flags_acknowledge(
            user=request.user, flags=form.cleaned_data["flags"], note=form.cleaned_data["note"]
        )
        chosen = len(form.cleaned_data["flags"])
        already = chosen - count
        text = f"{count} flag{'' if count == 1 else 's'} acknowledged."
        if already:
            text += f" {already} had already been acknowledged and keep{'s' if already == 1 else ''} that note."
        messages.success(request, text)
        return redirect(request.get_full_path())
    page = Paginator(filterset.qs, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = selectors.queue_rows(page.object_list, timezone.now())
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "deadlines/queue.html",
        {
            "filterset": filterset,
            "form": form,
            "page": page,
            "rows": rows,
            "chosen_ids": form.chosen_ids(),
            "filter_query": query.urlencode(),
        },
    )


@require_GET
@login_required
def queue_export(request):
    """The filtered queue as CSV. No names of family members; every family in it is audited."""
    team_ids = _managed_team_ids_or_404(request.user)
    filterset = OverdueFlagFilter(request.GET, queryset=selectors.unresolved_flags(team_ids), team_ids=team_ids)
    if not filterset.is_valid():
        return redirect(f"{reverse('deadlines:queue')}?{request.GET.urlencode()}")
    rows = selectors.queue_rows(filterset.qs, timezone.now())
    families = list({row.family.pk: row.family for row in rows}.values())
    audit.record_export(user=request.user, families=families, export="overdue queue")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="overdue-queue-{timezone.localdate():%Y-%m-%d}.csv"'
    response["Cache-Control"] = "no-store"
    writer = csv.writer(response)
    writer.writerow(
        [
            "Family reference", "What is late", "Local authority", "Team", "Key worker", "Due date",
            "Working days late", "Level", "Acknowledged by", "Acknowledged at", "Note",
        ]
    )
    for row in rows:
        flag = row.flag
        acknowledged_at = timezone.localtime(flag.acknowledged_at) if flag.acknowledged_at else None
        writer.writerow(
            [
                _cell(value)
                for value in (
                    row.family.reference,
                    row.deadline.label,
                    row.authority_name,
                    row.family.team.name,
                    row.family.key_worker.full_name if row.family.key_worker else "",
                    f"{row.due_on:%d/%m/%Y}",
                    row.working_days_late,
                    flag.get_level_display(),
                    flag.acknowledged_by.full_name if flag.acknowledged_by else "",
                    f"{acknowledged_at:%d/%m/%Y %H:%M}" if acknowledged_at else "",
                    flag.acknowledgement_note,
                )
            ]
        )
    return response


def _cell(value):
    """Text that a spreadsheet would run as a formula is prefixed with an apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@require_http_methods(["GET", "POST"])
@login_required
def escalate(request, flag_id):
    flag = selectors.flag_for_manager(request.user, flag_id)
    referral = selectors.referral_behind(flag) if flag else None
    if referral is None:
        raise Http404
    form = EscalationForm(request.POST or None)
    form.instance.flag = flag
    if form.is_valid() and saved(
        form, lambda: referral_services.escalation_record(user=request.user, referral=referral,
                                                          escalation=form.instance)
    ):
        messages.success(request, f"{form.instance.get_kind_display()} recorded for family {flag.family.reference}.")
        return redirect("deadlines:queue")
    return render(request, "deadlines/escalate.html", {"form": form, "flag": flag, "referral": referral})


@require_GET
@login_required
def notifications(request):
    page = Paginator(selectors.in_app_notifications(request.user), NOTIFICATIONS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "deadlines/notifications.html", {"page": page})


@require_POST
@login_required
def notifications_mark_read(request):
    count = services.notification_mark_read(
        user=request.user, notification_ids=selectors.unread_notifications(request.user).values("pk")
    )
    if count:
        messages.success(request, f"{count} notification{'' if count == 1 else 's'} marked as read.")
    return redirect("deadlines:notifications")
