"""A child's missing episodes: the page, and the forms that record going missing, coming back and
the return home interview. Every view finds the family through families.permissions (404 for
anyone outside its team) and the child among that family's children (404 otherwise)."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from core import audit
from core.errors import saved
from deadlines.services import open_deadlines_for
from families import permissions
from families.models import Family, Person
from safety_plans import missing as episodes
from safety_plans.missing_forms import EpisodeDetailsForm, InterviewForm, ReturnForm, WentMissingForm


def _child_of_family(*methods):
    """Finds the family (404 for anyone outside its team) and the child among its children (404
    otherwise), records the view, and only then checks the method: a URL never tells an outsider
    anything, not even which methods it answers."""

    def decorator(view):
        @wraps(view)
        def checked(request, pk, child_pk, **kwargs):
            family = permissions.family_for(
                request.user, pk, queryset=Family.objects.select_related("local_authority")
            )
            child = get_object_or_404(family.people.filter(kind=Person.Kind.CHILD), pk=child_pk)
            audit.record_view(family)
            if request.method not in methods:
                return HttpResponseNotAllowed(methods)
            return view(request, family, child, **kwargs)

        return checked

    return decorator


def _page_url(family, child):
    return reverse("safety_plans:missing", args=[family.pk, child.pk])


def _form_page(request, *, family, child, form, title, episode=None):
    return render(
        request,
        "safety_plans/missing_form.html",
        {"family": family, "child": child, "form": form, "title": title, "episode": episode,
         "back_url": _page_url(family, child)},
    )


@login_required
@_child_of_family("GET", "HEAD")
def missing(request, family, child):
    page = episodes.child_missing_page(family, child)
    return render(request, "safety_plans/missing.html", {"family": family, "child": child, "page": page})


@login_required
@_child_of_family("GET", "POST")
def missing_record(request, family, child):
    form = WentMissingForm(request.POST or None)
    if form.is_valid() and saved(form, lambda: episodes.missing_episode_record(
        user=request.user, family=family, child=child, **form.cleaned_data,
    )):
        if form.cleaned_data["returned_at"]:
            messages.success(request, f"Recorded: {child.first_name} was missing and has come back.")
        else:
            messages.success(
                request, f"Recorded: {child.first_name} is missing. Record their return when they are back."
            )
        return redirect(_page_url(family, child))
    return _form_page(request, family=family, child=child, form=form,
                      title=f"Record that {child.first_name} has gone missing")


@login_required
@_child_of_family("GET", "POST")
def missing_edit(request, family, child, episode_pk):
    episode = episodes.episode_for(family, child, episode_pk)
    form = EpisodeDetailsForm(request.POST or None, initial={
        "went_missing_at": episode.went_missing_at, "reported_to_police_at": episode.reported_to_police_at,
        "police_reference": episode.police_reference, "notes": episode.notes, "version": episode.version,
    })
    if form.is_valid() and saved(form, lambda: episodes.missing_episode_update(
        user=request.user, episode=episode, expected_version=form.cleaned_data["version"],
        went_missing_at=form.cleaned_data["went_missing_at"],
        reported_to_police_at=form.cleaned_data["reported_to_police_at"],
        police_reference=form.cleaned_data["police_reference"], notes=form.cleaned_data["notes"],
    )):
        messages.success(request, "Details saved.")
        return redirect(_page_url(family, child))
    return _form_page(request, family=family, child=child, form=form, episode=episode,
                      title="Going missing and the report to the police")


@login_required
@_child_of_family("GET", "POST")
def missing_return(request, family, child, episode_pk):
    episode = episodes.episode_for(family, child, episode_pk)
    initial = {"version": episode.version}
    if episode.returned_at:
        initial.update(returned_at=episode.returned_at, where_found=episode.where_found)
    form = ReturnForm(request.POST or None, initial=initial)
    if form.is_valid() and saved(form, lambda: episodes.missing_episode_record_return(
        user=request.user, episode=episode, expected_version=form.cleaned_data["version"],
        returned_at=form.cleaned_data["returned_at"], where_found=form.cleaned_data["where_found"],
    )):
        deadline = open_deadlines_for(episode).first()
        text = f"{child.first_name}'s return recorded."
        if deadline:
            text += f" The return home interview is due by {audit.format_moment(deadline.due_at)}."
        messages.success(request, text)
        return redirect(_page_url(family, child))
    title = f"Correct when {child.first_name} came back" if episode.returned_at else f"{child.first_name} has come back"
    return _form_page(request, family=family, child=child, form=form, episode=episode, title=title)


@login_required
@_child_of_family("GET", "POST")
def missing_interview(request, family, child, episode_pk):
    episode = episodes.episode_for(family, child, episode_pk)
    form = InterviewForm(request.POST or None, initial={
        "interview_offered_at": episode.interview_offered_at, "interview_done_at": episode.interview_done_at,
        "interview_by": episode.interview_by, "version": episode.version,
    })
    if form.is_valid() and saved(form, lambda: episodes.missing_episode_record_interview(
        user=request.user, episode=episode, expected_version=form.cleaned_data["version"],
        interview_offered_at=form.cleaned_data["interview_offered_at"],
        interview_done_at=form.cleaned_data["interview_done_at"], interview_by=form.cleaned_data["interview_by"],
    )):
        messages.success(request, "Return home interview recorded.")
        return redirect(_page_url(family, child))
    return _form_page(request, family=family, child=child, form=form, episode=episode,
                      title="Return home interview")
