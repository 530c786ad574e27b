"""The intelligence log's pages. Every one answers 404 to anyone who may not see the family's
intelligence (a caseworker in its team as much as someone outside it), before anything else, so
nobody is told that a log exists and nobody without the permission can add to it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from core import audit
from core.errors import saved
from families import consent, permissions
from families.models import AgencyKind, Family
from safety_plans import intelligence
from safety_plans.intelligence_forms import (
    EditIntelligenceEntryForm,
    IntelligenceEntryForm,
    PassedToPoliceForm,
    PoliceSheetForm,
)

POLICE_SHEET_EXPORT = "intelligence sheet for the police"
LINKS_EXPORT = "links across families"


def _family_with_intelligence(user, pk) -> Family:
    family = permissions.family_for(user, pk)
    if not permissions.may_see_intelligence(user, family):
        raise Http404
    return family


def _log_url(family) -> str:
    return reverse("safety_plans:intelligence", args=[family.pk])


@login_required
def intelligence_list(request, pk):
    """The family's log, with the form to add to it."""
    family = _family_with_intelligence(request.user, pk)
    form = IntelligenceEntryForm(request.POST or None, family=family)
    if form.is_valid() and saved(
        form, lambda: intelligence.intelligence_record(user=request.user, family=family, entry=form.instance)
    ):
        messages.success(request, "Added to the intelligence log.")
        return redirect(_log_url(family) + f"#entry-{form.instance.pk}")
    audit.record_view(family)
    return render(
        request,
        "safety_plans/intelligence.html",
        {
            "family": family,
            "rows": intelligence.intelligence_log(family, request.user),
            "form": form,
            "is_manager": bool(permissions.managed_team_ids(request.user)),
        },
    )


def _entry(family, entry_pk):
    return get_object_or_404(family.intelligence.select_related("child"), pk=entry_pk)


def _entry_page(request, pk, entry_pk, *, make_form, done, title):
    """A page that saves a change to one entry through intelligence_update, with its version check."""
    family = _family_with_intelligence(request.user, pk)
    entry = _entry(family, entry_pk)
    form = make_form(request.POST or None, entry, family)
    if form.is_valid() and saved(
        form,
        lambda: intelligence.intelligence_update(
            user=request.user, entry=form.instance, expected_version=form.cleaned_data["version"]
        ),
    ):
        messages.success(request, done)
        return redirect(_log_url(family) + f"#entry-{entry.pk}")
    audit.record_view(family)
    return render(
        request,
        "safety_plans/intelligence_form.html",
        {"family": family, "form": form, "entry": entry, "title": title},
    )


@login_required
def intelligence_edit(request, pk, entry_pk):
    return _entry_page(
        request, pk, entry_pk, done="Entry saved.", title="Edit an intelligence entry",
        make_form=lambda data, entry, family: EditIntelligenceEntryForm(
            data, instance=entry, family=family, initial={"version": entry.version}),
    )


@login_required
def intelligence_police(request, pk, entry_pk):
    """Record that the entry was passed to the police: when, to whom, their reference, what came of it."""
    return _entry_page(
        request, pk, entry_pk, done="Saved what the police were told.", title="Passed to the police",
        make_form=lambda data, entry, family: PassedToPoliceForm(data, instance=entry,
                                                                 initial={"version": entry.version}),
    )


@login_required
def intelligence_print(request, pk):
    """Choose entries (GET), then the sheet for the police (POST, so the choice is not in the URL and a
    sheet is only made on purpose). The sheet is recorded in the family's history as an export. When
    the parent withdrew consent to share with the police, the page says so and the sheet is made only
    with a reason to share without it, kept with the family's consents."""
    family = _family_with_intelligence(request.user, pk)
    entries = list(intelligence.entries_of(family))
    withdrawn = consent.sharing_withdrawn(family, AgencyKind.POLICE)
    # Not "request.POST or None": a sheet asked for with nothing ticked is told so.
    data = request.POST if request.method == "POST" else None
    form = PoliceSheetForm(data, family=family, entries=entries, consent_withdrawn=bool(withdrawn))
    if form.is_valid() and _sheet_recorded(request.user, family, form, without_consent=bool(withdrawn)):
        chosen = intelligence.entries_for_sheet(family, [entry.pk for entry in form.cleaned_data["entries"]])
        return render(
            request,
            "safety_plans/intelligence_sheet.html",
            {
                "family": family,
                "entries": [(entry, intelligence.platform_label(entry.platform)) for entry in chosen],
                "children": form.cleaned_data["children"],
                "prepared_at": timezone.now(),
            },
        )
    audit.record_view(family)
    return render(request, "safety_plans/intelligence_print.html", {
        "family": family, "form": form, "withdrawals": [consent.withdrawal_sentence(c) for c in withdrawn],
    })


def _sheet_recorded(user, family, form, *, without_consent) -> bool:
    """Record the sheet in the family's history and, made without consent, why (next to the form's
    reason when it is refused), in one transaction: neither is kept without the other."""
    with transaction.atomic():
        if without_consent and not saved(form, lambda: consent.sharing_without_consent_record(
            user=user, family=family, agency_kind=AgencyKind.POLICE, what=POLICE_SHEET_EXPORT,
            reason=form.cleaned_data["reason"],
        )):
            return False
        audit.record_reads([family], kind=audit.Read.PRINT, what=POLICE_SHEET_EXPORT)
    return True


@require_GET
@login_required
def intelligence_links(request):
    """For managers: registrations, numbers and handles reported by two or more families."""
    managed = permissions.managed_team_ids(request.user)
    if not managed:
        raise Http404
    links = intelligence.links_across_families(request.user, managed=managed)
    shown = {family.pk for link in links for family in link.families}
    if shown:
        # The families named on the page, in one INSERT: one view of each family's log.
        audit.record_reads([Family(pk=pk) for pk in sorted(shown)], kind=audit.Read.LIST, what=LINKS_EXPORT)
    return render(request, "safety_plans/intelligence_links.html", {"links": links})
