from django import forms

from core.forms import PlainTextMixin, UKDateField
from core.models import BankHolidayChange
from core.working_days import Calendar

NOTE_MAX_LENGTH = 2000


class FlagIdsField(forms.Field):
    """The ids of the ticked flags. Anything that is not a whole number is dropped here; ids the
    user may not act on are dropped by the form's scoped queryset."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        return [int(item) for item in value or [] if str(item).isdigit()]


class AcknowledgeForm(PlainTextMixin, forms.Form):
    flags = FlagIdsField(
        label="Overdue flags to acknowledge",
        required=False,
    )
    note = forms.CharField(
        label="Note",
        help_text="What is being done about it, for example “Rang the duty team; decision promised by Friday”.",
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={
            "required": "Write a short note saying what is being done.",
            "max_length": f"Keep the note to {NOTE_MAX_LENGTH:,} characters or fewer.",
        },
    )

    def __init__(self, *args, flags, **kwargs):
        """``flags``: the flags this user may acknowledge (team-scoped)."""
        super().__init__(*args, **kwargs)
        self.scoped_flags = flags
        self.fields["note"].widget.attrs["maxlength"] = NOTE_MAX_LENGTH

    def clean_flags(self):
        ids = self.cleaned_data["flags"]
        # Flags of other teams (or already resolved) in the POST are ignored, never acted on.
        chosen = list(self.scoped_flags.filter(pk__in=ids)) if ids else []
        if not chosen:
            raise forms.ValidationError("Tick at least one overdue flag to acknowledge.")
        return chosen

    def chosen_ids(self):
        """The ticked ids as sent, to tick them again when the form comes back with an error."""
        return {str(item) for item in self.data.getlist(self.add_prefix("flags"))} if self.is_bound else set()


class BankHolidayChangeForm(PlainTextMixin, forms.Form):
    """A day to add to a nation's bank holidays, or to withdraw. Whether the change makes sense for
    that day (already a bank holiday, a weekend) is core.services' to say, next to the day."""

    calendar = forms.ChoiceField(
        label="Nation", choices=[(calendar.value, calendar.label) for calendar in Calendar],
        error_messages={"required": "Choose the nation whose bank holidays change."},
    )
    change = forms.ChoiceField(
        label="Change", choices=BankHolidayChange.Change.choices, widget=forms.RadioSelect,
        error_messages={"required": "Choose whether the day is added or withdrawn."},
    )
    day = UKDateField(
        label="Day", error_messages={"required": "Enter the day."},
    )
    name = forms.CharField(
        label="Name of the day", max_length=100,
        help_text="For example “State funeral of Queen Elizabeth II”, or why it is withdrawn.",
        error_messages={"required": "Give the day a name, as announced."},
    )
    source = forms.CharField(
        label="Source", max_length=300,
        help_text="Where it was announced, for example “Royal proclamation, 12 September 2022”, or a web address.",
        error_messages={"required": "Say where the change was announced, so others can check it."},
    )
