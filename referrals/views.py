from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import audit
from core.errors import UserFixableError, saved
from core.replica import reading_from_replica
from core.spreadsheets import csv_download
from core.working_days import calendar_source
from deadlines.selectors import flag_for_manager
from families import consent, permissions
from families.models import Family
from referrals import figures, pack, selectors, services
from referrals.figures import DelayFiguresForm
from referrals.forms import (
    EscalationForm,
    EscalationResponseForm,
    MilestoneForm,
    PackFilterForm,
    ParentUpdateForm,
    ReferralDetailsForm,
    ReferralForm,
    SharingReasonForm,
    SocialWorkerForm,
    ThresholdRuleForm,
)
from referrals.models import Referral, ThresholdRule


def _family_and_referral(user, pk, referral_pk):
    """The referral, if the user may see its family; 404 otherwise."""
    family = permissions.family_for(user, pk)
    referral = get_object_or_404(
        Referral.objects.select_related("local_authority", "family", "previous_referral"),
        family=family, pk=referral_pk,
    )
    return family, referral


def _form_page(request, family, referral, form, title):
    audit.record_view(referral or family)
    return render(request, "referrals/form.html",
                  {"family": family, "referral": referral, "form": form, "title": title})


@login_required
def referral_create(request, pk):
    family = permissions.family_for(request.user, pk, queryset=Family.objects.select_related("local_authority"))
    form = ReferralForm(request.POST or None, family=family)
    if form.is_valid() and saved(form, lambda: services.referral_create(
        user=request.user, family=family, referral=form.instance, children=form.cleaned_data["children"],
        referral_made_at=form.cleaned_data["referral_made_at"],
        concern_raised_at=form.cleaned_data["concern_raised_at"],
    )):
        messages.success(request, "Referral recorded. The clock on children's social care has started.")
        return redirect(form.instance)
    return _form_page(request, family, None, form, "Record a referral to children's social care")


@require_GET
@login_required
def referral_detail(request, pk, referral_pk):
    family, referral = _family_and_referral(request.user, pk, referral_pk)
    audit.record_view(family)
    page = selectors.referral_page(referral)
    return render(request, "referrals/detail.html", {"family": family, "page": page, "referral": referral})


@require_GET
@login_required
def referral_chronology(request, pk, referral_pk):
    """A printable chronology of concerns, responses and delays, to attach to a complaint."""
    family, referral = _family_and_referral(request.user, pk, referral_pk)
    audit.record_view(family)
    page = selectors.referral_page(referral)
    header = pack.pack_header(family, request.user, referrals=[referral], period="The whole referral",
                              kinds="Milestones, what was due, updates, social workers and escalations", now=page.now)
    return render(request, "referrals/chronology.html",
                  {"family": family, "page": page, "referral": referral, "header": header})


PACK_PRINT = "chronology pack (print)"
PACK_PDF = "chronology pack (PDF)"


def _pack_for(request, pk, *, until_chosen=False):
    """The family (404 unless the user may see it), the filter form, and whether it asks for a pack:
    not while the form has errors, or (``until_chosen``) before a period and kinds are chosen."""
    family = permissions.family_for(request.user, pk)
    form = PackFilterForm(request.GET or None)
    asked = not ((form.is_bound and not form.is_valid()) or (until_chosen and not form.is_bound))
    return family, form, asked


def _pack_shared(request, family, form, *, read, what):
    """Record the pack in the family's history as ``read`` of ``what``, and return the withdrawals of
    consent to share with whom it is for, the reason form, and whether it may be shown. When the
    parent withdrew consent to share with that kind of agency, it may only from a POST with a reason,
    which is kept with the family's consents in the same transaction as the record of the pack."""
    agency_kind = form.cleaned_data.get("who_for", "") if form.is_bound else ""
    withdrawn = consent.sharing_withdrawn(family, agency_kind) if agency_kind else []
    reason_form = None
    with transaction.atomic():
        if withdrawn:
            reason_form = SharingReasonForm(request.POST if request.method == "POST" else None)
            if not reason_form.is_valid() or not saved(reason_form, lambda: consent.sharing_without_consent_record(
                user=request.user, family=family, agency_kind=agency_kind, what=what,
                reason=reason_form.cleaned_data["reason"],
            )):
                return [consent.withdrawal_sentence(c) for c in withdrawn], reason_form, False
        audit.record_reads([family], kind=read, what=what)
    return [consent.withdrawal_sentence(c) for c in withdrawn], reason_form, True


def _pack_page(request, family, form, *, chosen, withdrawals=(), reason_form=None, status=200):
    return render(request, "referrals/pack.html", {
        "family": family, "form": form, "pack": chosen, "query_string": request.GET.urlencode(),
        "pack_limit": pack.PACK_LIMIT, "withdrawals": withdrawals, "reason_form": reason_form,
        "rows": [(entry, pack.moment_text(entry)) for entry in chosen.entries] if chosen else [],
    }, status=status)


