"""The outcomes report's page, printable layout and CSV (outcomes.report has the figures and the rule)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from core.replica import reading_from_replica
from core.spreadsheets import csv_download
from families import permissions
from outcomes import report as outcomes


def _report(request):
    """The figures a manager asked for (their teams' families only; 404 for anyone else), with the
    form that chose them: the last 12 months and all their teams when nothing, or something
    impossible, is chosen."""
    team_ids = permissions.managed_team_ids(request.user)  # on the primary: a role just taken away counts
    if not team_ids:
        raise Http404
    data = request.GET.copy()
    data.pop("print", None)
    with reading_from_replica():
        form = outcomes.OutcomesReportForm(data or None, teams=outcomes.team_choices(team_ids),
                                           authorities=outcomes.authority_choices(team_ids))
        report = outcomes.outcomes_report(team_ids=team_ids, period=form.period(), team=form.chosen_team(),
                                          local_authority=form.chosen_local_authority(), now=timezone.now())
    return form, report


@require_GET
@login_required
def outcomes_report(request):
    """How parents' own ratings changed, for managers: parents of the families of their teams.
    ``?print=1`` gives the layout to hand to a funder: title, period, method, chart and tables."""
    form, report = _report(request)
    return render(request, "outcomes/report.html", {
        "form": form, "report": report, "chart": outcomes.outcomes_chart(report),
        "printable": request.GET.get("print") == "1",
    })


@require_GET
@login_required
def outcomes_report_export(request):
    """The same figures as CSV. Counts only, about no one family (no names, references or dates of
    anyone's check-in), so it writes no entry in any family's history."""
    form, report = _report(request)
    if form.is_bound and not form.is_valid():
        return redirect(f"{reverse('outcomes:report')}?{request.GET.urlencode()}")
    period = report.period
    return csv_download(f"outcomes-{period.start:%Y-%m-%d}-to-{period.end:%Y-%m-%d}.csv",
                        outcomes.CSV_HEADER, outcomes.csv_rows(report))
