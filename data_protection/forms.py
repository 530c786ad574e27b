import re
from datetime import timedelta

from django import forms
from django.utils import timezone

from core.forms import PlainTextMixin, UKDateField, VersionField
from data_protection.models import LegalHold, RetentionRule
from families.models import Family
from families.selectors import FAMILY_REFERENCE

# "F-000123", "f-123", "F123" or "000123": the reference as it is written or said.
_REFERENCE = re.compile(r"^f?\s*-?\s*(\d{1,9})$", re.IGNORECASE)
# A review further ahead than this is a hold nobody looks at again.
LONGEST_REVIEW = timedelta(days=2 * 366)


def _years(label="Years"):
    return forms.IntegerField(label=label, min_value=0, max_value=100, initial=0)


def _months(label="Months"):
    return forms.IntegerField(label=label, min_value=0, max_value=11, initial=0, help_text="From 0 to 11.")


class RetentionRuleForm(PlainTextMixin, forms.ModelForm):
    years = _years()
    months = _months()
    or_years = _years()
    or_months = _months()
    version = VersionField()

    class Meta:
        model = RetentionRule
        fields = ["years", "months", "starts_from", "or_years", "or_months", "or_starts_from", "reason"]
        labels = {"or_starts_from": "From", "reason": "Why records are kept this long"}
        help_texts = {
            "or_starts_from": "Leave as “No second period” when there is only the first.",
            "reason": "The law, guidance or advice this follows, for example the Limitation Act 1980 "
                      "or what the charity's insurer asks for.",
        }
        widgets = {"reason": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["or_starts_from"].choices = [("", "No second period"), *RetentionRule.StartsFrom.choices]

    def clean(self):
        cleaned = super().clean()
        if (cleaned.get("or_years") or cleaned.get("or_months")) and not cleaned.get("or_starts_from"):
            self.add_error("or_starts_from", "Choose where the second period starts from, or set its years and "
                                             "months to 0.")
        no_period = "years" in cleaned and "months" in cleaned and not (cleaned["years"] or cleaned["months"])
        if no_period and cleaned.get("starts_from") in (
            RetentionRule.StartsFrom.LAST_CONTACT, RetentionRule.StartsFrom.CLOSURE, RetentionRule.StartsFrom.OWN_DATE
        ):
            self.add_error("years", "Enter how many years (or months) records are kept from that date.")
        return cleaned


class LegalHoldForm(PlainTextMixin, forms.Form):
    family_reference = forms.CharField(
        label="Family reference", max_length=20, help_text="As on the family's page, for example F-000123."
    )
    reason = forms.ChoiceField(label="Why", choices=LegalHold.Reason.choices, widget=forms.RadioSelect)
    details = forms.CharField(
        label="Details", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Who asked for the hold, and their crime, case or claim reference. No names of children.",
    )
    review_on = UKDateField(label="Review date", help_text="When to check whether the hold is still needed.")

    def clean_family_reference(self):
        written = self.cleaned_data["family_reference"].strip()
        match = _REFERENCE.match(written)
        family = None
        if match:
            family = Family.objects.filter(reference=FAMILY_REFERENCE.format(int(match.group(1)))).first()
        if family is None:
            raise forms.ValidationError(
                f"There is no family with the reference {written}. Check it on the family's page, for example "
                "F-000123."
            )
        return family

    def clean_review_on(self):
        review_on = self.cleaned_data["review_on"]
        today = timezone.localdate()
        if review_on <= today:
            raise forms.ValidationError("The review date must be in the future.")
        if review_on > today + LONGEST_REVIEW:
            raise forms.ValidationError("The review date must be within two years: a hold is reviewed at least "
                                        "that often.")
        return review_on


class LiftHoldForm(PlainTextMixin, forms.Form):
    reason = forms.CharField(
        label="Why the hold can be lifted", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: the police closed the investigation on 3 March 2027 (their e-mail of that day).",
    )


class ApproveRunForm(PlainTextMixin, forms.Form):
    families = forms.IntegerField(
        label="Number of families to anonymise", min_value=0, max_value=10_000_000,
        help_text="Type the number of families that would be anonymised, as shown above, to confirm.",
    )