# POST only to carry a reason to share without consent; the pack's choices stay in the query string.
@require_http_methods(["GET", "POST"])
@login_required
def chronology_pack(request, pk):
    """The chronology pack of a chosen period and kinds, as a page to print."""
    family, form, asked = _pack_for(request, pk, until_chosen=True)
    if not asked:
        audit.record_view(family)
        return _pack_page(request, family, form, chosen=None)
    withdrawals, reason_form, shared = _pack_shared(request, family, form, read=audit.Read.PRINT, what=PACK_PRINT)
    if not shared:
        audit.record_view(family)
        return _pack_page(request, family, form, chosen=None, withdrawals=withdrawals, reason_form=reason_form)
    chosen = pack.chronology_pack(family, request.user, form.query())
    return _pack_page(request, family, form, chosen=chosen, withdrawals=withdrawals, reason_form=reason_form)


@require_http_methods(["GET", "POST"])
@login_required
def chronology_pack_pdf(request, pk):
    family, form, asked = _pack_for(request, pk)
    if not asked:
        return _pack_page(request, family, form, chosen=None, status=400)
    withdrawals, reason_form, shared = _pack_shared(request, family, form, read=audit.Read.EXPORT, what=PACK_PDF)
    if not shared:
        audit.record_view(family)
        return _pack_page(request, family, form, chosen=None, withdrawals=withdrawals, reason_form=reason_form)
    chosen = pack.chronology_pack(family, request.user, form.query())
    response = HttpResponse(pack.render_pdf(chosen), content_type="application/pdf")
    # The family's reference, never a name: a file name ends up in download lists and logs.
    response["Content-Disposition"] = f'attachment; filename="chronology-{family.reference or family.pk}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
def referral_edit(request, pk, referral_pk):
    family, referral = _family_and_referral(request.user, pk, referral_pk)
    form = ReferralDetailsForm(request.POST or None, instance=referral, initial={"version": referral.version})
    if form.is_valid() and saved(form, lambda: services.referral_update(
        user=request.user, referral=form.instance, expected_version=form.cleaned_data["version"],
    )):
        messages.success(request, "Referral details saved.")
        return redirect(referral)
    return _form_page(request, family, referral, form, "Edit referral details")


@login_required
def milestone_record(request, pk, referral_pk):
    family, referral = _family_and_referral(request.user, pk, referral_pk)
    form = MilestoneForm(request.POST or None, referral=referral)
    if form.is_valid() and saved(form, lambda: services.referral_record_milestone(
        user=request.user, referral=referral, milestone=form.cleaned_data["milestone"],
        occurred_at=form.cleaned_data["occurred_at"], note=form.cleaned_data["note"],
        decision=form.cleaned_data["decision"],
    )):
        messages.success(request, "Milestone recorded.")
        return redirect(referral)
    return _form_page(request, family, referral, form, "Record what happened")


def _add_to_referral(request, pk, referral_pk, *, form_class, record, done, title):
    """A page that adds one record to a referral through ``record(user=, referral=, <the form's instance>)``."""
    family, referral = _family_and_referral(request.user, pk, referral_pk)
    form = form_class(request.POST or None)
    if form.is_valid() and saved(form, lambda: record(request.user, referral, form.instance)):
        messages.success(request, done)
        return redirect(referral)
    return _form_page(request, family, referral, form, title)


@login_required
def social_worker_add(request, pk, referral_pk):
    return _add_to_referral(
        request, pk, referral_pk, form_class=SocialWorkerForm, done="Social worker recorded.",
        title="Record a newly allocated social worker",
        record=lambda user, referral, allocation: services.social_worker_allocate(
            user=user, referral=referral, allocation=allocation),
    )


@login_required
def parent_update_add(request, pk, referral_pk):
    return _add_to_referral(
        request, pk, referral_pk, form_class=ParentUpdateForm, done="Update to the family recorded.",
        title="Record an update the family received",
        record=lambda user, referral, update: services.parent_update_record(
            user=user, referral=referral, update=update),
    )


@login_required
def escalation_add(request, pk, referral_pk):
    return _add_to_referral(
        request, pk, referral_pk, form_class=EscalationForm, done="Escalation recorded.",
        title="Record an escalation",
        record=lambda user, referral, escalation: services.escalation_record(
            user=user, referral=referral, escalation=escalation),
    )


