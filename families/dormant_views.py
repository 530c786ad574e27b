"""Administrators' pages about accounts: when each last signed in, where a person is signed in, and
resetting a lost second factor."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from families import dormant, permissions
from staff import signins, two_factor
from staff.models import User

LAST_SIGN_INS_PAGE_SIZE = 100


def _administrator_or_404(user):
    if not permissions.is_administrator(user):
        raise Http404


@never_cache
@login_required
@require_GET
def last_sign_ins(request):
    _administrator_or_404(request.user)
    page = Paginator(dormant.last_sign_ins(), LAST_SIGN_INS_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = dormant.last_sign_in_rows(page.object_list)
    return render(
        request,
        "staff/last_sign_ins.html",
        {"page": page, "dormant_days": settings.DORMANT_ACCOUNT_DAYS},
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def account_sign_ins(request, user_pk):
    """A person's sign-ins, and a button that signs them out of every device."""
    _administrator_or_404(request.user)
    person = get_object_or_404(User, pk=user_pk)
    if request.method == "POST":
        ended = signins.sign_ins_end_all(user=request.user, person=person)
        if ended:
            messages.success(request, f"{person} is signed out of {ended} device{'s' if ended != 1 else ''}.")
        else:
            messages.info(request, f"{person} was not signed in anywhere.")
        return redirect("families:team_account_sign_ins", person.pk)
    return render(
        request,
        "staff/account_sign_ins.html",
        {
            "person": person,
            "sign_ins": list(signins.sign_ins_of(person)),
            "has_second_factor": two_factor.has_app(person),
        },
    )


@never_cache
@login_required
@require_POST
def account_second_factor_reset(request, user_pk):
    """For a lost phone: removes the person's app and recovery codes and signs them out everywhere;
    they set up a new app when they next sign in."""
    _administrator_or_404(request.user)
    person = get_object_or_404(User, pk=user_pk)
    signins.second_factor_reset(actor=request.user, person=person)
    messages.success(
        request,
        f"{person}'s second factor is reset and they are signed out everywhere. When they next sign in "
        "they will set up their authenticator app again.",
    )
    return redirect("families:team_account_sign_ins", person.pk)
