"""The meeting pages: a family's meetings, recording and editing one, and the actions agreed at it,
entered as a quick list and then marked done, dropped or chased in place.

Every view first finds the family (families.permissions.family_for), so anyone outside the
family's team gets 404 whatever the method. The list of actions is changed with htmx (each form
posts and gets the list back) and works the same without JavaScript: a plain post redirects back to
the meeting, or shows the meeting's page again with the form and its message.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from core import audit
from core.errors import EditConflict, UserFixableError, add_to_form, saved
from families import permissions
from meetings import selectors, services
from meetings.forms import ActionChaseForm, ActionDoneForm, ActionDropForm, ActionForm, MeetingForm
from meetings.models import Meeting, MeetingAction

ACTION_CHANGED = ("Someone else changed this action while you had the page open, so that was not saved. "
                  "It is shown below as it is now: check it, then try again.")


def _meeting_or_404(family, meeting_pk) -> Meeting:
    return get_object_or_404(Meeting.objects.select_related("referral"), family=family, pk=meeting_pk)


def _action_or_404(meeting, action_pk) -> MeetingAction:
    action = get_object_or_404(MeetingAction.objects.select_related("agency"), meeting=meeting, pk=action_pk)
    action.meeting = meeting
    return action


def _detail_url(meeting, anchor="actions", **query):
    url = reverse("meetings:detail", args=[meeting.family_id, meeting.pk])
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return f"{url}#{anchor}" if anchor else url


# --------------------------------------------------------------- meetings


@permissions.family_view("GET")
def meeting_list(request, family):
    audit.record_view(family)
    return render(request, "meetings/list.html", {
        "family": family, "meetings": selectors.meetings_for_family(family),
    })


def _people(form):
    return {name: form.cleaned_data.get(name) or [] for name in ("children", "agencies", "professionals")}


@permissions.family_view("GET", "POST")
def meeting_create(request, family):
    form = MeetingForm(request.POST or None, instance=Meeting(family=family), family=family)
    if request.method == "GET":
        audit.record_view(family)
    elif form.is_valid() and saved(
        form, lambda: services.meeting_record(user=request.user, meeting=form.instance, **_people(form))
    ):
        meeting = form.instance
        recorded = ""
        if meeting.milestone_record:
            recorded = f" It is recorded on the referral as the {str(meeting.milestone_record).lower()}."
        messages.success(request, f"{meeting.get_kind_display()} recorded.{recorded} Now add the actions agreed.")
        return redirect(_detail_url(meeting, "add-action", adding=1))
    return render(request, "meetings/form.html", {"family": family, "form": form, "title": "Record a meeting"})


@permissions.family_view("GET", "POST")
def meeting_edit(request, family, meeting_pk):
    meeting = _meeting_or_404(family, meeting_pk)
    form = MeetingForm(request.POST or None, instance=meeting, family=family, initial={"version": meeting.version})
    if request.method == "GET":
        audit.record_view(family)
    elif form.is_valid() and saved(
        form,
        lambda: services.meeting_update(
            user=request.user, meeting=form.instance, expected_version=form.cleaned_data["version"], **_people(form)
        ),
    ):
        messages.success(request, "Meeting saved.")
        return redirect(_detail_url(meeting, anchor=""))
    return render(request, "meetings/form.html", {
        "family": family, "form": form, "meeting": meeting, "title": f"Edit the {meeting.get_kind_display().lower()}",
    })


@permissions.family_view("GET")
def detail(request, family, meeting_pk):
    meeting = selectors.meeting_for_page(family, meeting_pk)
    if meeting is None:
        raise Http404
    audit.record_view(family)
    return _meeting_page(request, family, meeting, focus_new=request.GET.get("adding") == "1")


# --------------------------------------------------------------- the actions, edited in place


@dataclass
class ActionRow:
    action: MeetingAction
    done_form: ActionDoneForm | None = None
    drop_form: ActionDropForm | None = None
    chase_form: ActionChaseForm | None = None
    open_form: str = ""  # "done", "drop" or "chase": the form shown open (with its message)
    overdue: bool = False

    @property
    def forms(self):
        """(kind, form, label, URL name) of each change an open action can have."""
        return [
            (kind, getattr(self, f"{kind}_form"), label, f"meetings:action_{kind}")
            for kind, label in FORM_LABELS.items()
            if getattr(self, f"{kind}_form") is not None
        ]


FORM_CLASSES = {"done": ActionDoneForm, "drop": ActionDropForm, "chase": ActionChaseForm}
FORM_LABELS = {"done": "Mark done", "chase": "Record a chase", "drop": "Drop it"}


def _rows(actions, *, bound_pk=None, bound_kind="", bound_form=None) -> list[ActionRow]:
    today = timezone.localdate()
    rows = []
    for action in actions:
        row = ActionRow(action=action)
        row.overdue = action.status == MeetingAction.Status.OPEN and action.due_on is not None and action.due_on < today
        if action.status == MeetingAction.Status.OPEN:
            for kind, form_class in FORM_CLASSES.items():
                form = form_class(auto_id=f"id_action_{action.pk}_{kind}_%s", initial={"version": action.version})
                setattr(row, f"{kind}_form", form)
        if action.pk == bound_pk and bound_form is not None:
            setattr(row, f"{bound_kind}_form", bound_form)
            row.open_form = bound_kind
        rows.append(row)
    return rows


def _new_action_form(family, meeting, *, focus=False):
    form = ActionForm(family=family, meeting=meeting, auto_id="id_new_action_%s")
    if focus:
        form.fields["description"].widget.attrs["autofocus"] = True
    return form


def _focus_first_error(form):
    for name in form.fields:
        if name in form.errors:
            form.fields[name].widget.attrs["autofocus"] = True
            return


def _actions_context(family, meeting, *, actions, completion, add_form=None, focus_new=False, message="", **bound):
    return {
        "family": family,
        "meeting": meeting,
        "rows": _rows(actions, **bound),
        "completion": completion,
        "add_form": add_form or _new_action_form(family, meeting, focus=focus_new),
        "agency_names": list(selectors.agencies_for(family).values_list("name", flat=True)),
        "message": message,
    }


def _meeting_page(request, family, meeting, *, add_form=None, focus_new=False, **bound):
    context = _actions_context(family, meeting, actions=meeting.actions.all(), completion=meeting.completion,
                               add_form=add_form, focus_new=focus_new, **bound)
    return render(request, "meetings/detail.html", context)


def _actions_response(request, family, meeting, *, add_form=None, focus_new=False, message="", **bound):
    """The list's fragment, for htmx: the actions as they are now, and the meeting's completion."""
    context = _actions_context(
        family, meeting, actions=selectors.actions_for(meeting), completion=selectors.completion_of(meeting),
        add_form=add_form, focus_new=focus_new, message=message, **bound,
    )
    return render(request, "meetings/_actions.html", context)


def _refused(request, family, meeting, *, add_form=None, **bound):
    """The form comes back with its message and what was typed: in the list (htmx) or on the
    meeting's page."""
    if request.htmx:
        return _actions_response(request, family, meeting, add_form=add_form, **bound)
    page_meeting = selectors.meeting_for_page(family, meeting.pk)
    return _meeting_page(request, family, page_meeting, add_form=add_form, **bound)


