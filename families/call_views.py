"""Pages for calls and follow-ups: logging a call, a call's own page and putting it right, a
parent's challenge to what it says and its outcome, and follow-ups added, marked done and undone.
Everyone who may see the family may do each of these; anyone else gets 404 (permissions.family_for,
calls.call_for)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponseNotAllowed
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from core import audit
from core.errors import UserFixableError, add_to_form, saved
from families import call_parts, calls, permissions, rectification
from families.call_forms import (
    ContactAmendForm,
    ContactForm,
    ContactMoveForm,
    ContactReinstateForm,
    ContactStrikeForm,
    FollowUpForm,
)
from families.rectification_forms import ChallengeForm, ChallengeOutcomeForm


@login_required
def contact_log(request, pk):
    family = permissions.family_for(request.user, pk)
    colleagues = permissions.people_who_may_see(family.team_id)
    panel = calls.call_form_panel(family)
    data = request.POST if request.method == "POST" else None
    contact_form = ContactForm(data, prefix="contact", family=family, default_spoke_with=panel.default_spoke_with)
    follow_up_form = FollowUpForm(data, prefix="follow_up", colleagues=colleagues, owner=request.user, optional=True)
    # What apps above add to the call (a parent's ratings): checked with the call, saved with it.
    parts = call_parts.bind_parts(data, family=family, user=request.user)
    if data is not None:
        contact_ok = contact_form.is_valid()
        follow_up_ok = follow_up_form.is_empty() or follow_up_form.is_valid()
        parts_ok = call_parts.parts_valid(parts, contact_form.instance if contact_ok else None)
        if contact_ok and follow_up_ok and parts_ok:
            try:
                _log_call_with_parts(request.user, family, contact_form, follow_up_form, parts)
            except UserFixableError as error:
                _show_error(error, contact_form, follow_up_form, parts)
            else:
                messages.success(request, "Call logged.")
                return redirect(family)
    # The panel beside the form shows the family's people and its last call.
    audit.record_view(family)
    opened_at = contact_form.form_opened_at
    elapsed = max(0, int((timezone.now() - opened_at).total_seconds())) if opened_at else 0
    return render(
        request,
        "families/contact_form.html",
        {
            "family": family,
            "panel": panel,
            "contact_form": contact_form,
            "follow_up_form": follow_up_form,
            "call_parts": parts,
            "elapsed_seconds": elapsed,
        },
    )


def _log_call_with_parts(user, family, contact_form, follow_up_form, parts):
    """The call, its follow-up and every part in one transaction: all saved, or none."""
    contact = contact_form.instance
    try:
        with transaction.atomic():
            calls.contact_log(
                user=user,
                family=family,
                contact=contact,
                support_given=contact_form.cleaned_data["support_given"],
                follow_up=None if follow_up_form.is_empty() else follow_up_form.instance,
            )
            for each in parts:
                each.part.save(each.form, user=user, family=family, contact=contact)
    except UserFixableError:
        # Rolled back: the form is shown again as typed, and saving it again makes a new call.
        for instance in (contact, follow_up_form.instance):
            instance.pk = None
            instance._state.adding = True
        raise


def _show_error(error, contact_form, follow_up_form, parts):
    """A problem the worker can fix, next to the field it is about: a part's own, the follow-up's
    (its owner), or else the call's."""
    for each in parts:
        if error.field in each.form.fields:
            add_to_form(each.form, error)
            return
    add_to_form(follow_up_form if error.field in follow_up_form.fields else contact_form, error)


# --------------------------------------------------------------- a call's page, and putting it right


@login_required
def call_detail(request, pk, contact_pk):
    # Found (or 404) before the method is checked: nobody outside the team learns the call exists.
    contact = calls.call_for(request.user, pk, contact_pk)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    challenges = list(rectification.challenges_of(contact))
    audit.record_reads([contact, *challenges], kind=audit.Read.VIEW)
    return render(request, "families/call_detail.html", {
        "family": contact.family, "page": calls.call_page(contact), "challenges": challenges,
    })