@login_required
def escalation_response(request, pk, referral_pk, escalation_pk):
    family, referral = _family_and_referral(request.user, pk, referral_pk)
    escalation = get_object_or_404(referral.escalations, pk=escalation_pk)
    form = EscalationResponseForm(request.POST or None, initial={
        "version": escalation.version, "response_received_at": escalation.response_received_at,
    })
    if form.is_valid() and saved(form, lambda: services.escalation_response_received(
        user=request.user, escalation=escalation, received_at=form.cleaned_data["response_received_at"],
        expected_version=form.cleaned_data["version"],
    )):
        messages.success(request, "Response recorded.")
        return redirect(referral)
    return _form_page(request, family, referral, form, f"Response to the {escalation.get_kind_display().lower()}")


@login_required
def flag_escalate(request, flag_id):
    """From the overdue queue: record an escalation about the referral a late deadline is about."""
    flag = flag_for_manager(request.user, flag_id)
    referral = selectors.referral_behind(flag) if flag else None
    if referral is None:
        raise Http404
    form = EscalationForm(request.POST or None)
    form.instance.flag = flag
    if form.is_valid() and saved(
        form, lambda: services.escalation_record(user=request.user, referral=referral, escalation=form.instance)
    ):
        messages.success(request, f"{form.instance.get_kind_display()} recorded for family {flag.family.reference}.")
        return redirect("deadlines:queue")
    audit.record_view(referral)
    return render(request, "referrals/flag_escalate.html", {"form": form, "flag": flag, "referral": referral})


def _manager_only(request):
    if not permissions.is_manager(request.user):
        raise Http404


@require_GET
@login_required
def threshold_list(request):
    _manager_only(request)
    return render(request, "referrals/thresholds.html", {
        "rules": selectors.rules_for_display(),
        "may_change": set(permissions.authorities_managed_by(request.user).values_list("pk", flat=True)),
        "changes": selectors.recent_threshold_changes(),
        "calendar_source": calendar_source(),
        "may_change_calendar": permissions.is_administrator(request.user),
    })


def _rule_they_may_change(user, rule_pk):
    return get_object_or_404(
        ThresholdRule, pk=rule_pk, local_authority__in=permissions.authorities_managed_by(user)
    )


@login_required
def threshold_edit(request, rule_pk=None):
    """Managers set the thresholds of the authorities their teams work in; the statutory defaults
    stay as they are."""
    _manager_only(request)
    rule = _rule_they_may_change(request.user, rule_pk) if rule_pk else None
    form = ThresholdRuleForm(request.POST or None, instance=rule,
                             authorities=permissions.authorities_managed_by(request.user))
    if form.is_valid() and saved(form, lambda: services.threshold_rule_save(
        user=request.user, rule=form.instance, expected_version=form.cleaned_data["version"],
    )):
        messages.success(request, "Threshold saved. Open referrals in that authority are being brought onto it: "
                                  "the list of changes below says when it is done.")
        return redirect("referrals:thresholds")
    return render(request, "referrals/threshold_form.html", {"form": form, "rule": rule})


@require_POST
@login_required
def threshold_remove(request, rule_pk):
    _manager_only(request)
    rule = _rule_they_may_change(request.user, rule_pk)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = 0
    try:
        services.threshold_rule_remove(user=request.user, rule=rule, expected_version=version)
    except UserFixableError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"The local threshold for {rule.local_authority} was removed: its referrals "
                                  "follow the default for that step again.")
    return redirect("referrals:thresholds")


def _delay_report(request):
    """The figures a manager asked for (their teams' families only; 404 for anyone else), with the
    form that chose the periods: the last 12 months when none, or an impossible one, is chosen."""
    team_ids = permissions.managed_team_ids(request.user)
    if not team_ids:
        raise Http404
    data = request.GET.copy()
    data.pop("print", None)
    form = DelayFiguresForm(data or None)
    with reading_from_replica():
        report = figures.delay_report(team_ids=team_ids, period=form.period(), compared_with=form.compared_with(),
                                      now=timezone.now())
    return form, report


@require_GET
@login_required
def delay_figures(request):
    """Delay figures per local authority, for managers: referrals of the families of their teams.
    ``?print=1`` gives the layout to hand to a commissioner: title, periods, method and tables."""
    form, report = _delay_report(request)
    return render(request, "referrals/figures.html", {
        "form": form, "report": report, "chart": figures.decision_chart(report.figures),
        "printable": request.GET.get("print") == "1",
    })


@require_GET
@login_required
def delay_figures_export(request):
    """The same table as CSV. Figures only, about no one family (no names, references or dates of
    anyone's referral), so, unlike the overdue queue's export, it writes no entry in any family's
    history."""
    form, report = _delay_report(request)
    if form.is_bound and not form.is_valid():
        return redirect(f"{reverse('referrals:figures')}?{request.GET.urlencode()}")
    period = report.period
    return csv_download(f"delay-figures-{period.start:%Y-%m-%d}-to-{period.end:%Y-%m-%d}.csv",
                        figures.CSV_HEADER, figures.csv_rows(report))
