"""The accountability figures page and its CSV, for managers: the actions agreed at meetings
about the families of the teams they manage."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from core.replica import reading_from_replica
from core.spreadsheets import csv_download
from families import permissions
from meetings import figures
from meetings.figures import MeetingPeriodForm

CSV_HEADER = [
    "Meetings held from", "to", "Open figures as of", "Agency", "Local authority", "Actions agreed",
    "Done on time", "Done late", "Still open", "Open past their date", "Open with no date",
    "Median days open", "Longest days open", "Dropped", "Done on time (% of done or past their date)",
    "Done or past their date (n)",
]
ALL_AGENCIES = "All agencies"


def _managed_team_ids_or_404(user):
    team_ids = permissions.managed_team_ids(user)
    if not team_ids:
        raise Http404
    return team_ids


@require_GET
@login_required
def accountability_figures(request):
    """Per agency and per local authority: actions agreed, done on time or late, still open, dropped."""
    team_ids = _managed_team_ids_or_404(request.user)
    form = MeetingPeriodForm(request.GET or None)
    start, end = form.period()  # the last 12 months when none (or an impossible one) is chosen
    today = timezone.localdate()
    # Counts that may be a few seconds behind: the access check above stays on the primary.
    with reading_from_replica():
        result = figures.accountability_figures(team_ids=team_ids, start=start, end=end, today=today)
    # The total only when it adds something: with one authority it is that authority's row again.
    with_total = len(result.by_local_authority) > 1
    by_authority = [*result.by_local_authority, result.total] if with_total else result.by_local_authority
    return render(request, "meetings/figures.html", {
        "form": form, "figures": result, "chart": figures.outcome_chart(result.by_agency),
        "tables": [
            {"caption": "Accountability figures by agency", "first_column": "Agency", "rows": result.by_agency},
            {
                "caption": "Accountability figures by local authority, all agencies together",
                "first_column": "Local authority",
                "rows": by_authority,
                "with_total": with_total,
            },
        ],
        "start": start, "end": end, "today": today,
        "export_query": f"start={start:%Y-%m-%d}&end={end:%Y-%m-%d}",
    })


@require_GET
@login_required
def accountability_figures_export(request):
    """The same figures as CSV: counts only, per agency, per local authority and in all.

    Nothing in it is about one family (no names, references or dates of anyone's meeting), so,
    unlike the overdue queue's export, it writes no entry in any family's history."""
    team_ids = _managed_team_ids_or_404(request.user)
    form = MeetingPeriodForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return redirect(f"{reverse('meetings:figures')}?{request.GET.urlencode()}")
    start, end = form.period()
    today = timezone.localdate()
    with reading_from_replica():
        result = figures.accountability_figures(team_ids=team_ids, start=start, end=end, today=today)
    rows = [
        *((row.agency, row.local_authority, row) for row in result.by_agency),
        *((ALL_AGENCIES, row.local_authority, row) for row in result.by_local_authority),
    ]
    if result.total.agreed:
        rows.append((ALL_AGENCIES, result.total.local_authority, result.total))
    return csv_download(f"accountability-figures-{start:%Y-%m-%d}-to-{end:%Y-%m-%d}.csv", CSV_HEADER, (
        [
            f"{start:%d/%m/%Y}", f"{end:%d/%m/%Y}", f"{today:%d/%m/%Y}", agency, authority,
            row.agreed, row.done_on_time, row.done_late, row.open, row.open_past_date, row.open_without_date,
            _number(row.median_days_open), _number(row.longest_days_open), row.dropped,
            _number(row.share_on_time_percent), row.outcome_known,
        ]
        for agency, authority, row in rows
    ))


def _number(value):
    if value is None:
        return ""
    return int(value) if float(value).is_integer() else value