def _after_change(request, family, meeting, message, *, focus_new=False):
    if request.htmx:
        return _actions_response(request, family, meeting, focus_new=focus_new, message=message)
    messages.success(request, message)
    if focus_new:
        return redirect(_detail_url(meeting, "add-action", adding=1))
    return redirect(_detail_url(meeting))


@permissions.family_view("POST")
def action_add(request, family, meeting_pk):
    meeting = _meeting_or_404(family, meeting_pk)
    form = ActionForm(request.POST, family=family, meeting=meeting, auto_id="id_new_action_%s")
    if form.is_valid():
        try:
            action = services.action_add(user=request.user, meeting=meeting, action=form.action())
        except UserFixableError as error:
            add_to_form(form, error)
        else:
            return _after_change(request, family, meeting, f"Added: {action.description}", focus_new=True)
    _focus_first_error(form)
    return _refused(request, family, meeting, add_form=form)


def _change_action(request, family, meeting_pk, action_pk, kind, change):
    """Mark done, drop or chase through ``change(action, cleaned_data)``; the form comes back with
    its message when it is refused, with what was typed kept."""
    meeting = _meeting_or_404(family, meeting_pk)
    action = _action_or_404(meeting, action_pk)
    form = FORM_CLASSES[kind](request.POST, auto_id=f"id_action_{action.pk}_{kind}_%s")
    if form.is_valid():
        try:
            message = change(action, form.cleaned_data)
        except EditConflict:
            action = _action_or_404(meeting, action_pk)
            data = request.POST.copy()
            data["version"] = str(action.version)
            form = FORM_CLASSES[kind](data, auto_id=f"id_action_{action.pk}_{kind}_%s")
            form.is_valid()
            form.add_error(None, ACTION_CHANGED)
        except UserFixableError as error:
            add_to_form(form, error)
        else:
            return _after_change(request, family, meeting, message)
    if action.status != MeetingAction.Status.OPEN:
        # Done or dropped meanwhile: nothing left to do to it; the list says so.
        if request.htmx:
            return _actions_response(request, family, meeting, message=form.non_field_errors()[0]
                                     if form.non_field_errors() else ACTION_CHANGED)
        messages.error(request, form.non_field_errors()[0] if form.non_field_errors() else ACTION_CHANGED)
        return redirect(_detail_url(meeting))
    _focus_first_error(form)
    return _refused(request, family, meeting, bound_pk=action.pk, bound_kind=kind, bound_form=form)


@permissions.family_view("POST")
def action_done(request, family, meeting_pk, action_pk):
    def change(action, data):
        services.action_mark_done(user=request.user, action=action, done_on=data["done_on"],
                                  evidence=data["evidence"], expected_version=data["version"])
        return f"Marked done: {action.description}"

    return _change_action(request, family, meeting_pk, action_pk, "done", change)


@permissions.family_view("POST")
def action_drop(request, family, meeting_pk, action_pk):
    def change(action, data):
        services.action_drop(user=request.user, action=action, reason=data["dropped_reason"],
                             expected_version=data["version"])
        return f"Dropped: {action.description}"

    return _change_action(request, family, meeting_pk, action_pk, "drop", change)


@permissions.family_view("POST")
def action_chase(request, family, meeting_pk, action_pk):
    def change(action, data):
        services.action_chase(user=request.user, action=action, chased_on=data["chased_on"], how=data["how"],
                              expected_version=data["version"])
        return f"Chase recorded: {action.description}"

    return _change_action(request, family, meeting_pk, action_pk, "chase", change)


@permissions.family_view("POST")
def action_reopen(request, family, meeting_pk, action_pk):
    meeting = _meeting_or_404(family, meeting_pk)
    action = _action_or_404(meeting, action_pk)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = -1
    try:
        services.action_reopen(user=request.user, action=action, expected_version=version)
    except UserFixableError as error:
        message = ACTION_CHANGED if isinstance(error, EditConflict) else error.message
        if request.htmx:
            return _actions_response(request, family, meeting, message=message)
        messages.error(request, message)
        return redirect(_detail_url(meeting))
    return _after_change(request, family, meeting, f"Open again: {action.description}")
