from django import forms
from django.utils import timezone

from agencies.models import name_key
from core.forms import PlainTextMixin, UKDateField, UKDateTimeField, VersionField, not_in_future
from families.models import Person
from meetings import selectors
from meetings.models import Meeting, MeetingAction


def _rows(n):
    return forms.Textarea(attrs={"rows": n})


class ReferralChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, referral):
        made = timezone.localtime(referral.created_at)
        label = f"{referral} (recorded {made.day} {made:%b %Y})"
        if referral.csc_reference:
            label += f", reference {referral.csc_reference}"
        return label if referral.is_open else f"{label}, closed"


class ProfessionalChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, professional):
        role = f", {professional.role}" if professional.role else ""
        return f"{professional.full_name}{role} ({professional.agency.name})"


class MeetingForm(PlainTextMixin, forms.ModelForm):
    """Recording a meeting, and editing it (then with the version it was opened at)."""

    referral = ReferralChoiceField(
        queryset=None, required=False, empty_label="None",
        label="The referral it concerns",
        help_text="A strategy discussion, a child protection conference or the first core group is recorded on "
                  "the referral too, and its timescales follow.",
    )
    professionals = ProfessionalChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple, label="Professionals present",
        help_text="Their agencies are counted as present too.",
    )
    version = VersionField()

    class Meta:
        model = Meeting
        fields = [
            "kind", "held_at", "children", "referral", "agencies", "professionals", "others_present",
            "parent_invited", "parent_attended", "parent_received_minutes", "minutes_accurate",
            "parent_correction", "notes",
        ]
        labels = {
            "kind": "What kind of meeting",
            "children": "Which children it was about",
            "agencies": "Agencies present",
            "minutes_accurate": "Does the parent say the minutes are accurate?",
        }
        help_texts = {
            "others_present": "Anyone not in the lists above, for example “Grandmother” or “Advocate from the "
                              "charity”.",
            "parent_correction": "What the parent says the minutes got wrong or left out, as they put it.",
        }
        widgets = {
            "children": forms.CheckboxSelectMultiple,
            "agencies": forms.CheckboxSelectMultiple,
            "parent_correction": _rows(3),
            "notes": _rows(4),
        }
        field_classes = {"held_at": UKDateTimeField}

    def __init__(self, *args, family, **kwargs):
        super().__init__(*args, **kwargs)
        self.family = family
        editing = self.instance.pk is not None
        if not editing:
            del self.fields["version"]
        self.fields["children"].queryset = family.people.filter(kind=Person.Kind.CHILD)
        self.fields["referral"].queryset = selectors.referrals_for(family)
        agencies = selectors.agencies_for(family)
        professionals = selectors.professionals_for(family)
        if editing:
            # Those recorded before the family moved area stay choosable (and chosen).
            agencies = agencies | self.instance.agencies.all()
            professionals = professionals | self.instance.professionals.all()
        self.fields["agencies"].queryset = agencies.distinct()
        self.fields["professionals"].queryset = professionals.distinct().select_related("agency")
        if not self.is_bound and not editing and len(self.fields["children"].queryset) == 1:
            self.initial.setdefault("children", list(self.fields["children"].queryset))

    def clean_held_at(self):
        return not_in_future(self.cleaned_data["held_at"], "A meeting is recorded once it has been held.")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("minutes_accurate") == Meeting.MinutesAccurate.YES and cleaned.get("parent_correction"):
            self.add_error(
                "minutes_accurate",
                "The parent's correction is filled in: choose “Partly” or “No”, or clear the correction.",
            )
        return cleaned


class ActionForm(PlainTextMixin, forms.Form):
    """One line of the quick list of actions agreed: what, which agency, who, by when."""

    description = forms.CharField(
        label="What was agreed", max_length=MeetingAction._meta.get_field("description").max_length,
    )
    agency = forms.CharField(
        label="Agency", required=False, max_length=MeetingAction._meta.get_field("agency_name").max_length,
        help_text="Choose from the list, or type one that is not in it.",
    )
    owner_name = forms.CharField(
        label="Who", required=False, max_length=MeetingAction._meta.get_field("owner_name").max_length,
    )
    due_on = UKDateField(label="By when", required=False)

    def __init__(self, *args, family, meeting, **kwargs):
        super().__init__(*args, **kwargs)
        self.family = family
        self.meeting = meeting
        self.fields["description"].widget.attrs["aria-describedby"] = "add-action-hint"
        self.fields["agency"].widget.attrs["list"] = "agency-names"
        self.fields["agency"].widget.attrs["autocomplete"] = "off"

    def clean_agency(self):
        typed = " ".join(self.cleaned_data["agency"].split())
        self.chosen_agency = None
        if typed:
            self.chosen_agency = selectors.agencies_for(self.family).filter(name__iexact=typed).first()
        return typed

    def clean_due_on(self):
        due_on = self.cleaned_data["due_on"]
        if due_on and due_on < timezone.localtime(self.meeting.held_at).date():
            raise forms.ValidationError("An action cannot be due before the meeting that agreed it.")
        return due_on

    def action(self) -> MeetingAction:
        """The action as typed: an agency in the list is linked to it, and so is the person when the
        name is exactly one of that agency's people."""
        agency = getattr(self, "chosen_agency", None)
        owner = self.cleaned_data["owner_name"].strip()
        professional = None
        if agency and owner:
            matches = list(agency.professionals.filter(name_key=name_key(owner))[:2])
            professional = matches[0] if len(matches) == 1 else None
        return MeetingAction(
            description=self.cleaned_data["description"].strip(),
            agency=agency,
            agency_name="" if agency else self.cleaned_data["agency"],
            professional=professional,
            owner_name=owner,
            due_on=self.cleaned_data["due_on"],
        )


class ActionDoneForm(PlainTextMixin, forms.Form):
    done_on = UKDateField(label="Done on")
    evidence = forms.CharField(
        label="What shows it was done", required=False,
        max_length=MeetingAction._meta.get_field("evidence").max_length,
        help_text="For example “Letter from the school, 3 March”.",
    )
    version = VersionField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("done_on", timezone.localdate())


class ActionDropForm(PlainTextMixin, forms.Form):
    dropped_reason = forms.CharField(
        label="Why it was dropped", max_length=MeetingAction._meta.get_field("dropped_reason").max_length,
        widget=_rows(2), error_messages={"required": "Say why the action was dropped."},
    )
    version = VersionField()


class ActionChaseForm(PlainTextMixin, forms.Form):
    chased_on = UKDateField(label="Chased on")
    how = forms.CharField(
        label="How", required=False, max_length=300, help_text="For example “Rang the school office”.",
    )
    version = VersionField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("chased_on", timezone.localdate())
