"""The anonymised research export's page, for administrators only (404 for anyone else)."""

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from core.errors import UserFixableError, add_to_form
from core.replica import reading_from_replica
from families import permissions
from reports import research
from reports.models import ResearchExport
from reports.research_forms import ResearchExportForm

# The exports listed under the form, most recent first.
RECENT_EXPORTS = 20


@permissions.only_for(permissions.may_export_research)
@require_http_methods(["GET", "POST"])
def research_export(request):
    """The form; a valid one sends the export as a zip (data.csv and README.txt) and records it. The
    file is made afresh each time, with new identifiers, and never kept."""
    form = ResearchExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with reading_from_replica():
                made = research.research_export_build(form.criteria(), now=timezone.now())
        except UserFixableError as error:
            add_to_form(form, error)
        else:
            export = research.research_export_record(made, user=request.user)
            response = HttpResponse(made.zip_bytes(), content_type="application/zip")
            response["Content-Disposition"] = (
                f'attachment; filename="research-export-{timezone.localdate(made.made_at):%Y-%m-%d}-{export.pk}.zip"'
            )
            response["Cache-Control"] = "no-store"
            return response
    return render(request, "reports/research_export.html", {
        "form": form,
        "field_catalogue": research.FIELDS,
        "max_families": research.MAX_FAMILIES,
        "exports": ResearchExport.objects.select_related("made_by")[:RECENT_EXPORTS],
    })
