"""Forms for calls and follow-ups: logging a call (with the follow-up agreed in it), and putting a
logged call right (amend, move to another family, strike through, reinstate)."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from core.errors import UserFixableError
from core.forms import PlainTextMixin, UKDateField, UKDateTimeField, VersionField, not_in_future
from families import calls
from families.forms import NOT_IN_FAMILYS_TEAM
from families.models import Contact, FollowUp, SupportCategory


class ContactForm(PlainTextMixin, forms.ModelForm):
    """A call, in the order a worker fills it in while the parent talks: who, what, the support given,
    then the call's details. The duration may be left blank: it is then the time since the form was
    opened (the call timer, static/js/call_form.js, fills it in as the call goes on)."""

    support_given = forms.ModelMultipleChoiceField(
        queryset=SupportCategory.objects.all(), widget=forms.CheckboxSelectMultiple, required=False
    )
    # When the form was first shown, as an ISO moment; kept when the form comes back with an error.
    opened_at = forms.CharField(widget=forms.HiddenInput, required=False)
    # Set while the call timer fills the duration, so that a form shown again after an error goes on
    # filling it; cleared once the worker types a duration of their own.
    duration_by_timer = forms.BooleanField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Contact
        fields = [
            "spoke_with",
            "summary",
            "handle_with_care",
            "support_given",
            "occurred_at",
            "duration_minutes",
            "channel",
        ]
        field_classes = {"occurred_at": UKDateTimeField}
        widgets = {
            "duration_minutes": forms.NumberInput(attrs={"min": 1, "max": 600}),
            "summary": forms.Textarea(attrs={"rows": 6}),
        }

    def __init__(self, *args, family, default_spoke_with=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["spoke_with"].queryset = family.people.all()
        self.fields["spoke_with"].label = "Who we spoke with"
        # The worker is on the phone: the first field is ready to type into.
        self.fields["spoke_with"].widget.attrs["autofocus"] = True
        self.fields["duration_minutes"].required = False
        self.fields["duration_minutes"].help_text = "Leave it blank to use the time since this form was opened."
        if not self.is_bound:
            self.initial.setdefault("occurred_at", timezone.localtime().replace(second=0, microsecond=0))
            self.initial.setdefault("opened_at", timezone.now().isoformat())
            if default_spoke_with is not None:
                self.initial.setdefault("spoke_with", default_spoke_with.pk)

    def clean_occurred_at(self):
        return not_in_future(self.cleaned_data["occurred_at"], "The call cannot be in the future.")

    def clean(self):
        cleaned = super().clean()
        timed = "opened_at" in self.fields
        if timed and cleaned.get("duration_minutes") is None and "duration_minutes" not in self.errors:
            opened_at = _aware_moment(cleaned.get("opened_at"))
            if opened_at is None:
                self.add_error("duration_minutes", "Enter how long the call took, in minutes.")
            else:
                try:
                    cleaned["duration_minutes"] = calls.minutes_since(opened_at)
                except UserFixableError as error:
                    self.add_error("duration_minutes", error.message)
        return cleaned

    @property
    def form_opened_at(self):
        """When the form was first opened (the timer counts from it), or None."""
        return _aware_moment(self["opened_at"].value())


def _aware_moment(value):
    """The aware moment an ISO value names, or None: the hidden opening time comes back from the
    browser, so it may be anything, including a well-formed impossible one (2026-12-08T25:00)."""
    try:
        moment = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return moment if moment is not None and timezone.is_aware(moment) else None


class ContactAmendForm(ContactForm):
    """A logged call's fields, to put right; ``version`` is the one the user started from."""

    reason = forms.CharField(
        label="Why it is being changed (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For example: the wrong child was chosen.",
    )
    version = VersionField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["opened_at"]
        del self.fields["duration_by_timer"]
        self.fields["duration_minutes"].required = True
        self.fields["duration_minutes"].help_text = ""


class FamilyReferenceField(forms.CharField):
    """A family's reference (F-000123; "f123" will do) among the families the user may see."""

    def __init__(self, *, user=None, **kwargs):
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)
        self.user = user

    def clean(self, value):
        text = super().clean(value)
        family = calls.family_by_reference(self.user, text)
        if family is None:
            raise ValidationError(calls.FAMILY_NOT_FOUND.format(reference=calls.normalise_reference(text)))
        return family


class ContactMoveForm(PlainTextMixin, forms.Form):
    to_family = FamilyReferenceField(
        label="The family it belongs to",
        help_text="Its reference, for example F-000123.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autofocus": True}),
    )
    reason = forms.CharField(
        label="Why it is being moved",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Both families' timelines show this: say why the call belongs there, not what was discussed.",
    )
    version = VersionField()

    def __init__(self, *args, user, contact, **kwargs):
        super().__init__(*args, **kwargs)
        self.contact = contact
        self.fields["to_family"].user = user
        self.fields["to_family"].error_messages["required"] = "Enter the reference of the family the call belongs to."
        self.fields["reason"].error_messages["required"] = "Say why the call belongs to that family."

    def clean_to_family(self):
        family = self.cleaned_data["to_family"]
        if family.pk == self.contact.family_id:
            raise ValidationError(f"The call is already on {family}: enter the reference of the family it belongs to.")
        return family


class ContactStrikeForm(PlainTextMixin, forms.Form):
    reason = forms.CharField(
        label="Why it is being struck through",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "autofocus": True}),
        help_text="For example: logged twice. The call stays in the record, struck through, with this reason.",
    )
    version = VersionField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].error_messages["required"] = "Say why the call is being struck through."


class ContactReinstateForm(PlainTextMixin, forms.Form):
    reason = forms.CharField(
        label="Why it is being reinstated (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "autofocus": True}),
    )
    version = VersionField()


class FollowUpForm(PlainTextMixin, forms.ModelForm):
    class Meta:
        model = FollowUp
        fields = ["description", "owner", "due_on"]
        field_classes = {"due_on": UKDateField}
        labels = {"description": "Follow-up", "owner": "Who will do it", "due_on": "By when"}

    def __init__(self, *args, colleagues, owner, optional=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.optional = optional
        self.fields["owner"].queryset = colleagues
        self.fields["owner"].error_messages["invalid_choice"] = NOT_IN_FAMILYS_TEAM
        self.fields["owner"].initial = owner
        if optional:
            for field in self.fields.values():
                field.required = False

    def is_empty(self):
        """An optional follow-up left blank: no description and no date typed (a date alone is not
        dropped: it gets a message asking for the description)."""
        if not self.optional:
            return False
        typed = [self.data.get(self.add_prefix("description")) or ""]
        typed += [self.data.get(f"{self.add_prefix('due_on')}_{part}") or "" for part in ("day", "month", "year")]
        return not any(value.strip() for value in typed)

    def clean_due_on(self):
        due = self.cleaned_data["due_on"]
        if due and due < timezone.localdate():
            raise ValidationError("The follow-up date cannot be in the past.")
        return due

    def clean(self):
        cleaned = super().clean()
        described = cleaned.get("description") or "description" in self.errors
        if self.optional and not self.is_empty() and not described:
            self.add_error("description", "Say what the follow-up is, or clear its date to save the call without it.")
        if self.optional and cleaned.get("description"):
            messages = {"owner": "Choose who will do the follow-up.", "due_on": "Enter the date it is due by."}
            for name, message in messages.items():
                if not cleaned.get(name) and name not in self.errors:
                    self.add_error(name, message)
        return cleaned
