from django import forms
from django.utils import timezone

from agencies.forms import SamePersonMixin
from core.forms import PlainTextMixin, UKDateField, UKDateTimeField, VersionField, not_in_future
from families.forms import sharing_reason_field
from families.models import AgencyKind, LocalAuthority, Person
from families.timeline_forms import TimelineFilterForm
from referrals.models import (
    Escalation,
    Milestone,
    ParentUpdate,
    Referral,
    SocialWorkerAllocation,
    ThresholdRule,
)


class ReferralForm(PlainTextMixin, forms.ModelForm):
    concern_raised_at = UKDateTimeField(
        label="When the concern was first raised", required=False,
        help_text="Leave empty if it is the same as the referral.",
    )
    referral_made_at = UKDateTimeField(label="When the referral was made")

    class Meta:
        model = Referral
        fields = [
            "children",
            "local_authority",
            "referred_by",
            "referral_made_at",
            "concern_raised_at",
            "csc_reference",
            "summary",
            "previous_referral",
            "nrm_status",
            "channel_status",
        ]
        widgets = {"children": forms.CheckboxSelectMultiple, "summary": forms.Textarea(attrs={"rows": 3})}
        labels = {"children": "Which children the referral is about"}

    def __init__(self, *args, family, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["children"].queryset = family.people.filter(kind=Person.Kind.CHILD)
        self.fields["local_authority"].queryset = LocalAuthority.objects.filter(is_current=True)
        self.fields["previous_referral"].queryset = family.referrals.all()
        self.fields["previous_referral"].label = "Earlier referral (for a re-referral)"
        if not self.is_bound:
            self.initial.setdefault("local_authority", family.local_authority_id)
            children = list(self.fields["children"].queryset)
            if len(children) == 1:
                self.initial.setdefault("children", children)

    def clean_referral_made_at(self):
        return not_in_future(self.cleaned_data["referral_made_at"], "The referral cannot be in the future.")

    def clean_concern_raised_at(self):
        value = self.cleaned_data["concern_raised_at"]
        return not_in_future(value, "This cannot be in the future.") if value else value


class ReferralDetailsForm(PlainTextMixin, forms.ModelForm):
    version = VersionField()

    class Meta:
        model = Referral
        fields = ["csc_reference", "summary", "nrm_status", "channel_status"]
        widgets = {"summary": forms.Textarea(attrs={"rows": 3})}


class MilestoneForm(PlainTextMixin, forms.Form):
    milestone = forms.ChoiceField(label="What happened")
    occurred_at = UKDateTimeField(label="When")
    decision = forms.ChoiceField(
        choices=[("", "---------"), *Referral.Decision.choices], required=False,
        help_text="Needed when recording the decision.",
    )
    note = forms.CharField(max_length=500, required=False)

    def __init__(self, *args, referral, **kwargs):
        super().__init__(*args, **kwargs)
        recorded = set(referral.milestones.values_list("milestone", flat=True))
        self.fields["milestone"].choices = [
            (value, label)
            for value, label in Milestone.choices
            if value not in (Milestone.CONCERN_RAISED, Milestone.REFERRAL_MADE)
            and (value not in recorded or value == Milestone.REVIEW_CONFERENCE)
        ]
        if not self.is_bound:
            self.initial.setdefault("occurred_at", timezone.localtime().replace(second=0, microsecond=0))
            if referral.next_milestone:
                self.initial.setdefault("milestone", referral.next_milestone)

    def clean_occurred_at(self):
        return not_in_future(self.cleaned_data["occurred_at"])

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("milestone") == Milestone.DECISION and not cleaned.get("decision"):
            self.add_error("decision", "Choose what children's social care decided.")
        return cleaned


class SocialWorkerForm(SamePersonMixin, PlainTextMixin, forms.ModelForm):
    """Suggests the social worker already in the directory under a close spelling: linking keeps the
    name as typed and records the allocation against them (allocation.professional)."""

    person_name_field = "name"
    same_person_yes = "Yes, it is {person}: link to them"
    same_person_no = "No, this is someone else"

    class Meta:
        model = SocialWorkerAllocation
        fields = ["name", "team", "allocated_on"]
        field_classes = {"allocated_on": UKDateField}
        labels = {"name": "Social worker's name", "team": "Their team", "allocated_on": "Allocated on"}

    def clean_allocated_on(self):
        return not_in_future(self.cleaned_data["allocated_on"])

    def clean(self):
        cleaned = super().clean()
        self.instance.professional = self.same_person
        return cleaned


class ParentUpdateForm(PlainTextMixin, forms.ModelForm):
    class Meta:
        model = ParentUpdate
        fields = ["received_on", "channel", "summary"]
        field_classes = {"received_on": UKDateField}
        labels = {"received_on": "When the family heard", "channel": "How", "summary": "What they were told"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("received_on", timezone.localdate())

    def clean_received_on(self):
        return not_in_future(self.cleaned_data["received_on"])


class EscalationForm(PlainTextMixin, forms.ModelForm):
    class Meta:
        model = Escalation
        fields = ["kind", "to_whom", "sent_at", "note"]
        field_classes = {"sent_at": UKDateTimeField}
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}
        labels = {"kind": "What was sent", "to_whom": "Sent to", "sent_at": "When it was sent"}
        help_texts = {"to_whom": "A role or a team, for example “Team manager, assessment team”."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("sent_at", timezone.localtime().replace(second=0, microsecond=0))

    def clean_sent_at(self):
        return not_in_future(self.cleaned_data["sent_at"], "The date it was sent cannot be in the future.")


class EscalationResponseForm(PlainTextMixin, forms.Form):
    response_received_at = UKDateTimeField(label="When the response came")
    version = VersionField()

    def clean_response_received_at(self):
        return not_in_future(self.cleaned_data["response_received_at"])


class ThresholdRuleForm(PlainTextMixin, forms.ModelForm):
    version = VersionField(required=False)

    class Meta:
        model = ThresholdRule
        fields = ["local_authority", "from_milestone", "to_milestone", "amount", "unit", "applies_when", "source"]
        labels = {"from_milestone": "From", "to_milestone": "To", "source": "Agreed where (source)"}

    def __init__(self, *args, authorities, **kwargs):
        """``authorities``: the local authorities this user may set thresholds for."""
        super().__init__(*args, **kwargs)
        self.fields["local_authority"].queryset = authorities.filter(is_current=True).order_by("name")
        self.fields["local_authority"].required = True
        self.fields["local_authority"].help_text = "The authorities your teams work in."
        if self.instance.pk and not self.is_bound:
            self.initial["version"] = self.instance.version

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("from_milestone") and cleaned.get("from_milestone") == cleaned.get("to_milestone") and (
            cleaned["from_milestone"] != Milestone.REVIEW_CONFERENCE
        ):
            self.add_error("to_milestone", "Choose a later milestone than the one the clock starts from.")
        return cleaned


class PackFilterForm(PlainTextMixin, TimelineFilterForm):
    """The timeline's filter, and who the pack is for: sharing it with an agency the parent withdrew
    consent to share with asks for a reason first."""

    who_for = forms.ChoiceField(
        label="Who it is for", required=False, choices=[("", "Not said"), *AgencyKind.choices],
        help_text="If it is for an agency, choose which kind: the pack checks the family's consent to share.",
    )


class SharingReasonForm(PlainTextMixin, forms.Form):
    reason = sharing_reason_field()
