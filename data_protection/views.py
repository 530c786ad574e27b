"""The administrators' pages: how long records are kept, legal holds, what a retention run would
remove, its approval and its result, and subject access requests. Anyone else gets 404."""


from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import audit
from core.errors import UserFixableError, add_to_form, saved
from data_protection import response as subject_access_reply
from data_protection import retention, selectors, services
from data_protection.forms import (
    ApproveRunForm,
    LegalHoldForm,
    LiftHoldForm,
    RetentionRuleForm,
    SubjectAccessCompleteForm,
    SubjectAccessExtendForm,
    SubjectAccessFamilyForm,
    SubjectAccessRequestForm,
    SubjectAccessReviewForm,
)
from data_protection.models import LegalHold, RetentionRule, RetentionRun, SubjectAccessRequest
from data_protection.rules import rule_in_words
from families import permissions
from families.models import Family

_administrators_only = permissions.only_for(permissions.may_manage_data_protection)


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


RECENT_RUNS = 10


def _approved(run):
    families = run.families_listed
    return f"{run} approved: it is anonymising {families} famil{'y' if families == 1 else 'ies'}."


def _dry_run_page(request, form):
    return render(request, "data_protection/retention_dry_run.html", {
        "result": retention.dry_run(), "form": form, "runs": selectors.retention_runs()[:RECENT_RUNS],
    })


@_administrators_only
@require_GET
def retention_dry_run(request):
    """What a retention run today would anonymise: figures only, no family named, nothing changed."""
    return _dry_run_page(request, ApproveRunForm())


@_administrators_only
@require_POST
def retention_approve(request):
    """Save today's dry run as a run and approve it; it starts once approved."""
    form = ApproveRunForm(request.POST)
    if form.is_valid():
        try:
            run = services.retention_run_approve_today(user=request.user, families_typed=form.cleaned_data["families"])
        except UserFixableError as error:
            add_to_form(form, error)
        else:
            messages.success(request, _approved(run))
            return redirect("data_protection:retention_run", run.pk)
    return _dry_run_page(request, form)


@_administrators_only
@require_http_methods(["GET", "POST"])
def retention_run(request, pk):
    """One run: its figures, who worked it out and approved it, and what it did. A run waiting for
    approval (the nightly dry run) is approved here."""
    run = get_object_or_404(RetentionRun.objects.select_related("worked_out_by", "approved_by"), pk=pk)
    form = ApproveRunForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and saved(form, lambda: services.retention_run_approve(
        user=request.user, run=run, families_typed=form.cleaned_data["families"],
    )):
        messages.success(request, _approved(run))
        return redirect("data_protection:retention_run", run.pk)
    return render(request, "data_protection/retention_run.html", {
        "run": run, "form": form, "audit_entries_kept_from": selectors.audit_entries_kept_from(run),
    })


# ----------------------------------------------------------------- subject access requests


@_administrators_only
@require_GET
def subject_access_list(request):
    rows = selectors.subject_access_rows()
    audit.record_reads([row.request for row in rows], kind=audit.Read.LIST)
    return render(request, "data_protection/subject_access_list.html", {"rows": rows})


@_administrators_only
@require_GET
def subject_access_find_family(request):
    """The first step of recording a request: the family, by its reference."""
    form = SubjectAccessFamilyForm(request.GET if "family_reference" in request.GET else None)
    if form.is_valid():
        return redirect("data_protection:subject_access_record", form.cleaned_data["family_reference"].pk)
    return render(request, "data_protection/subject_access_family.html", {"form": form})


@_administrators_only
@require_http_methods(["GET", "POST"])
def subject_access_record(request, family_id):
    """The second step: who the request is about, who asked, how their identity was checked."""
    family = get_object_or_404(Family, pk=family_id)
    form = SubjectAccessRequestForm(request.POST or None, family=family)
    recorded = {}
    if form.is_valid() and saved(form, lambda: recorded.setdefault("request", services.subject_access_record(
        user=request.user, family=family, person=form.cleaned_data["person"],
        asked_by=form.cleaned_data["asked_by"], asked_by_name=form.cleaned_data["asked_by_name"],
        identity_check=form.cleaned_data["identity_check"], identity_details=form.cleaned_data["identity_details"],
        received_on=form.cleaned_data["received_on"],
    ))):
        sar = recorded["request"]
        due = selectors.subject_access_row(sar)
        messages.success(request, f"{sar} recorded: the reply is due by the end of {due.due_in_words}.")
        return redirect("data_protection:subject_access", sar.pk)
    audit.record_view(family)
    return render(request, "data_protection/subject_access_form.html", {"form": form, "family": family})


