"""A family's ratings pages: every parent's ratings over time, recording ratings on their own
(asked outside a call, or not recorded with it), and putting them right.

Every view first finds the family (families.permissions.family_for), so anyone outside the
family's team gets 404 whatever the method; every page showing ratings records the read."""


from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from core import audit
from core.errors import saved
from families import permissions
from outcomes import selectors, services
from outcomes.forms import CheckInForm
from outcomes.models import CheckIn


def _ratings_url(family):
    return f"{family.get_absolute_url()}#ratings-heading"


@permissions.family_view("GET")
def check_in_list(request, family):
    parents = selectors.ratings_by_parent(family)
    audit.record_view(family)
    audit.record_reads([c for rated in parents for c in rated.check_ins], kind=audit.Read.LIST)
    return render(request, "outcomes/check_in_list.html", {"family": family, "parents": parents})


@permissions.family_view("GET", "POST")
def check_in_new(request, family):
    initial = {"asked_on": timezone.localdate()}
    chosen = request.GET.get("parent", "")
    if chosen.isdigit():
        initial["parent"] = int(chosen)
    form = CheckInForm(request.POST or None, instance=CheckIn(family=family), family=family, initial=initial)
    if request.method == "POST" and form.is_valid() and saved(
        form, lambda: services.check_in_record(user=request.user, family=family, check_in=form.instance)
    ):
        messages.success(request, f"Ratings recorded for {form.instance.parent.full_name}.")
        return redirect(_ratings_url(family))
    audit.record_view(family)
    return render(request, "outcomes/check_in_form.html", {
        "family": family, "form": form, "title": "Record ratings",
    })


@permissions.family_view("GET", "POST")
def check_in_edit(request, family, check_in_pk):
    check_in = selectors.check_in_for(family, check_in_pk)
    if check_in is None:
        raise Http404
    form = CheckInForm(request.POST or None, instance=check_in, family=family, initial={"version": check_in.version})
    if request.method == "POST" and form.is_valid() and saved(
        form,
        lambda: services.check_in_amend(
            user=request.user, check_in=form.instance, expected_version=form.cleaned_data["version"]
        ),
    ):
        messages.success(request, "Ratings saved. The earlier answers are kept in the record's history.")
        return redirect(_ratings_url(family))
    audit.record_view(check_in)
    return render(request, "outcomes/check_in_form.html", {
        "family": family, "form": form, "check_in": check_in,
        "title": f"Change {check_in.parent.full_name}'s ratings",
    })
