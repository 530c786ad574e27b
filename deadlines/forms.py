from django import forms

from core.forms import PlainTextMixin

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
