from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import audit
from core import selectors as core_selectors
from core.errors import UserFixableError, saved
from core.keyset import bounded_count, keyset_page
from core.replica import reading_from_replica
from core.spreadsheets import csv_stream
from core.working_days import calendar_source, library_years
from deadlines import calendar as calendar_changes
from deadlines import outbox as outbox_service
from deadlines import selectors, services
from deadlines.filters import OverdueFlagFilter
from deadlines.forms import AcknowledgeForm, BankHolidayChangeForm
from deadlines.models import OverdueFlag
from families import permissions
from families.models import Family

QUEUE_PAGE_SIZE = 50  # rows a page draws: most of its time is drawing them
QUEUE_COUNT_LIMIT = 1000  # flags counted on the page, no further
NOTIFICATIONS_PAGE_SIZE = 50
OUTBOX_PAGE_SIZE = 100


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
    flags = filterset.qs
    page = keyset_page(flags, key=selectors.QUEUE_KEY, size=QUEUE_PAGE_SIZE,
                       after=request.GET.get("after"), before=request.GET.get("before"))
    rows = selectors.queue_rows(page.rows, timezone.now())
    audit.record_reads((row.family for row in rows), kind=audit.Read.LIST)
    query = request.GET.copy()
    for cursor in ("after", "before"):
        query.pop(cursor, None)
    return render(
        request,
        "deadlines/queue.html",
        {
            "filterset": filterset,
            "form": form,
            "page": page,
            "count": bounded_count(flags, limit=QUEUE_COUNT_LIMIT),
            "rows": rows,
            "chosen_ids": form.chosen_ids(),
            "filter_query": query.urlencode(),
        },
    )


QUEUE_CSV_HEADER = [
    "Family reference", "What is late", "Local authority", "Team", "Key worker", "Due date",
    "Working days late", "Level", "Acknowledged by", "Acknowledged at", "Note",
]


def _queue_cells(row: selectors.ExportRow) -> list:
    acknowledged_at = timezone.localtime(row.acknowledged_at) if row.acknowledged_at else None
    return [
        row.reference,
        row.label,
        row.authority_name,
        row.team_name,
        row.key_worker_name,
        f"{row.due_on:%d/%m/%Y}",
        row.working_days_late,
        OverdueFlag.Level(row.level).label,
        row.acknowledged_by_name,
        f"{acknowledged_at:%d/%m/%Y %H:%M}" if acknowledged_at else "",
        row.note,
    ]


EXPORT_CHUNK_SIZE = 2000  # flags read, and their families audited, at a time
EXPORT_FIRST_CHUNK_SIZE = 200  # fewer first, so that rows follow the header at once


def _export_rows(flags, now):
    """The export's rows, a chunk at a time: each read (from the replica where there is one), then
    the families in it not named before audited as exported, then sent."""
    chunks = selectors.export_chunks(flags, now, size=EXPORT_CHUNK_SIZE, first_size=EXPORT_FIRST_CHUNK_SIZE)
    recorded = set()
    while True:
        with reading_from_replica():
            chunk = next(chunks, None)
        if chunk is None:
            return
        families = {row.family_id for row in chunk} - recorded
        audit.record_family_reads(Family, families, kind=audit.Read.EXPORT, what="overdue queue")
        recorded |= families
        yield [_queue_cells(row) for row in chunk]


@require_GET
@login_required
def queue_export(request):
    """The filtered queue as CSV, streamed while it is read, so that the first rows go out at once
    and memory stays flat however long it is. No names of family members; every family in it is
    audited as its rows are sent.

    Its rows may be a few seconds behind (core.replica); the access check stays on the primary."""
    team_ids = _managed_team_ids_or_404(request.user)
    filterset = OverdueFlagFilter(request.GET, queryset=selectors.unresolved_flags(team_ids), team_ids=team_ids)
    if not filterset.is_valid():
        return redirect(f"{reverse('deadlines:queue')}?{request.GET.urlencode()}")
    return csv_stream(f"overdue-queue-{timezone.localdate():%Y-%m-%d}.csv", QUEUE_CSV_HEADER,
                      _export_rows(filterset.qs, timezone.now()))


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


def _administrator_or_404(user):
    """The outbox names staff and their e-mail addresses across every team: administrators only."""
    if not permissions.is_administrator(user):
        raise Http404


@require_GET
@login_required
def outbox(request):
    """E-mails not sent, or that may not have been, for administrators, with "try again now" for
    those still worth sending."""
    _administrator_or_404(request.user)
    page = Paginator(outbox_service.outbox_rows(), OUTBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(notification, outbox_service.can_retry(notification)) for notification in page.object_list]
    return render(request, "deadlines/outbox.html", {"page": page, "rows": rows})


@require_POST
@login_required
def outbox_retry(request, notification_id):
    _administrator_or_404(request.user)
    if outbox_service.notification_retry(user=request.user, notification_id=notification_id):
        messages.success(request, "The e-mail will be tried again now.")
    else:
        messages.error(
            request,
            "That e-mail cannot be tried again: it is queued or sent already, its flags are resolved, "
            "or the account is deactivated.",
        )
    return redirect("deadlines:outbox")


# ------------------------------------------------------------ the bank-holiday calendar


def _calendar_year(text, default: int) -> int:
    first, last = library_years()
    return int(text) if text and text.isdigit() and first <= int(text) <= last else default


@require_http_methods(["GET", "POST"])
@login_required
def calendar(request):
    """Each nation's bank holidays of a year, and the changes made here; administrators add a day or
    withdraw one, and the open deadlines counted on it move (deadlines.calendar)."""
    if not permissions.is_administrator(request.user):
        raise Http404
    form = BankHolidayChangeForm(request.POST or None)
    outcome = []
    if form.is_valid() and saved(
        form, lambda: outcome.append(calendar_changes.calendar_change_record(user=request.user, **form.cleaned_data))
    ):
        change = outcome[0].change
        messages.success(request, f"{change.get_change_display()} in {change.get_calendar_display()}: "
                                  f"{change.day:%A} {change.day.day} {change.day:%B %Y}. {outcome[0].message}")
        return redirect(f"{reverse('deadlines:calendar')}?year={change.day.year}")
    chosen_day = form.cleaned_data.get("day") if form.is_bound and hasattr(form, "cleaned_data") else None
    year = _calendar_year(request.GET.get("year"), default=(chosen_day or timezone.localdate()).year)
    first, last = library_years()
    return render(request, "deadlines/calendar.html", {
        "form": form, "year": year, "nations": core_selectors.calendar_year(year), "source": calendar_source(),
        "previous_year": year - 1 if year > first else None, "next_year": year + 1 if year < last else None,
    })


@require_POST
@login_required
def calendar_change_undo(request, change_id):
    if not permissions.is_administrator(request.user):
        raise Http404
    change = core_selectors.calendar_change(change_id)
    try:
        outcome = calendar_changes.calendar_change_undo(user=request.user, change=change)
    except UserFixableError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"The change for {change.day:%A} {change.day.day} {change.day:%B %Y} in "
                                  f"{change.get_calendar_display()} was undone. {outcome.message}")
    return redirect(f"{reverse('deadlines:calendar')}?year={change.day.year}")
