"""The safety plan pages: the plan with its lists edited in place, its versions, a comparison of
any two, restoring one, and the family's copy to print or download.

Every view first finds the family (families.permissions.family_for) and the child in it, so
anyone outside the family's team gets 404 whatever the method. A save on a version someone else
has moved on from is not applied: the person gets their input back, merged with what was saved
meanwhile where only one of them changed a part, and shown beside it where both did.
"""

from dataclasses import dataclass, field
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from core import audit
from core.errors import EditConflict, UserFixableError, add_to_form
from families import permissions
from families.models import Family, Person
from safety_plans import comparison, family_copy, selectors, services
from safety_plans.comparison import LIST_BY_KEY
from safety_plans.forms import ROW_FORMS, SafetyPlanForm, SafetyRatingForm
from safety_plans.models import Commitment, SafetyPlan

# The lists' names in addresses, and the content keys they stand for.
LIST_SLUGS = {"worries": "worries", "people": "people_of_concern", "steps": "steps", "commitments": "commitments"}
SLUG_OF = {key: slug for slug, key in LIST_SLUGS.items()}
ADD_LABELS = {
    "worries": "Add a worry",
    "people_of_concern": "Add a person of concern",
    "steps": "Add a step",
    "commitments": "Add a commitment",
}


def _child_view(*methods):
    """Find the family and the child (404 for anyone outside the family's team, or a person who is
    not a child of it), before the method is checked, so a wrong method tells an outsider nothing."""

    def decorate(view):
        @login_required
        @wraps(view)
        def checked(request, pk, child_pk, **kwargs):
            family = permissions.family_for(request.user, pk, queryset=Family.objects.select_related("local_authority"))
            child = get_object_or_404(Person, family=family, pk=child_pk, kind=Person.Kind.CHILD)
            if request.method not in methods:
                return HttpResponseNotAllowed(methods)
            return view(request, family, child, **kwargs)

        return checked

    return decorate


def _plan_or_404(child) -> SafetyPlan:
    plan = SafetyPlan.objects.filter(child=child).select_related("family", "child").first()
    if plan is None:
        raise Http404
    return plan


def _plan_url(child, anchor=""):
    url = reverse("safety_plans:plan", args=[child.family_id, child.pk])
    return f"{url}#{anchor}" if anchor else url


def _version_of(request) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


# --------------------------------------------------------------- when someone saved meanwhile


@dataclass
class Conflict:
    their_version: int
    versions: list  # saved since theirs, oldest first
    differences: list  # comparison.SectionDiff, from their version to the current one
    kept_theirs: list = field(default_factory=list)  # labels of parts taken from the saved plan
    saved_meanwhile: dict = field(default_factory=dict)  # field name -> the saved value, in words
    note: str = ""

    @property
    def saved_by(self) -> str:
        names = []
        for version in self.versions:
            if str(version.saved_by) not in names:
                names.append(str(version.saved_by))
        return " and ".join(names) or "Someone else"


def _form_value(model, name, value):
    """A stored (JSON) value as a form would post it."""
    if isinstance(value, bool):
        return "on" if value else ""
    return "" if value is None else str(value)


def _merged(form, *, model, names, base: dict | None, current: dict | None, current_version: int):
    """The person's input, brought up to the current version: a part only the other person
    changed takes their value; a part both changed keeps this person's input, with the saved one
    to show beside it. Returns the data to bind again, the parts taken, and the parts in question."""
    data = form.data.copy()
    data["version"] = str(current_version)
    kept_theirs, saved_meanwhile = [], {}
    for name in names:
        before = base.get(name) if base is not None else None
        now = current.get(name) if current is not None else None
        if base is not None and (before or None) == (now or None):
            continue
        mine = services.json_value(form.cleaned_data.get(name)) if hasattr(form, "cleaned_data") else None
        if (mine or None) == (now or None):
            continue
        if base is not None and (mine or None) == (before or None):
            if isinstance(now, bool) and not now:
                data.pop(name, None)
            else:
                data[name] = _form_value(model, name, now)
            kept_theirs.append(comparison.label_of(model, name))
        else:
            saved_meanwhile[name] = comparison.value_in_words(model, name, now) or "(empty)"
    return data, kept_theirs, saved_meanwhile


