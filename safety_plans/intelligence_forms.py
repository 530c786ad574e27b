from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.errors import UserFixableError
from core.forms import PlainTextMixin, UKDateField, UKDateTimeField, VersionField, not_in_future
from families.forms import sharing_reason_field
from families.models import Person
from safety_plans import intelligence
from safety_plans.models import IntelligenceEntry

PLATFORM_CHOICES = [
    ("", "---------"),
    *intelligence.Platform.choices,
    (intelligence.OTHER_PLATFORM, "Another platform"),
]


def _refused(check, value):
    """Run one of intelligence's normalisers as a form check, so that its message is shown next to
    the field at the same time as any other mistake on the form."""
    try:
        check(value)
    except UserFixableError as error:
        raise ValidationError(error.message) from None


class IntelligenceEntryForm(PlainTextMixin, forms.ModelForm):
    """An entry in the log. Registrations, numbers and handles are kept as written; their keys are
    derived by the service."""

    platform = forms.ChoiceField(choices=PLATFORM_CHOICES, required=False, label="Platform")
    other_platform = forms.CharField(
        max_length=40, required=False, label="Name of the platform", help_text="Only if it is another platform."
    )

    class Meta:
        model = IntelligenceEntry
        fields = [
            "kind",
            "observed_at",
            "child",
            "description",
            "registration",
            "phone",
            "platform",
            "other_platform",
            "handle",
            "place",
            "source",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "registration": forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
            "phone": forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
            "handle": forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        }
        field_classes = {"observed_at": UKDateTimeField}
        labels = {"kind": "What it is", "child": "Which child it is about"}
        help_texts = {
            "observed_at": "As near as the family can say.",
            "source": "For example “Mum saw it from the window”, or “on Tyler's phone”.",
            "handle": "The name on the account, for example @big.dave.",
        }

    def __init__(self, *args, family, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["child"].queryset = family.people.filter(kind=Person.Kind.CHILD).order_by("first_name")
        self.fields["child"].required = False
        stored = self.instance.platform
        if stored and stored not in intelligence.Platform.values:
            self.initial.update(platform=intelligence.OTHER_PLATFORM, other_platform=stored)
        if not self.is_bound and not self.instance.pk:
            self.initial.setdefault("observed_at", timezone.localtime().replace(second=0, microsecond=0))

    def clean_observed_at(self):
        return not_in_future(self.cleaned_data["observed_at"], "This cannot be in the future.")

    def clean_registration(self):
        value = self.cleaned_data["registration"].strip()
        if value and not intelligence.normalise_registration(value):
            raise ValidationError(intelligence.REGISTRATION_UNREADABLE)
        return value

    def clean_phone(self):
        value = self.cleaned_data["phone"].strip()
        _refused(intelligence.normalise_phone, value)
        return value

    def clean(self):
        cleaned = super().clean()
        chosen = cleaned.get("platform", "")
        platform = chosen
        if chosen == intelligence.OTHER_PLATFORM:
            platform = (cleaned.get("other_platform") or "").strip()
            if not platform and "other_platform" not in self.errors:
                self.add_error("other_platform", "Name the platform.")
        cleaned["platform"] = platform
        handle = (cleaned.get("handle") or "").strip()
        cleaned["handle"] = handle
        if handle and platform:
            try:
                intelligence.normalise_handle(platform, handle)
            except UserFixableError as error:
                self.add_error(error.field, error.message)
        elif handle and chosen != intelligence.OTHER_PLATFORM:
            self.add_error("platform", intelligence.HANDLE_NEEDS_PLATFORM)
        return cleaned


class EditIntelligenceEntryForm(IntelligenceEntryForm):
    version = VersionField()


class PassedToPoliceForm(PlainTextMixin, forms.ModelForm):
    """The quick update once the family or the PLO has told the police."""

    version = VersionField()

    class Meta:
        model = IntelligenceEntry
        fields = ["passed_to_police_on", "police_officer_or_unit", "police_reference", "outcome"]
        widgets = {"outcome": forms.Textarea(attrs={"rows": 3})}
        field_classes = {"passed_to_police_on": UKDateField}
        help_texts = {"outcome": "What the police did with it, if the family has been told."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["passed_to_police_on"].required = True
        if not self.is_bound and not self.instance.passed_to_police_on:
            self.initial.setdefault("passed_to_police_on", timezone.localdate())

    def clean_passed_to_police_on(self):
        return not_in_future(self.cleaned_data["passed_to_police_on"], "This cannot be in the future.")


class PoliceSheetForm(PlainTextMixin, forms.Form):
    """What goes on a sheet for the police: the chosen entries, and the children's first names and
    dates of birth only if chosen. Nothing else about the family is ever on it. When the parent
    withdrew consent to share with the police (``consent_withdrawn``), the sheet is made only with the
    reason it is right to share without it."""

    entries = forms.ModelMultipleChoiceField(
        queryset=IntelligenceEntry.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        label="Entries to include",
        error_messages={"required": "Choose at least one entry to include."},
    )
    children = forms.ModelMultipleChoiceField(
        queryset=Person.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Name these children on the sheet",
        help_text="Their first name and date of birth only. Leave them all unticked to name nobody.",
    )

    reason = sharing_reason_field()

    def __init__(self, *args, family, entries, consent_withdrawn=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not consent_withdrawn:
            del self.fields["reason"]
        self.fields["entries"].queryset = family.intelligence.all()
        # The entries already read for the page, so the choices cost no more queries.
        self.fields["entries"].choices = [(entry.pk, _entry_choice(entry)) for entry in entries]
        self.fields["children"].queryset = family.people.filter(kind=Person.Kind.CHILD).order_by("first_name")
        self.fields["children"].label_from_instance = lambda child: child.first_name


def _entry_choice(entry) -> str:
    description = entry.description if len(entry.description) <= 80 else entry.description[:79] + "…"
    seen = timezone.localtime(entry.observed_at)
    return f"{seen:%d/%m/%Y %H:%M} · {entry.get_kind_display()} · {description}"
