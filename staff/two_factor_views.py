"""The second factor's pages: setting up an app, typing a code, and "Your second factor"."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods
from django_otp.plugins.otp_static.models import StaticDevice

from core.errors import UserFixableError, add_to_form
from staff import two_factor
from staff.forms import AppCodeForm, SecondFactorCodeForm

RECOVERY_CODES_TEMPLATE = "staff/two_factor_recovery_codes.html"


def _before_the_code(view):
    """The pages a person reaches with a password alone: never cached, the code kept out of error
    reports, GET or POST only."""
    for decorator in (require_http_methods(["GET", "POST"]), sensitive_post_parameters("code"), login_required,
                      never_cache, two_factor.before_second_factor):
        view = decorator(view)
    return view


def _next(request) -> str:
    return request.POST.get("next") or request.GET.get("next") or ""


def _show_recovery_codes(request, codes, *, next_url, first_time):
    return render(
        request,
        RECOVERY_CODES_TEMPLATE,
        {
            "codes": [two_factor.recovery_code_display(code) for code in codes],
            "next_url": two_factor.safe_next(request, next_url),
            "first_time": first_time,
        },
    )


@_before_the_code
def verify(request):
    next_url = _next(request)
    if two_factor.is_verified(request.user):
        return redirect(two_factor.safe_next(request, next_url))
    if not two_factor.has_app(request.user):
        return redirect(two_factor.second_factor_url(request.user, next_url))
    form = SecondFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = two_factor.verify_code(request.user, form.cleaned_data["code"])
        except UserFixableError as refused:
            add_to_form(form, refused)
        else:
            two_factor.pass_second_factor(request, device)
            if isinstance(device, StaticDevice):
                left = two_factor.recovery_codes_left(request.user)
                messages.warning(
                    request,
                    f"You used a recovery code: {left} {'is' if left == 1 else 'are'} left. "
                    "Make new ones from “Your second factor” if you are running low.",
                )
            return redirect(two_factor.safe_next(request, next_url))
    return render(request, "staff/two_factor_verify.html", {"form": form, "next_url": next_url})


@_before_the_code
def set_up(request):
    next_url = _next(request)
    if two_factor.is_verified(request.user):
        return redirect("two_factor:manage")
    if two_factor.has_app(request.user):
        # Setting up another app would step around the one already set up: its code comes first.
        return redirect(two_factor.second_factor_url(request.user, next_url))
    device = two_factor.app_device_for_set_up(request.user)
    form = AppCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = two_factor.app_device_confirm(user=request.user, device=device, code=form.cleaned_data["code"])
        except UserFixableError as refused:
            add_to_form(form, refused)
        else:
            device.refresh_from_db()
            two_factor.pass_second_factor(request, device)
            return _show_recovery_codes(request, codes, next_url=next_url, first_time=True)
    return render(
        request,
        "staff/two_factor_set_up.html",
        {
            "form": form,
            "next_url": next_url,
            "qr_code": two_factor.qr_code_svg(device),
            "key_in_groups": two_factor.key_in_groups(device),
        },
    )


@never_cache
@login_required
@require_GET
def manage(request):
    return render(
        request,
        "staff/two_factor_manage.html",
        {
            "app": two_factor.app_device_of(request.user),
            "recovery_codes_left": two_factor.recovery_codes_left(request.user),
            "form": SecondFactorCodeForm(),
        },
    )


@never_cache
@login_required
@sensitive_post_parameters("code")
@require_http_methods(["POST"])
def new_recovery_codes(request):
    """New recovery codes, once the person has typed a current code: a session left open on a shared
    computer must not be enough to take them."""
    form = SecondFactorCodeForm(request.POST)
    if form.is_valid():
        try:
            two_factor.verify_code(request.user, form.cleaned_data["code"])
        except UserFixableError as refused:
            add_to_form(form, refused)
        else:
            codes = two_factor.recovery_codes_replace(user=request.user)
            return _show_recovery_codes(request, codes, next_url="", first_time=False)
    return render(
        request,
        "staff/two_factor_manage.html",
        {
            "app": two_factor.app_device_of(request.user),
            "recovery_codes_left": two_factor.recovery_codes_left(request.user),
            "form": form,
        },
        status=400,
    )
