"""The family's timeline page, and what the family page shows of it."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from core import audit
from families import permissions, timeline
from families.timeline_forms import TimelineFilterForm

# The family page shows the newest entries; the timeline page a longer page, then "older".
FAMILY_PAGE_ENTRIES = 20
TIMELINE_PAGE_ENTRIES = 50


def timeline_context(request, family, *, limit: int) -> dict:
    """The page of the timeline the request asks for (filters and cursor from its GET
    parameters), its filter form, and the address of the next, older page."""
    form = TimelineFilterForm(request.GET if _filtering(request) else None)
    query = form.query().with_page(
        timeline.Cursor.parse(request.GET.get("older_than", ""), request.GET.get("key", ""))
    )
    page = timeline.timeline_for(
        family, request.user, kinds=query.kinds, since=query.since, before=query.before, limit=limit
    )
    filters = [(name, value) for name in ("kinds", "from_date", "to_date") for value in request.GET.getlist(name)]
    older_url = None
    if page.older is not None:
        older_url = reverse("families:timeline", args=[family.pk]) + "?" + urlencode(
            [*filters, ("older_than", page.older.when.isoformat()), ("key", page.older.key)]
        )
    labels = {source.kind: source.label for source in timeline.sources()}
    return {
        "timeline": page,
        "timeline_form": form,
        "timeline_query": query,
        "timeline_rows": [(entry, labels.get(entry.kind, entry.kind)) for entry in page.entries],
        "timeline_older_url": older_url,
        "timeline_filters": urlencode(filters),
        "timeline_is_older_page": "older_than" in request.GET,
    }


def _filtering(request) -> bool:
    return any(name in request.GET for name in ("kinds", "from_date", "to_date"))


@require_GET
@login_required
def family_timeline(request, pk):
    family = permissions.family_for(request.user, pk)
    audit.record_view(family)
    context = {"family": family, **timeline_context(request, family, limit=TIMELINE_PAGE_ENTRIES)}
    return render(request, "families/timeline.html", context)