def _conflict_contents(plan, their_version):
    numbers = {their_version, plan.version}
    versions = selectors.versions_by_number(plan, numbers)
    base = versions[their_version].content if their_version in versions else {}
    current = versions[plan.version].content if plan.version in versions else services.plan_content(plan)
    return base, current


def _conflict(plan, their_version, **kwargs) -> Conflict:
    base, current = _conflict_contents(plan, their_version)
    return Conflict(
        their_version=their_version,
        versions=selectors.versions_since(plan, their_version),
        differences=comparison.compare(base, current),
        **kwargs,
    )


def _fields_with_saved(form, conflict: Conflict | None):
    saved = conflict.saved_meanwhile if conflict else {}
    return [(bound, saved.get(bound.name)) for bound in form.visible_fields()]


# --------------------------------------------------------------- the plan page


def _list_context(plan, layout, *, rows, form=None, editing_pk=None, adding_form=None, message="", version=0,
                  conflict=None):
    slug = SLUG_OF[layout.key]
    form_class = ROW_FORMS[layout.model]
    add_form = adding_form or form_class(auto_id=f"id_{slug}_new_%s", initial={"version": version})
    return {
        "layout": layout,
        "slug": slug,
        "rows": rows,
        "add_form": add_form,
        "add_fields": _fields_with_saved(add_form, conflict if adding_form else None),
        "add_open": adding_form is not None,
        "add_label": ADD_LABELS[layout.key],
        "editing_pk": editing_pk,
        "edit_form": form,
        "edit_fields": _fields_with_saved(form, conflict) if form is not None else [],
        "message": message,
        "conflict": conflict,
        "version": version,
    }


def _plan_page(request, family, child, plan, *, plan_form=None, rating_form=None, conflict=None):
    version = plan.version if plan else 0
    if plan_form is None:
        plan_form = SafetyPlanForm(instance=plan or SafetyPlan(child=child, family=family),
                                   initial={"version": version})
    lists = []
    if plan is not None:
        for layout in comparison.LISTS:
            rows = list(getattr(plan, layout.key).all())
            lists.append(_list_context(plan, layout, rows=rows, version=version))
    ratings = list(plan.ratings.all()) if plan else []
    context = {
        "family": family,
        "child": child,
        "plan": plan,
        "version": version,
        "latest": selectors.latest_version(plan) if plan else None,
        "plan_form": plan_form,
        "plan_fields": _fields_with_saved(plan_form, conflict),
        # Opened by the "Edit the plan" link (?edit=1), so that it works without JavaScript.
        "plan_form_open": plan is None or plan_form.is_bound or request.GET.get("edit") == "1",
        "lists": {item["layout"].key: item for item in lists},
        "ratings": ratings,
        "chart": selectors.ratings_chart(ratings),
        "rating_form": rating_form or SafetyRatingForm(auto_id="id_rating_%s"),
        "conflict": conflict,
    }
    return render(request, "safety_plans/plan.html", context)


@_child_view("GET", "POST")
def plan(request, family, child):
    current = selectors.plan_for_child(child)
    if request.method == "GET":
        audit.record_view(family)
        return _plan_page(request, family, child, current)
    form = SafetyPlanForm(request.POST, instance=current or SafetyPlan(child=child, family=family))
    conflict = None
    if form.is_valid():
        try:
            version = services.safety_plan_save(
                user=request.user, plan=form.instance, expected_version=form.cleaned_data["version"],
                what_changed=form.cleaned_data["what_changed"],
            )
        except services.NothingToSave as nothing:
            messages.info(request, nothing.message)
            return redirect(_plan_url(child))
        except EditConflict:
            fresh = selectors.plan_for_child(child)
            base, now = _conflict_contents(fresh, form.cleaned_data["version"]) if fresh else ({}, {})
            data, kept, saved_meanwhile = _merged(
                form, model=SafetyPlan, names=comparison.TEXT_PARTS, base=base.get("text") if base else None,
                current=now.get("text"), current_version=fresh.version,
            )
            conflict = _conflict(fresh, form.cleaned_data["version"], kept_theirs=kept,
                                 saved_meanwhile=saved_meanwhile)
            form = SafetyPlanForm(data, instance=fresh)
            form.is_valid()
            return _plan_page(request, family, child, fresh, plan_form=form, conflict=conflict)
        except UserFixableError as error:
            add_to_form(form, error)
        else:
            messages.success(request, f"Safety plan saved as version {version.number}.")
            return redirect(_plan_url(child))
    # The form's instance now holds the unsaved input: show the saved plan beside it.
    return _plan_page(request, family, child, selectors.plan_for_child(child), plan_form=form)


