"""Forms for a parent's challenge to an entry in the record: what they say is wrong, then what was
decided (families.rectification)."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.forms import PlainTextMixin, UKDateField, VersionField, date_in_words, not_in_future
from families import rectification
from families.models import Challenge, Person


class ChallengeForm(PlainTextMixin, forms.ModelForm):
    """Who says the entry is wrong, when they told us, and what they say, in their words."""

    class Meta:
        model = Challenge
        fields = ["raised_by", "received_on", "what_is_wrong", "what_it_should_say"]
        field_classes = {"received_on": UKDateField}
        labels = {
            "raised_by": "Who says it is wrong",
            "received_on": "When they told us",
            "what_is_wrong": "What the parent says is wrong",
            "what_it_should_say": "What they say it should say (optional)",
        }
        help_texts = {
            "what_is_wrong": "In their words where you can, for example: “I did not say he was out all night.”",
            "what_it_should_say": "Leave it blank if they say it should not be in the record at all.",
        }
        widgets = {
            "what_is_wrong": forms.Textarea(attrs={"rows": 4, "autofocus": True}),
            "what_it_should_say": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, family, entry, **kwargs):
        super().__init__(*args, **kwargs)
        self.entry = entry
        self.fields["raised_by"].queryset = family.people.order_by("kind", "first_name", "pk")
        self.fields["raised_by"].error_messages["required"] = "Choose who says the record is wrong."
        self.fields["received_on"].error_messages["required"] = "Enter the date they told us."
        self.fields["what_is_wrong"].error_messages["required"] = "Say what the parent says is wrong."
        if not self.is_bound:
            self.initial.setdefault("received_on", timezone.localdate())
            spoke_with = getattr(entry, "spoke_with", None)
            if spoke_with is not None and spoke_with.kind == Person.Kind.CARER:
                self.initial.setdefault("raised_by", spoke_with.pk)

    def clean_received_on(self):
        received = not_in_future(self.cleaned_data["received_on"], "The date they told us cannot be in the future.")
        happened = timezone.localdate(self.entry.occurred_at)
        if received < happened:
            raise ValidationError(
                f"The call was on {date_in_words(happened)}: they cannot have told us about it before then."
            )
        return received


class AmendmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        local = timezone.localtime(obj.changed_at)
        return f"Amended by {obj.changed_by} on {date_in_words(local.date())} at {local:%H:%M}"


class ChallengeOutcomeForm(PlainTextMixin, forms.Form):
    outcome = forms.ChoiceField(
        label="What was decided",
        choices=[(outcome.value, outcome.label) for outcome in Challenge.Outcome if outcome != Challenge.Outcome.OPEN],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label="Why",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Needed when the record is not changed or only partly corrected. The parent may ask to see it.",
    )
    decided_on = UKDateField(label="Date it was decided")
    amendment = AmendmentChoiceField(
        label="The amendment that corrected it (optional)",
        queryset=None,
        required=False,
        help_text="Amend the call first: its earlier version is kept in its history.",
    )
    version = VersionField()

    def __init__(self, *args, challenge, **kwargs):
        super().__init__(*args, **kwargs)
        self.challenge = challenge
        self.fields["outcome"].error_messages["required"] = "Choose what was decided."
        self.fields["decided_on"].error_messages["required"] = "Enter the date it was decided."
        self.fields["amendment"].queryset = rectification.amendments_of(challenge)
        if not self.is_bound:
            self.initial.setdefault("decided_on", challenge.decided_on or timezone.localdate())
            if not challenge.is_open:
                self.initial.setdefault("outcome", challenge.outcome)
                self.initial.setdefault("reason", challenge.reason)
                self.initial.setdefault("amendment", challenge.amendment_id)

    def clean_decided_on(self):
        decided = not_in_future(self.cleaned_data["decided_on"], "The date it was decided cannot be in the future.")
        if decided < self.challenge.received_on:
            raise ValidationError(
                f"We were told on {date_in_words(self.challenge.received_on)}: the decision cannot be before then."
            )
        return decided

    def clean(self):
        cleaned = super().clean()
        outcome = cleaned.get("outcome")
        if outcome in rectification.NEEDS_REASON and not (cleaned.get("reason") or "").strip() \
                and "reason" not in self.errors:
            self.add_error("reason", rectification.REASON_MESSAGES[outcome])
        if cleaned.get("amendment") and outcome == Challenge.Outcome.NOT_CHANGED:
            self.add_error("amendment", "Choose an amendment only when the call was corrected.")
        return cleaned
