"""The directory of agencies and professionals, shared by every team (see agencies.selectors)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from agencies import selectors, services
from agencies.forms import (
    AgencyForm,
    DirectoryFilterForm,
    EditAgencyForm,
    EditProfessionalForm,
    NewProfessionalForm,
)
from core.errors import saved


@require_GET
@login_required
def agency_list(request):
    selectors.refuse_unless_may_use_directory(request.user)
    filter_form = DirectoryFilterForm(request.GET or None)
    page = selectors.agencies_page(**filter_form.filters(), page_number=request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "agencies/list.html", {"filter_form": filter_form, "page": page,
                                                   "query": query.urlencode()})


@login_required
def agency_create(request):
    selectors.refuse_unless_may_use_directory(request.user)
    form = AgencyForm(request.POST or None)
    if form.is_valid() and saved(form, lambda: services.agency_create(user=request.user, agency=form.instance)):
        messages.success(request, f"{form.instance} added to the directory.")
        return redirect("agencies:detail", form.instance.pk)
    return render(request, "agencies/form.html", {"form": form, "title": "Add an agency", "agency": None})


@require_GET
@login_required
def agency_detail(request, pk):
    agency = selectors.agency_for(request.user, pk)
    return render(request, "agencies/detail.html",
                  {"agency": agency, "professionals": selectors.professionals_of(agency)})


@login_required
def agency_edit(request, pk):
    agency = selectors.agency_for(request.user, pk)
    title = f"Edit {agency}"  # before the form changes the instance
    form = EditAgencyForm(request.POST or None, instance=agency, initial={"version": agency.version})
    if form.is_valid() and saved(form, lambda: services.agency_update(
        user=request.user, agency=form.instance, expected_version=form.cleaned_data["version"],
    )):
        messages.success(request, "Agency saved.")
        return redirect("agencies:detail", agency.pk)
    return render(request, "agencies/form.html", {"form": form, "title": title, "agency": agency})


@login_required
def professional_add(request, pk):
    agency = selectors.agency_for(request.user, pk)
    form = NewProfessionalForm(request.POST or None, suggest_agency=agency)
    if form.is_valid():
        existing = form.same_person
        if existing is not None:
            messages.info(request, f"{existing.full_name} is already in the directory: nobody was added.")
            return redirect("agencies:professional_edit", existing.agency_id, existing.pk)
        if saved(form, lambda: services.professional_add(
            user=request.user, agency=agency, professional=form.instance,
        )):
            messages.success(request, f"{form.instance.full_name} added to {agency}.")
            return redirect("agencies:detail", agency.pk)
    return render(request, "agencies/form.html", {
        "form": form, "title": f"Add someone at {agency}", "agency": agency,
    })


@login_required
def professional_edit(request, pk, professional_pk):
    agency = selectors.agency_for(request.user, pk)
    professional = selectors.professional_for(request.user, agency, professional_pk)
    name = professional.full_name  # before the form changes the instance
    form = EditProfessionalForm(request.POST or None, instance=professional,
                                initial={"version": professional.version})
    if form.is_valid() and saved(form, lambda: services.professional_update(
        user=request.user, professional=form.instance, expected_version=form.cleaned_data["version"],
    )):
        messages.success(request, f"{professional.full_name}'s details saved.")
        return redirect("agencies:detail", agency.pk)
    return render(request, "agencies/form.html", {
        "form": form, "title": f"Edit {name}", "agency": agency,
    })
