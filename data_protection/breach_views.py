"""The breach log: administrators only, anyone else gets 404. Every breach shown is a read in the
audit trail."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from core import audit
from core.errors import saved
from core.forms import date_in_words
from data_protection import breach_clock, breaches
from data_protection.breach_forms import (
    BreachActionForm,
    BreachCloseForm,
    BreachDecisionForm,
    BreachForm,
    BreachReportForm,
)
from data_protection.models import Breach
from families import permissions

_administrators_only = permissions.only_for(permissions.may_manage_data_protection)


def _page_or_404(pk):
    try:
        return breach_clock.breach_page(pk)
    except Breach.DoesNotExist:
        raise Http404 from None


@_administrators_only
@require_GET
def breach_list(request):
    rows = breach_clock.breach_rows()
    audit.record_reads([row.breach for row in rows], kind=audit.Read.LIST)
    return render(request, "data_protection/breach_list.html", {"rows": rows})


@_administrators_only
@require_http_methods(["GET", "POST"])
def breach_record(request):
    form = BreachForm(request.POST or None)
    if form.is_valid() and saved(form, lambda: breaches.breach_record(user=request.user, breach=form.instance)):
        breach = form.instance
        clock = breach_clock.clock_for(breach)
        messages.success(request, f"{breach} recorded. Report it to the ICO, or record why not, by "
                                  f"{date_in_words(clock.due_at)} (72 hours from its discovery).")
        return redirect("data_protection:breach", breach.pk)
    return render(request, "data_protection/breach_form.html", {"form": form, "breach": None})


@_administrators_only
@require_GET
def breach_detail(request, pk):
    row, actions = _page_or_404(pk)
    audit.record_reads([row.breach, *actions], kind=audit.Read.VIEW)
    return render(request, "data_protection/breach_detail.html", {
        "row": row, "breach": row.breach, "actions": actions,
    })


@_administrators_only
@require_http_methods(["GET", "POST"])
def breach_edit(request, pk):
    row, _actions = _page_or_404(pk)
    breach = row.breach
    form = BreachForm(request.POST or None, instance=breach, initial={"version": breach.version})
    if form.is_valid() and saved(form, lambda: breaches.breach_update(
        user=request.user, breach=form.instance, expected_version=form.cleaned_data["version"],
    )):
        messages.success(request, f"{breach} saved.")
        return redirect("data_protection:breach", breach.pk)
    audit.record_view(breach)
    return render(request, "data_protection/breach_form.html", {"form": form, "breach": breach, "row": row})


def _step(request, pk, *, form_class, save, template_context, done, initial=None):
    """A page that does one thing to a breach (decide, record the report, add an action, close)."""
    row, _actions = _page_or_404(pk)
    breach = row.breach
    form = form_class(request.POST or None, initial={"version": breach.version, **(initial or {})})
    if form.is_valid() and saved(form, lambda: save(breach, form)):
        messages.success(request, done(breach))
        return redirect("data_protection:breach", breach.pk)
    audit.record_view(breach)
    return render(request, "data_protection/breach_step.html", {
        "form": form, "breach": breach, "row": row, **template_context,
    })


@_administrators_only
@require_http_methods(["GET", "POST"])
def breach_decide(request, pk):
    return _step(
        request, pk, form_class=BreachDecisionForm,
        save=lambda breach, form: breaches.breach_decide(
            user=request.user, breach=breach, decision=form.cleaned_data["decision"],
            reason=form.cleaned_data["reason"], expected_version=form.cleaned_data["version"],
        ),
        template_context={
            "heading": "Decide whether to report it to the ICO", "button": "Record the decision",
            "intro": "A breach is reported unless it is unlikely to result in a risk to people's rights and "
                     "freedoms. Record the reason either way: the ICO may ask for it.",
        },
        done=lambda breach: f"Decision recorded for {breach}: {breach.get_decision_display().lower()}.",
    )


@_administrators_only
@require_http_methods(["GET", "POST"])
def breach_report(request, pk):
    return _step(
        request, pk, form_class=BreachReportForm,
        save=lambda breach, form: breaches.breach_record_report(
            user=request.user, breach=breach, reported_at=form.cleaned_data["reported_at"],
            ico_reference=form.cleaned_data["ico_reference"], expected_version=form.cleaned_data["version"],
        ),
        template_context={
            "heading": "Record the report to the ICO", "button": "Record the report",
            "intro": "When the report was made (online or by telephone) and the reference the ICO gave.",
        },
        done=lambda breach: f"Report to the ICO recorded for {breach}.",
    )


@_administrators_only
@require_http_methods(["GET", "POST"])
def breach_action_add(request, pk):
    row, _actions = _page_or_404(pk)
    breach = row.breach
    form = BreachActionForm(request.POST or None)
    if form.is_valid() and saved(form, lambda: breaches.breach_add_action(
        user=request.user, breach=breach, done_at=form.cleaned_data["done_at"], what=form.cleaned_data["what"],
        done_by=form.cleaned_data["done_by"],
    )):
        messages.success(request, f"Action added to {breach}.")
        return redirect("data_protection:breach", breach.pk)
    audit.record_view(breach)
    return render(request, "data_protection/breach_step.html", {
        "form": form, "breach": breach, "row": row, "heading": "Add an action", "button": "Add the action",
        "intro": "Something done about the breach: contained, recovered, people told, a process changed. Actions "
                 "are kept as written: to correct one, add another.",
    })


@_administrators_only
@require_http_methods(["GET", "POST"])
def breach_close(request, pk):
    return _step(
        request, pk, form_class=BreachCloseForm,
        save=lambda breach, form: breaches.breach_close(
            user=request.user, breach=breach, expected_version=form.cleaned_data["version"],
        ),
        template_context={
            "heading": "Close the breach", "button": "Close it",
            "intro": "Close it once nothing more is to be done. Its record stays in the log; actions can still "
                     "be added.",
        },
        done=lambda breach: f"{breach} closed.",
    )
