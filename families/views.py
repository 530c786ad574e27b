
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from core import audit
from core.errors import UserFixableError, add_to_form, saved
from core.validators import without_control_characters
from families import permissions, postcodes, sections, selectors, services, timeline_views
from families.forms import (
    AddCarerForm,
    AddChildForm,
    ConsentForm,
    ConsentWithdrawForm,
    EditCarerForm,
    EditChildForm,
    EditFamilyForm,
    NewCarerForm,
    NewChildForm,
    NewFamilyForm,
    PostcodeLookupForm,
    TransferForm,
)
from families.models import Family, Person, Role, Team
from families.team_forms import EditTeamForm, MembershipAddForm, MembershipRoleForm, StaffAccountForm, TeamForm


@require_GET
@login_required
def family_list(request):
    status = request.GET.get("status", Family.Status.OPEN)
    if status not in Family.Status.values:
        status = Family.Status.OPEN
    families = selectors.families_for_list(request.user, status=status)
    audit.record_reads(families, kind=audit.Read.LIST)
    return render(request, "families/list.html", {"families": families, "status": status})


@require_POST
@login_required
def family_search(request):
    """As-you-type search. POST, so that names and phone numbers never appear in URLs or logs."""
    # Without control characters: a NUL byte typed or pasted here would make PostgreSQL refuse the query.
    text = without_control_characters(request.POST.get("q", ""))[: selectors.SEARCH_TEXT_LENGTH]
    results = selectors.family_search(request.user, text)
    audit.record_reads(results.families, kind=audit.Read.SEARCH)
    template = "families/_search_results.html" if request.htmx else "families/search.html"
    return render(request, template, {"results": results, "q": text})


@login_required
def family_create(request):
    """The new-family form. A search that found nothing posts its text here ("from_search"), so that
    what was typed becomes the form's first values without a name or number ever being in a URL."""
    teams = permissions.teams_of(request.user)
    if not teams.exists():
        raise Http404("You are not in a team yet.")
    colleagues = permissions.users_in_teams_of(request.user)
    from_search = request.method == "POST" and "from_search" in request.POST
    data = request.POST if request.method == "POST" and not from_search else None
    typed = selectors.new_family_initial(without_control_characters(request.POST.get("q", ""))) if from_search else {}
    family_form = NewFamilyForm(
        data,
        prefix="family",
        teams=teams,
        colleagues=colleagues,
        initial={"key_worker": request.user, **typed.get("family", {})},
    )
    carer_form = NewCarerForm(data, prefix="carer", initial=typed.get("carer"))
    child_form = NewChildForm(data, prefix="child")
    forms = [family_form, carer_form, child_form]
    # Validate every form (not all() over a generator) so each shows its errors at once.
    valid = [form.is_valid() for form in forms]
    duplicates = []
    if data is not None and all(valid) and not family_form.cleaned_data["different_family"]:
        duplicates = selectors.possible_duplicates(
            request.user,
            carer=carer_form.instance,
            child=child_form.instance,
            postcode=family_form.cleaned_data["postcode"],
        )
    if data is not None and all(valid) and not duplicates:
        family_form.instance.team = family_form.cleaned_data["team"]
        if saved(
            family_form,
            lambda: services.family_create(
                user=request.user,
                family=family_form.instance,
                carer=carer_form.instance,
                child=child_form.instance,
                relationship_kind=carer_form.cleaned_data["relationship_kind"],
                exploitation_types=child_form.cleaned_data["exploitation_types"],
            ),
        ):
            messages.success(request, f"Family {family_form.instance.reference} added.")
            return redirect(family_form.instance)
    return render(
        request,
        "families/create.html",
        {"family_form": family_form, "carer_form": carer_form, "child_form": child_form, "duplicates": duplicates},
    )


