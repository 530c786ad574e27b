from django import forms
from django.utils import timezone

from core.forms import PlainTextMixin, UKDateField, not_in_future
from safety_plans.comparison import TEXT_PARTS
from safety_plans.models import Commitment, PersonOfConcern, PlanStep, SafetyPlan, SafetyRating, Worry


class PlanVersionField(forms.IntegerField):
    """The plan version the person started from (see core.concurrency); 0 for a plan not yet
    started. Every form on the plan page sends it under the one name ``version``, so that a page
    can bring them all up to date at once after a save (see templates/safety_plans/_plan_version.html)."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(min_value=0, **kwargs)


class PlanVersionMixin:
    def add_prefix(self, field_name):
        return "version" if field_name == "version" else super().add_prefix(field_name)


def _rows(n):
    return forms.Textarea(attrs={"rows": n})


class SafetyPlanForm(PlanVersionMixin, PlainTextMixin, forms.ModelForm):
    """The plan's words: one form for every part that is not a list."""

    version = PlanVersionField()
    what_changed = forms.CharField(
        label="What changed", max_length=300, required=False,
        help_text="A short note for the plan's history, for example “Reviewed after the MACE meeting”. "
                  "Left empty, it lists the parts you changed.",
    )

    class Meta:
        model = SafetyPlan
        fields = TEXT_PARTS  # the one list of the plan's text parts, in the order the plan reads
        labels = {"protective_people_and_places": "Protective people and places"}
        help_texts = {
            "internal_notes": "Not in the family's copy.",
            "peer_groups": "Friendship groups and people the child spends time with.",
        }
        widgets = {
            "what_is_working_well": _rows(3),
            "protective_people_and_places": _rows(3),
            "peer_groups": _rows(2),
            "places_and_times": _rows(2),
            "online_platforms": _rows(2),
            "school": _rows(2),
            "warning_signs": _rows(3),
            "parent_words": _rows(3),
            "child_words": _rows(3),
            "emergency_contacts": _rows(2),
            "internal_notes": _rows(2),
        }
        field_classes = {"review_on": UKDateField, "agreed_on": UKDateField}

    def clean_agreed_on(self):
        agreed = self.cleaned_data["agreed_on"]
        return not_in_future(agreed, "The plan cannot be agreed in the future.") if agreed else agreed


class PlanRowForm(PlanVersionMixin, PlainTextMixin, forms.ModelForm):
    version = PlanVersionField()


class WorryForm(PlanRowForm):
    class Meta:
        model = Worry
        fields = ["who_is_worried", "worry", "what_could_happen", "safety_goal"]
        widgets = {"worry": _rows(2), "what_could_happen": _rows(2), "safety_goal": _rows(2)}


class PersonOfConcernForm(PlanRowForm):
    class Meta:
        model = PersonOfConcern
        fields = ["name_or_description", "vehicles", "phone_numbers", "online_handles", "notes"]
        widgets = {"notes": _rows(2)}


class PlanStepForm(PlanRowForm):
    class Meta:
        model = PlanStep
        fields = ["if_this_happens", "then_we_do", "when_missing"]
        widgets = {"then_we_do": _rows(2)}


class CommitmentForm(PlanRowForm):
    class Meta:
        model = Commitment
        fields = ["who", "commitment", "owner", "due_on", "status"]
        widgets = {"commitment": _rows(2)}
        field_classes = {"due_on": UKDateField}


ROW_FORMS = {Worry: WorryForm, PersonOfConcern: PersonOfConcernForm, PlanStep: PlanStepForm,
             Commitment: CommitmentForm}


class SafetyRatingForm(PlainTextMixin, forms.ModelForm):
    class Meta:
        model = SafetyRating
        fields = ["rated_by", "score", "rated_on", "note"]
        labels = {"score": "Rating (0 to 10)"}
        help_texts = {"score": "0 means not safe at all; 10 means as safe as can be."}
        widgets = {"score": forms.NumberInput(attrs={"min": 0, "max": 10})}
        field_classes = {"rated_on": UKDateField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("rated_on", timezone.localdate())

    def clean_rated_on(self):
        return not_in_future(self.cleaned_data["rated_on"], "A rating cannot be dated in the future.")
