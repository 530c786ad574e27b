"""The ratings, asked word for word: in the call form's "Ratings" part, and on a page of their own."""

from datetime import timedelta

from django import forms
from django.utils import timezone

from core.forms import PlainTextMixin, UKDateField, VersionField, not_in_future
from families.models import Person
from outcomes.measures import MEASURES, SCALE
from outcomes.models import CheckIn

# The empty answer, first in each group and chosen until another is: a question the worker did not
# ask, or one the parent preferred not to answer, is recorded as no answer, never as a score.
NOT_ANSWERED = "Not asked, or did not want to answer"
OFF_THE_SCALE = "Choose one of the answers shown, from 1 to 5, or “Not asked”."


def _score_field(measure):
    return forms.TypedChoiceField(
        label=measure.question,
        choices=[("", NOT_ANSWERED), *((str(n), f"{n} – {measure.points[n - 1]}") for n in SCALE)],
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": OFF_THE_SCALE},
    )


def due_day(deadline):
    """The London day a deadline is due by (its due moment is the first instant of the next day)."""
    return timezone.localdate(deadline.due_at - timedelta(seconds=1))


class RatingsMixin:
    """The questions, each a group of radio buttons (arrow keys move within a group), "Not asked"
    chosen until another answer is."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for measure in MEASURES:
            self.fields[measure.field] = _score_field(measure)
            if measure.optional:
                self.fields[measure.field].help_text = "Only where children's social care is involved."
            if self.initial.get(measure.field) is None:
                self.initial[measure.field] = ""

    def rating_fields(self):
        return [self[measure.field] for measure in MEASURES]

    def has_answers(self) -> bool:
        """Whether any question was answered (or something that is not an answer was sent)."""
        return any(self.data.get(self.add_prefix(m.field)) not in (None, "") for m in MEASURES)


class CallRatingsForm(RatingsMixin, forms.Form):
    """The call form's "Ratings" part: the answers of the parent spoken with. Left as "Not asked",
    nothing is recorded."""

    def __init__(self, *args, due=None, **kwargs):
        super().__init__(*args, **kwargs)
        # The parents' next ratings (open clocks), what and by when, for the hint above the questions.
        self.due = [(deadline.label, due_day(deadline)) for deadline in (due or {}).values()]

    def check_with_call(self, contact) -> None:
        """Ratings are a parent's: refuse them (next to the first question) when the call was not
        with one of the family's parents or carers."""
        if not self.is_valid() or not self.has_answers():
            return
        spoke_with = contact.spoke_with
        if spoke_with is None or spoke_with.kind != Person.Kind.CARER:
            self.add_error(
                MEASURES[0].field,
                "Ratings are a parent's own: choose the parent or carer you spoke with in “Who we spoke with”, "
                "or set the answers back to “Not asked”.",
            )


class CheckInForm(PlainTextMixin, RatingsMixin, forms.ModelForm):
    """Ratings recorded on their own, and put right (then with the version they were opened at)."""

    parent = forms.ModelChoiceField(queryset=Person.objects.none(), label="Whose ratings", empty_label=None,
                                    widget=forms.RadioSelect)
    asked_on = UKDateField(label="Date asked")
    occasion = forms.ChoiceField(
        label="When they were asked",
        choices=[(CheckIn.Occasion.REVIEW, CheckIn.Occasion.REVIEW.label),
                 (CheckIn.Occasion.CLOSURE, CheckIn.Occasion.CLOSURE.label)],
        widget=forms.RadioSelect,
        required=False,
        help_text="A parent's first ratings are always recorded as at first contact.",
    )
    version = VersionField()

    class Meta:
        model = CheckIn
        fields = ["parent", "asked_on", "occasion"]

    def __init__(self, *args, family, **kwargs):
        instance = kwargs.get("instance")
        if instance is not None and instance.pk is not None:
            kwargs["initial"] = {**instance.scores(), **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        self.family = family
        editing = self.instance.pk is not None
        if editing:
            del self.fields["parent"]
            if self.instance.occasion == CheckIn.Occasion.FIRST:
                del self.fields["occasion"]
        else:
            del self.fields["version"]
            self.fields["parent"].queryset = family.people.filter(kind=Person.Kind.CARER).order_by("pk")
            self.fields["parent"].label_from_instance = lambda person: person.full_name
            self.fields["parent"].error_messages["invalid_choice"] = "Choose one of this family's parents or carers."
            self.fields["parent"].error_messages["required"] = "Choose whose ratings these are."
            closed = not family.is_open
            self.initial.setdefault("occasion", CheckIn.Occasion.CLOSURE if closed else CheckIn.Occasion.REVIEW)
        if "occasion" in self.fields:
            self.fields["occasion"].error_messages["invalid_choice"] = "Choose when they were asked."

    def clean_asked_on(self):
        return not_in_future(self.cleaned_data["asked_on"], "The date asked cannot be in the future.")

    def clean(self):
        cleaned = super().clean()
        for measure in MEASURES:
            setattr(self.instance, measure.field, cleaned.get(measure.field))
        return cleaned