@require_GET
@login_required
def family_detail(request, pk):
    family = permissions.family_for(
        request.user, pk, queryset=Family.objects.select_related("team", "key_worker", "local_authority")
    )
    audit.record_view(family)
    page = selectors.family_page(family, selectors.FamilyPageCursors.from_query(request.GET))
    return render(
        request,
        "families/detail.html",
        {
            "page": page,
            "family": family,
            "sections": sections.sections_for(family, request.user),
            "top_sections": sections.sections_for(family, request.user, "top"),
            "can_transfer": permissions.can_transfer(request.user, family),
            **timeline_views.timeline_context(request, family, limit=timeline_views.FAMILY_PAGE_ENTRIES),
        },
    )


@require_GET
@login_required
def family_history(request, pk):
    family = permissions.family_for(request.user, pk)
    audit.record_view(family)
    try:
        number = int(request.GET.get("page", 1))
    except ValueError:
        number = 1
    page = audit.family_history_page(family.pk, number=number)
    return render(request, "families/history.html", {"family": family, "page": page})


@login_required
def family_edit(request, pk):
    family = permissions.family_for(request.user, pk, queryset=Family.objects.select_related("team", "key_worker"))
    colleagues = permissions.people_who_may_see(family.team_id)
    form = EditFamilyForm(
        request.POST or None, instance=family, colleagues=colleagues, initial={"version": family.version}
    )
    if form.is_valid() and saved(
        form,
        lambda: services.family_update(
            user=request.user, family=form.instance, expected_version=form.cleaned_data["version"]
        ),
    ):
        messages.success(request, "Family details saved.")
        return redirect(family)
    audit.record_view(family)
    return render(request, "families/form.html", {"family": family, "form": form, "title": "Edit family details"})


@login_required
def family_transfer(request, pk):
    family = permissions.family_for(request.user, pk, queryset=Family.objects.select_related("team"))
    if not permissions.can_transfer(request.user, family):
        raise Http404
    form = TransferForm(request.POST or None, family=family, initial={"version": family.version})
    if form.is_valid():
        try:
            outcome = services.family_transfer(
                user=request.user,
                family=family,
                to_team=form.cleaned_data["to_team"],
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
            )
        except UserFixableError as error:
            add_to_form(form, error)
        else:
            messages.success(request, _transfer_message(outcome, family=family, user=request.user))
            if permissions.visible_families(request.user).filter(pk=family.pk).exists():
                return redirect(family)
            return redirect("home")
    audit.record_view(family)
    return render(request, "families/form.html", {"family": family, "form": form, "title": "Move to another team"})


def _transfer_message(outcome: services.TransferOutcome, *, family, user) -> str:
    """Says who is no longer the key worker and who was given the open follow-ups, if anyone."""
    message = f"Family {family.reference} moved to the {outcome.transfer.to_team}."
    removed = outcome.key_worker_removed
    count = outcome.follow_ups_reassigned
    if count:
        given_to = outcome.follow_ups_given_to
        if given_to == user:
            whom = "you"
        elif given_to.pk == family.key_worker_id:
            whom = f"{given_to}, its key worker"
        else:
            whom = f"{given_to}, a manager of that team"
        follow_ups = f"{count} open follow-up{'s were' if count != 1 else ' was'} given to {whom}"
    if removed and count:
        return f"{message} {removed} is not in that team and is no longer its key worker; {follow_ups}."
    if removed:
        return f"{message} {removed} is not in that team and is no longer its key worker."
    if count:
        return f"{message} {follow_ups}, as {'their owners are' if count != 1 else 'its owner is'} not in that team."
    return message


@login_required
def person_add(request, pk, kind):
    family = permissions.family_for(request.user, pk)
    if kind not in Person.Kind.values:
        raise Http404
    form_class = AddChildForm if kind == Person.Kind.CHILD else AddCarerForm
    other_kind = Person.Kind.CARER if kind == Person.Kind.CHILD else Person.Kind.CHILD
    form = form_class(request.POST or None, others=family.people.filter(kind=other_kind))
    if form.is_valid():
        form.instance.kind = kind
        services.person_add(
            user=request.user,
            family=family,
            person=form.instance,
            exploitation_types=form.cleaned_data.get("exploitation_types", ()),
            related_people=form.cleaned_data["related_people"],
            relationship_kind=form.cleaned_data["relationship_kind"],
        )
        messages.success(request, f"{form.instance.full_name} added.")
        return redirect(family)
    title = "Add a child" if kind == Person.Kind.CHILD else "Add a parent or carer"
    audit.record_view(family)
    return render(request, "families/form.html", {"family": family, "form": form, "title": title})