@_child_view("POST")
def plan_rating_add(request, family, child):
    current = selectors.plan_for_child(child)
    if current is None:
        raise Http404
    form = SafetyRatingForm(request.POST, auto_id="id_rating_%s")
    if form.is_valid():
        try:
            services.safety_rating_add(user=request.user, plan=current, rating=form.instance)
        except UserFixableError as error:
            add_to_form(form, error)
        else:
            messages.success(request, f"Rating by {form.instance.rated_by} added.")
            return redirect(_plan_url(child, "ratings"))
    return _plan_page(request, family, child, selectors.plan_for_child(child), rating_form=form)


# --------------------------------------------------------------- the lists, edited in place


def _layout_for(kind):
    if kind not in LIST_SLUGS:
        raise Http404
    return LIST_BY_KEY[LIST_SLUGS[kind]]


def _row_or_none(plan, layout, row_pk):
    return layout.model.objects.filter(plan=plan, pk=row_pk).first()


def _list_response(request, family, child, plan, layout, *, saved_version=None, message="", **kwargs):
    """The list's fragment, for htmx. After a save it also brings every other form on the page up
    to the new version: nobody else saved in between (or the save would have been refused), so
    what the page shows is still the plan as it is."""
    rows = list(layout.model.objects.filter(plan=plan).order_by("position", "pk"))
    listed = _list_context(plan, layout, rows=rows, message=message, version=plan.version, **kwargs)
    return render(request, "safety_plans/_plan_list.html",
                  {"list": listed, "family": family, "child": child, "plan": plan, "saved_version": saved_version})


def _row_form_page(request, family, child, plan, layout, *, form, row=None, conflict=None):
    """Without JavaScript: a row's form on a page of its own."""
    return render(request, "safety_plans/plan_row_form.html", {
        "family": family, "child": child, "plan": plan, "layout": layout, "slug": SLUG_OF[layout.key],
        "form": form, "fields": _fields_with_saved(form, conflict), "row": row, "conflict": conflict,
        "version": plan.version,
    })


def _after_save(request, family, child, plan, layout, version):
    if request.htmx:
        return _list_response(request, family, child, plan, layout, saved_version=version,
                              message=_saved_as(version))
    messages.success(request, _saved_as(version))
    return redirect(_plan_url(child, SLUG_OF[layout.key]))


def _nothing_changed(request, family, child, plan, layout, nothing):
    if request.htmx:
        return _list_response(request, family, child, plan, layout, message=nothing.message)
    messages.info(request, nothing.message)
    return redirect(_plan_url(child, SLUG_OF[layout.key]))


def _row_conflict(request, family, child, layout, form, *, row_pk=None, note=""):
    plan = _plan_or_404(child)
    their_version = form.cleaned_data["version"]
    base, current = _conflict_contents(plan, their_version)

    def find(content):
        return next((r for r in content.get(layout.key, []) if r.get("id") == row_pk), None) if row_pk else None

    base_row, current_row = find(base), find(current)
    if row_pk is not None and current_row is None:
        # Removed meanwhile: what this person typed comes back as a new row to add, if still needed.
        data = form.data.copy()
        data["version"] = str(plan.version)
        conflict = _conflict(plan, their_version, note=(
            f"Someone removed this {layout.noun.split(' ', 1)[1]} while you were editing it. What you typed "
            "is below: add it again if it is still needed."))
        row_pk = None
    else:
        data, kept, saved_meanwhile = _merged(
            form, model=layout.model, names=layout.fields, base=base_row if row_pk else {},
            current=current_row if row_pk else {}, current_version=plan.version,
        )
        conflict = _conflict(plan, their_version, kept_theirs=kept, saved_meanwhile=saved_meanwhile, note=note)
    slug = SLUG_OF[layout.key]
    row = _row_or_none(plan, layout, row_pk) if row_pk else None
    form_class = ROW_FORMS[layout.model]
    bound = form_class(data, instance=row or layout.model(plan=plan),
                       auto_id=f"id_{slug}_{row.pk if row else 'new'}_%s")
    bound.is_valid()
    if request.htmx:
        if row is not None:
            return _list_response(request, family, child, plan, layout, form=bound, editing_pk=row.pk,
                                  conflict=conflict)
        return _list_response(request, family, child, plan, layout, adding_form=bound, conflict=conflict)
    return _row_form_page(request, family, child, plan, layout, form=bound, row=row, conflict=conflict)


