"""The service report for funders, its printable layout (a page per area) and its CSV, for managers
and administrators: counts of the families of the teams they manage, never a family named."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from core.replica import reading_from_replica
from core.spreadsheets import csv_download
from families import permissions
from families.models import Team
from reports import service
from reports.service_forms import ServiceReportForm


def _chosen_report(request):
    """The form and, once an area and period are chosen, the report. 404 for anyone who manages no
    team; the access check stays on the primary (core.replica), the figures may come from the replica."""
    team_ids = permissions.managed_team_ids(request.user)
    if not team_ids:
        raise Http404
    data = request.GET.copy()
    data.pop("print", None)
    with reading_from_replica():
        form = ServiceReportForm(data or None, team_ids=team_ids)
        report = None
        if form.is_bound and form.is_valid():
            report = service.service_report(**form.report_arguments(), now=timezone.now(), team_ids=team_ids)
    return team_ids, form, report


@require_GET
@login_required
def service_report(request):
    """Families supported, calls, support given, exploitation types, referrals and how long children's
    social care took, meeting actions and outcomes, per chosen local authority, and over time.
    ``?print=1`` gives a page per area to hand to a funder.

    Counts only, about no one family, so, like the delay figures, it writes no entry in any family's history."""
    team_ids, form, report = _chosen_report(request)
    with reading_from_replica():
        teams = list(Team.objects.filter(pk__in=team_ids).order_by("name").values_list("name", flat=True))
    return render(request, "reports/service.html", {
        "form": form, "report": report, "teams": teams, "charity_name": settings.CHARITY_NAME,
        "printable": request.GET.get("print") == "1" and report is not None,
        "query": form.query if report is not None else "",
    })


@require_GET
@login_required
def service_report_export(request):
    """The same figures as CSV, in long form (area, period, figure, breakdown, value)."""
    _team_ids, form, report = _chosen_report(request)
    if report is None:
        return redirect(f"{reverse('reports:service')}?{request.GET.urlencode()}")
    period = report.period
    return csv_download(f"service-report-{period.start:%Y-%m-%d}-to-{period.end:%Y-%m-%d}.csv",
                        service.CSV_HEADER, service.csv_rows(report))