@login_required
def person_edit(request, pk, person_pk):
    family = permissions.family_for(request.user, pk)
    person = get_object_or_404(family.people, pk=person_pk)
    form_class = EditChildForm if person.is_child else EditCarerForm
    form = form_class(request.POST or None, instance=person, initial={"version": person.version})
    if form.is_valid() and saved(
        form,
        lambda: services.person_update(
            user=request.user,
            person=form.instance,
            expected_version=form.cleaned_data["version"],
            exploitation_types=form.cleaned_data.get("exploitation_types"),
            risk_reason=form.cleaned_data.get("risk_reason", ""),
        ),
    ):
        messages.success(request, f"{person.full_name}'s details saved.")
        return redirect(family)
    audit.record_view(person)
    return render(request, "families/form.html", {"family": family, "form": form, "title": f"Edit {person}"})


@login_required
def consent_add(request, pk):
    family = permissions.family_for(request.user, pk)
    form = ConsentForm(request.POST or None, family=family)
    if form.is_valid() and saved(
        form, lambda: services.consent_record(user=request.user, family=family, consent=form.instance)
    ):
        messages.success(request, "Consent recorded.")
        return redirect(family)
    audit.record_view(family)
    return render(request, "families/form.html", {"family": family, "form": form, "title": "Record consent"})


@login_required
def consent_withdraw(request, pk, consent_pk):
    family = permissions.family_for(request.user, pk)
    consent = get_object_or_404(family.consents, pk=consent_pk)
    form = ConsentWithdrawForm(request.POST or None)
    if form.is_valid() and saved(
        form,
        lambda: services.consent_withdraw(
            user=request.user, consent=consent, withdrawn_on=form.cleaned_data["withdrawn_on"]
        ),
    ):
        messages.success(request, "Withdrawal of consent recorded.")
        return redirect(family)
    audit.record_view(family)
    return render(
        request,
        "families/form.html",
        {"family": family, "form": form, "title": f"Withdraw consent: {consent.get_kind_display().lower()}"},
    )


@require_POST
@login_required
def postcode_lookup(request):
    """Suggest the local authority for a postcode typed into a family form."""
    form = PostcodeLookupForm(request.POST)
    authority = None
    if form.is_valid():
        authority = postcodes.local_authority_for_postcode(form.cleaned_data["postcode"])
    return render(request, "families/_postcode_hint.html", {"form": form, "authority": authority})


# --------------------------------------------------------------- teams (administrators only)
# Everyone else gets 404 from every one of these (permissions.team_for_administrator).


_administrators_only = permissions.only_for(permissions.is_administrator)


@_administrators_only
@require_GET
def team_list(request):
    teams = Team.objects.select_related("local_authority").annotate(members=Count("memberships")).order_by("name")
    return render(request, "families/teams.html", {"teams": teams})


@_administrators_only
def team_create(request):
    form = TeamForm(request.POST or None)
    if form.is_valid() and saved(form, lambda: services.team_create(user=request.user, team=form.instance)):
        messages.success(request, f"Team {form.instance} added. Now add its members.")
        return redirect("families:team_members", form.instance.pk)
    return render(request, "families/teams_form.html", {"form": form, "title": "Add a team"})


@login_required
def team_edit(request, pk):
    team = permissions.team_for_administrator(request.user, pk)
    form = EditTeamForm(request.POST or None, instance=team, initial={"version": team.version})
    if form.is_valid() and saved(
        form,
        lambda: services.team_update(
            user=request.user, team=form.instance, expected_version=form.cleaned_data["version"]
        ),
    ):
        messages.success(request, f"Team {team} saved.")
        return redirect("families:team_members", team.pk)
    return render(request, "families/teams_form.html", {"form": form, "team": team, "title": f"Edit {team}"})


