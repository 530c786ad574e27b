"""The administrators' pages: how long records are kept, legal holds, and what a retention run would
remove. Anyone else gets 404."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from core import audit
from core.errors import saved
from data_protection import retention, selectors, services
from data_protection.forms import LegalHoldForm, LiftHoldForm, RetentionRuleForm
from data_protection.models import LegalHold, RetentionRule
from data_protection.rules import rule_in_words
from families import permissions


def _administrators_only(view):
    """404 for anyone else, before anything else is answered (even a wrong method)."""

    @wraps(view)
    def checked(request, *args, **kwargs):
        if not permissions.may_manage_data_protection(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return login_required(checked)


@_administrators_only
@require_GET
def rule_list(request):
    rules = [(rule, rule_in_words(rule)) for rule in selectors.retention_rules()]
    return render(request, "data_protection/rules.html", {"rules": rules})


@_administrators_only
@require_http_methods(["GET", "POST"])
def rule_edit(request, pk):
    rule = get_object_or_404(RetentionRule, pk=pk)
    form = RetentionRuleForm(request.POST or None, instance=rule, initial={"version": rule.version})
    if form.is_valid() and saved(form, lambda: services.rule_update(
        user=request.user, rule=form.instance, expected_version=form.cleaned_data["version"],
    )):
        messages.success(request, f"Saved: {rule}. {rule_in_words(rule)}.")
        return redirect("data_protection:rules")
    return render(request, "data_protection/rule_form.html", {"form": form, "rule": rule})


@_administrators_only
@require_GET
def hold_list(request):
    in_force = list(selectors.holds_in_force())
    lifted = list(selectors.holds_lifted())
    audit.record_reads([*in_force, *lifted], kind=audit.Read.LIST)
    return render(request, "data_protection/holds.html", {"in_force": in_force, "lifted": lifted})


@_administrators_only
@require_http_methods(["GET", "POST"])
def hold_place(request):
    form = LegalHoldForm(request.POST or None)
    if form.is_valid() and saved(form, lambda: services.hold_place(
        user=request.user, family=form.cleaned_data["family_reference"], reason=form.cleaned_data["reason"],
        details=form.cleaned_data["details"], review_on=form.cleaned_data["review_on"],
    )):
        messages.success(request, f"Legal hold placed on {form.cleaned_data['family_reference']}: nothing of the "
                                  "family's will be removed until it is lifted.")
        return redirect("data_protection:holds")
    return render(request, "data_protection/hold_form.html", {"form": form})


@_administrators_only
@require_http_methods(["GET", "POST"])
def hold_lift(request, pk):
    hold = get_object_or_404(LegalHold.objects.in_force().select_related("family", "placed_by"), pk=pk)
    form = LiftHoldForm(request.POST or None)
    if form.is_valid() and saved(form, lambda: services.hold_lift(
        user=request.user, hold=hold, reason=form.cleaned_data["reason"],
    )):
        messages.success(request, f"The legal hold on {hold.family} was lifted.")
        return redirect("data_protection:holds")
    audit.record_view(hold)
    return render(request, "data_protection/hold_lift.html", {"form": form, "hold": hold})


@_administrators_only
@require_GET
def retention_dry_run(request):
    """What a retention run today would anonymise: figures only, no family named, nothing changed."""
    return render(request, "data_protection/retention_dry_run.html", {"result": retention.dry_run()})