@_child_view("GET")
def plan_list(request, family, child, kind):
    layout = _layout_for(kind)
    current = _plan_or_404(child)
    if not request.htmx:
        return redirect(_plan_url(child, kind))
    audit.record_view(family)
    return _list_response(request, family, child, current, layout)


@_child_view("POST")
def plan_row_add(request, family, child, kind):
    layout = _layout_for(kind)
    current = _plan_or_404(child)
    form = ROW_FORMS[layout.model](request.POST, instance=layout.model(plan=current),
                                   auto_id=f"id_{kind}_new_%s")
    if form.is_valid():
        saved = _save_row(request, family, child, current, layout, form)
        if saved is not None:
            return saved
    if request.htmx:
        return _list_response(request, family, child, current, layout, adding_form=form)
    return _row_form_page(request, family, child, current, layout, form=form)


def _save_row(request, family, child, current, layout, form, row_pk=None):
    """Save a valid row form through the one write path; the response to send, or None when the
    form now carries an error to show."""
    try:
        version = services.plan_row_save(user=request.user, plan=current, row=form.instance,
                                         expected_version=form.cleaned_data["version"])
    except EditConflict:
        return _row_conflict(request, family, child, layout, form, row_pk=row_pk)
    except services.NothingToSave as nothing:
        return _nothing_changed(request, family, child, current, layout, nothing)
    except UserFixableError as error:
        add_to_form(form, error)
        return None
    return _after_save(request, family, child, current, layout, version)


@_child_view("GET", "POST")
def plan_row_edit(request, family, child, kind, row_pk):
    layout = _layout_for(kind)
    current = _plan_or_404(child)
    row = _row_or_none(current, layout, row_pk)
    form_class = ROW_FORMS[layout.model]
    if request.method == "GET":
        if row is None:
            raise Http404
        audit.record_view(family)
        form = form_class(instance=row, auto_id=f"id_{kind}_{row.pk}_%s", initial={"version": current.version})
        if request.htmx:
            return render(request, "safety_plans/_plan_row_form.html", {
                "family": family, "child": child, "plan": current, "layout": layout, "slug": kind, "row": row,
                "form": form, "fields": _fields_with_saved(form, None), "version": current.version,
            })
        return _row_form_page(request, family, child, current, layout, form=form, row=row)
    form = form_class(request.POST, instance=row or layout.model(plan=current), auto_id=f"id_{kind}_{row_pk}_%s")
    if form.is_valid():
        if row is None:
            return _row_conflict(request, family, child, layout, form, row_pk=row_pk)
        saved = _save_row(request, family, child, current, layout, form, row_pk=row_pk)
        if saved is not None:
            return saved
    if row is None:
        raise Http404
    if request.htmx:
        return _list_response(request, family, child, current, layout, form=form, editing_pk=row.pk)
    return _row_form_page(request, family, child, current, layout, form=form, row=row)


def _row_change_refused(request, family, child, plan, layout, message):
    if request.htmx:
        return _list_response(request, family, child, plan, layout, message=message)
    messages.error(request, message)
    return redirect(_plan_url(child, SLUG_OF[layout.key]))


STALE_LIST = ("Someone else changed this plan since you opened it, so that was not done. "
              "The list below is as it is now: check it and try again.")


@_child_view("POST")
def plan_row_remove(request, family, child, kind, row_pk):
    layout = _layout_for(kind)
    current = _plan_or_404(child)
    row = _row_or_none(current, layout, row_pk)
    expected = _version_of(request)
    if row is None or expected is None:
        return _row_change_refused(request, family, child, current, layout, STALE_LIST)
    try:
        version = services.plan_row_remove(user=request.user, plan=current, row=row, expected_version=expected)
    except EditConflict:
        return _row_change_refused(request, family, child, _plan_or_404(child), layout, STALE_LIST)
    return _after_save(request, family, child, current, layout, version)