@login_required
def team_members(request, pk):
    """The team's members and their roles; the form adds someone who already has an account."""
    team = permissions.team_for_administrator(request.user, pk, queryset=Team.objects.select_related("local_authority"))
    form = MembershipAddForm(request.POST or None, initial={"role": Role.CASEWORKER})
    if form.is_valid() and saved(
        form,
        lambda: services.membership_add(
            user=request.user, team=team, member=form.cleaned_data["email"], role=form.cleaned_data["role"]
        ),
    ):
        member = form.cleaned_data["email"]
        messages.success(request, f"{member} added to the {team}.")
        return redirect("families:team_members", team.pk)
    memberships = team.memberships.select_related("user").order_by("user__full_name", "user__email")
    return render(request, "families/teams_members.html", {"team": team, "memberships": memberships, "form": form})


def _membership_for_administrator(request, pk, membership_pk):
    team = permissions.team_for_administrator(request.user, pk)
    return get_object_or_404(team.memberships.select_related("user", "team"), pk=membership_pk)


@login_required
def team_membership_edit(request, pk, membership_pk):
    membership = _membership_for_administrator(request, pk, membership_pk)
    form = MembershipRoleForm(request.POST or None, initial={"role": membership.role})
    if form.is_valid() and saved(
        form,
        lambda: services.membership_change_role(
            user=request.user, membership=membership, role=form.cleaned_data["role"]
        ),
    ):
        role = Role(form.cleaned_data["role"]).label.lower()
        messages.success(request, f"{membership.user} is now {role} in the {membership.team}.")
        return redirect("families:team_members", pk)
    return render(request, "families/teams_membership.html", {"membership": membership, "form": form})


@login_required
def team_membership_remove(request, pk, membership_pk):
    """A page that says what removing someone will change, and a button that does it."""
    membership = _membership_for_administrator(request, pk, membership_pk)
    error = None
    if request.method == "POST":
        try:
            removal = services.membership_remove(user=request.user, membership=membership)
        except UserFixableError as refused:
            error = refused.message
        else:
            messages.success(request, _removal_message(removal))
            return redirect("families:team_members", pk)
    key_work = membership.team.families.filter(key_worker=membership.user).count()
    follow_ups = membership.user.follow_ups.filter(family__team=membership.team, done_at__isnull=True).count()
    return render(
        request,
        "families/teams_membership_remove.html",
        {"membership": membership, "key_work": key_work, "follow_ups": follow_ups, "error": error},
    )


def _removal_message(removal) -> str:
    parts = [f"{removal.member} removed from the {removal.team}."]
    count = removal.families_without_key_worker
    if count:
        parts.append(f"{count} {'family no longer has' if count == 1 else 'families no longer have'} a key worker.")
    for owner, count in removal.follow_ups_given_to.items():
        parts.append(f"{count} open follow-up{'' if count == 1 else 's'} passed to {owner}.")
    return " ".join(parts)


@login_required
def team_account_create(request, pk):
    team = permissions.team_for_administrator(request.user, pk)
    form = StaffAccountForm(request.POST or None, initial={"role": Role.CASEWORKER})
    if form.is_valid() and saved(
        form,
        lambda: services.staff_account_create(
            user=request.user,
            email=form.cleaned_data["email"],
            full_name=form.cleaned_data["full_name"],
            password=form.cleaned_data["password1"],
            team=team,
            role=form.cleaned_data["role"],
        ),
    ):
        messages.success(
            request,
            f"Account made for {form.cleaned_data['full_name']}, in the {team}. Give them the temporary password "
            f"in person; once signed in they change it at {reverse('password_change')}.",
        )
        return redirect("families:team_members", team.pk)
    return render(request, "families/teams_account.html", {"team": team, "form": form})