def _render_call_form(request, contact, form, *, title, template="families/call_form.html", **context):
    audit.record_view(contact)
    return render(request, template, {"family": contact.family, "contact": contact, "form": form, "title": title,
                                      **context})


@login_required
def call_amend(request, pk, contact_pk):
    contact = calls.call_for(request.user, pk, contact_pk)
    family = contact.family
    form = ContactAmendForm(
        request.POST or None, instance=contact, family=family, initial={"version": contact.version}, prefix="contact"
    )
    if form.is_valid() and saved(
        form,
        lambda: calls.contact_amend(
            user=request.user,
            contact=form.instance,
            expected_version=form.cleaned_data["version"],
            support_given=form.cleaned_data["support_given"],
            reason=form.cleaned_data["reason"],
        ),
    ):
        messages.success(request, "Call amended. The earlier version is kept in its history.")
        return redirect(contact.get_absolute_url())
    return _render_call_form(request, contact, form, title="Amend the call", template="families/call_amend.html")


@login_required
def call_move(request, pk, contact_pk):
    contact = calls.call_for(request.user, pk, contact_pk)
    form = ContactMoveForm(
        request.POST or None, user=request.user, contact=contact, initial={"version": contact.version}
    )
    if form.is_valid():
        try:
            outcome = calls.contact_move(
                user=request.user,
                contact=contact,
                to_family=form.cleaned_data["to_family"],
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
            )
        except UserFixableError as error:
            add_to_form(form, error)
        else:
            messages.success(request, _move_message(outcome))
            return redirect(contact.get_absolute_url())
    return _render_call_form(request, contact, form, title="Move the call to another family", submit="Move the call")


def _move_message(outcome: calls.MoveOutcome) -> str:
    to_family = outcome.revision.to_family
    parts = [f"Call moved to {to_family}."]
    if outcome.follow_ups_moved:
        count = outcome.follow_ups_moved
        parts.append(f"Its {count} follow-up{'s' if count != 1 else ''} went with it.")
    if outcome.follow_ups_given_to_mover:
        count = outcome.follow_ups_given_to_mover
        parts.append(
            f"{count} open follow-up{'s were' if count != 1 else ' was'} given to you, as "
            f"{'their owners are' if count != 1 else 'its owner is'} not in that family's team."
        )
    if outcome.spoke_with_cleared:
        parts.append(
            f"Who we spoke with has been cleared: {outcome.spoke_with_cleared.full_name} is not in {to_family}. "
            "Amend the call to choose who it was."
        )
    return " ".join(parts)


def _change_with_reason(request, pk, contact_pk, *, form_class, service, done, **page):
    """A page that strikes a call through or reinstates it: the reason, then ``service``."""
    contact = calls.call_for(request.user, pk, contact_pk)
    form = form_class(request.POST or None, initial={"version": contact.version})
    if form.is_valid() and saved(
        form,
        lambda: service(
            user=request.user,
            contact=contact,
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        ),
    ):
        messages.success(request, done)
        return redirect(contact.get_absolute_url())
    return _render_call_form(request, contact, form, **page)


@login_required
def call_strike(request, pk, contact_pk):
    return _change_with_reason(
        request, pk, contact_pk, form_class=ContactStrikeForm, service=calls.contact_strike,
        done="Call struck through. Its text stays readable in the record.",
        title="Strike the call through", submit="Strike through", danger=True,
    )


@login_required
def call_reinstate(request, pk, contact_pk):
    return _change_with_reason(
        request, pk, contact_pk, form_class=ContactReinstateForm, service=calls.contact_reinstate,
        done="Call reinstated. Its strike-through is kept in its history.",
        title="Reinstate the call", submit="Reinstate",
    )


# --------------------------------------------------------------- follow-ups