@_child_view("POST")
def plan_commitment_done(request, family, child, row_pk):
    layout = LIST_BY_KEY["commitments"]
    current = _plan_or_404(child)
    commitment = get_object_or_404(Commitment, plan=current, pk=row_pk)
    expected = _version_of(request)
    if expected is None:
        return _row_change_refused(request, family, child, current, layout, STALE_LIST)
    try:
        version = services.commitment_mark_done(user=request.user, plan=current, commitment=commitment,
                                                expected_version=expected)
    except EditConflict:
        return _row_change_refused(request, family, child, _plan_or_404(child), layout, STALE_LIST)
    except services.NothingToSave as nothing:
        return _nothing_changed(request, family, child, current, layout, nothing)
    return _after_save(request, family, child, current, layout, version)


# --------------------------------------------------------------- versions


def _number(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


@_child_view("GET")
def plan_versions(request, family, child):
    current = _plan_or_404(child)
    audit.record_view(family)
    page = selectors.versions_page(current, number=_number(request.GET.get("page"), 1))
    return render(request, "safety_plans/plan_versions.html",
                  {"family": family, "child": child, "plan": current, "page": page})


@_child_view("GET")
def plan_compare(request, family, child):
    current = _plan_or_404(child)
    newer = _number(request.GET.get("to"), current.version)
    older = _number(request.GET.get("from"), newer - 1)
    if older > newer:
        older, newer = newer, older
    versions = selectors.versions_by_number(current, {older, newer})
    if older not in versions or newer not in versions:
        raise Http404
    audit.record_view(family)
    return render(request, "safety_plans/plan_compare.html", {
        "family": family, "child": child, "plan": current, "older": versions[older], "newer": versions[newer],
        "differences": comparison.compare(versions[older].content, versions[newer].content),
    })


@_child_view("GET", "POST")
def plan_restore(request, family, child, number):
    current = _plan_or_404(child)
    stale = False
    if request.method == "POST":
        expected = _version_of(request)
        try:
            version = services.safety_plan_restore(user=request.user, plan=current, number=number,
                                                   expected_version=expected if expected is not None else -1)
        except EditConflict:
            stale = True
            current = _plan_or_404(child)
        except services.NothingToSave:
            messages.info(request, f"The plan is already the same as version {number}: nothing to restore.")
            return redirect(_plan_url(child))
        else:
            messages.success(request, f"Restored version {number} as version {version.number}.")
            return redirect(_plan_url(child))
    else:
        audit.record_view(family)
    versions = selectors.versions_by_number(current, {number, current.version})
    if number not in versions:
        raise Http404
    return render(request, "safety_plans/plan_restore.html", {
        "family": family, "child": child, "plan": current, "old": versions[number],
        "latest": versions[current.version], "stale": stale,
        "differences": comparison.compare(versions[current.version].content, versions[number].content),
    })


# --------------------------------------------------------------- the family's copy


def _copy_for(child):
    current = selectors.plan_for_child(child)
    if current is None:
        raise Http404
    return family_copy.family_copy(current, latest=selectors.latest_version(current))


@_child_view("GET")
def plan_family_copy(request, family, child):
    copy = _copy_for(child)
    audit.record_reads([family], kind=audit.Read.PRINT, what="safety plan family copy (print)")
    return render(request, "safety_plans/plan_family_copy.html", {"family": family, "child": child, "copy": copy})


@_child_view("GET")
def plan_family_copy_pdf(request, family, child):
    copy = _copy_for(child)
    audit.record_reads([family], kind=audit.Read.EXPORT, what="safety plan family copy (PDF)")
    response = HttpResponse(family_copy.render_pdf(copy), content_type="application/pdf")
    # The family's reference, not the child's name: a file name ends up in download lists and logs.
    response["Content-Disposition"] = f'attachment; filename="safety-plan-{family.reference or family.pk}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


def _saved_as(version) -> str:
    """ "Added a worry: …. Saved as version 3." without a doubled full stop."""
    return f"{version.what_changed.rstrip('.')}. Saved as version {version.number}."