def _subject_access_or_404(pk) -> SubjectAccessRequest:
    try:
        return selectors.subject_access_request(pk)
    except SubjectAccessRequest.DoesNotExist:
        raise Http404 from None


@_administrators_only
@require_http_methods(["GET", "POST"])
def subject_access(request, pk):
    """The review screen: everything held about the person, and for each item whether the reply
    withholds it. Every item shown is a read of the family's record."""
    sar = _subject_access_or_404(pk)
    items = selectors.gather(sar)
    form = SubjectAccessReviewForm(request.POST or None, items=items, initial={"version": sar.version})
    if request.method == "POST" and form.is_valid() and saved(form, lambda: services.subject_access_withholdings_save(
        user=request.user, request=sar, decisions=form.decisions, expected_version=form.cleaned_data["version"],
    )):
        withheld = sum(1 for decision in form.decisions.values() if decision is not None)
        messages.success(request, f"Review saved: {withheld} of {len(items)} item{'' if len(items) == 1 else 's'} "
                                  "withheld.")
        return redirect("data_protection:subject_access", sar.pk)
    audit.record_reads([sar, *(item.record for item in items)], kind=audit.Read.VIEW)
    return render(request, "data_protection/subject_access.html", {
        "sar": sar, "due": selectors.subject_access_row(sar), "form": form, "rows": form.rows(),
    })


@_administrators_only
@require_http_methods(["GET", "POST"])
def subject_access_extend(request, pk):
    sar = _subject_access_or_404(pk)
    form = SubjectAccessExtendForm(request.POST or None, initial={"version": sar.version})
    if form.is_valid() and saved(form, lambda: services.subject_access_extend(
        user=request.user, request=sar, reason=form.cleaned_data["reason"],
        expected_version=form.cleaned_data["version"],
    )):
        due = selectors.subject_access_row(sar)
        messages.success(request, f"{sar} extended: the reply is now due by the end of {due.due_in_words}.")
        return redirect("data_protection:subject_access", sar.pk)
    audit.record_view(sar)
    return render(request, "data_protection/subject_access_extend.html", {
        "sar": sar, "due": selectors.subject_access_row(sar), "form": form,
    })


@_administrators_only
@require_http_methods(["GET", "POST"])
def subject_access_complete(request, pk):
    sar = _subject_access_or_404(pk)
    form = SubjectAccessCompleteForm(request.POST or None, initial={"version": sar.version})
    if form.is_valid() and saved(form, lambda: services.subject_access_complete(
        user=request.user, request=sar, completed_on=form.cleaned_data["completed_on"],
        expected_version=form.cleaned_data["version"],
    )):
        messages.success(request, f"{sar} completed.")
        return redirect("data_protection:subject_access_list")
    audit.record_view(sar)
    return render(request, "data_protection/subject_access_complete.html", {
        "sar": sar, "due": selectors.subject_access_row(sar), "form": form,
    })


def _reply_download(request, pk, *, render_file, file_format: str, content_type: str, extension: str):
    """The reply as a file. Every record in it is an export read of the family's record; the records
    withheld are not, as nothing of them leaves. The request's own history says which format was
    made, and how many items it holds and leaves out."""
    sar = _subject_access_or_404(pk)
    reply = subject_access_reply.reply_for(sar)
    content = render_file(reply)
    with transaction.atomic():
        audit.record_reads([sar, *reply.included_records], kind=audit.Read.EXPORT, what="subject access reply")
        audit.record_event(sar, actor=request.user, event="subject access reply produced", format=file_format,
                           items_included=len(reply.items), items_withheld=reply.withheld_count,
                           family_id=sar.family_id)
    download = HttpResponse(content, content_type=content_type)
    download["Content-Disposition"] = f'attachment; filename="{reply.file_stem}.{extension}"'
    download["Cache-Control"] = "no-store"
    return download


@_administrators_only
@require_GET
def subject_access_response_pdf(request, pk):
    return _reply_download(request, pk, render_file=subject_access_reply.render_pdf, file_format="PDF",
                           content_type="application/pdf", extension="pdf")


@_administrators_only
@require_GET
def subject_access_response_archive(request, pk):
    return _reply_download(request, pk, render_file=subject_access_reply.render_archive,
                           file_format="JSON and CSV archive", content_type="application/zip", extension="zip")