@login_required
def follow_up_add(request, pk):
    family = permissions.family_for(request.user, pk)
    colleagues = permissions.people_who_may_see(family.team_id)
    form = FollowUpForm(request.POST or None, colleagues=colleagues, owner=request.user)
    if form.is_valid() and saved(
        form, lambda: calls.follow_up_create(user=request.user, family=family, follow_up=form.instance)
    ):
        messages.success(request, "Follow-up added.")
        return redirect(family)
    audit.record_view(family)
    return render(request, "families/form.html", {"family": family, "form": form, "title": "Add a follow-up"})


def _back(request, family):
    return redirect("home" if request.POST.get("next") == "home" else family)


@require_POST
@login_required
def follow_up_done(request, pk, follow_up_pk):
    family = permissions.family_for(request.user, pk)
    follow_up = get_object_or_404(family.follow_ups, pk=follow_up_pk)
    calls.follow_up_complete(user=request.user, follow_up=follow_up)
    # "Undo" right where the worker looks after the click: the message that says it was done.
    messages.success(
        request,
        format_html(
            'Marked done: {}. <form method="post" action="{}" class="d-inline">'
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
            '<input type="hidden" name="next" value="{}">'
            '<button type="submit" class="btn btn-link p-0 align-baseline">Undo'
            '<span class="visually-hidden">: mark “{}” as not done</span></button></form>',
            follow_up.description,
            reverse("families:follow_up_reopen", args=[family.pk, follow_up.pk]),
            get_token(request),
            "home" if request.POST.get("next") == "home" else "",
            follow_up.description,
        ),
    )
    return _back(request, family)


@login_required
def follow_up_reopen(request, pk, follow_up_pk):
    family = permissions.family_for(request.user, pk)
    follow_up = get_object_or_404(family.follow_ups, pk=follow_up_pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    calls.follow_up_reopen(user=request.user, follow_up=follow_up)
    messages.success(request, f"No longer marked done: {follow_up.description}. It is back on the list to do.")
    return _back(request, family)


# --------------------------------------------------------------- a parent's challenge to a call


@login_required
def challenge_new(request, pk, contact_pk):
    contact = calls.call_for(request.user, pk, contact_pk)
    family = contact.family
    form = ChallengeForm(request.POST or None, family=family, entry=contact)
    if form.is_valid() and saved(
        form,
        lambda: rectification.challenge_record(
            user=request.user, family=family, entry=contact, challenge=form.instance
        ),
    ):
        messages.success(request, "Challenge recorded. It shows with the call until its outcome is recorded.")
        return redirect(contact.get_absolute_url())
    return _render_call_form(
        request, contact, form, title="The parent says this is wrong", submit="Record the challenge",
        template="families/challenge_form.html",
    )


@login_required
def challenge_outcome(request, pk, contact_pk, challenge_pk):
    contact = calls.call_for(request.user, pk, contact_pk)
    challenge = get_object_or_404(rectification.challenges_of(contact), pk=challenge_pk)
    form = ChallengeOutcomeForm(request.POST or None, challenge=challenge, initial={"version": challenge.version})
    if form.is_valid() and saved(
        form,
        lambda: rectification.challenge_decide(
            user=request.user,
            challenge=challenge,
            outcome=form.cleaned_data["outcome"],
            reason=form.cleaned_data["reason"],
            decided_on=form.cleaned_data["decided_on"],
            amendment=form.cleaned_data["amendment"],
            expected_version=form.cleaned_data["version"],
        ),
    ):
        messages.success(request, f"Outcome recorded: {challenge.get_outcome_display().lower()}.")
        return redirect(contact.get_absolute_url())
    audit.record_reads([contact, challenge], kind=audit.Read.VIEW)
    return render(request, "families/challenge_outcome.html", {
        "family": contact.family, "contact": contact, "challenge": challenge, "form": form,
        "title": "Record the outcome of the challenge",
    })
