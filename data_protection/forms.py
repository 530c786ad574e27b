import re
from datetime import timedelta

from django import forms
from django.utils import timezone

from core.forms import PlainTextMixin, UKDateField, VersionField
from data_protection.models import LegalHold, RetentionRule, SubjectAccessRequest, SubjectAccessWithholding
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


def family_by_reference(written: str) -> Family:
    """The family whose reference is ``written`` (as it is written or said), else a message."""
    written = written.strip()
    match = _REFERENCE.match(written)
    family = None
    if match:
        family = Family.objects.filter(reference=FAMILY_REFERENCE.format(int(match.group(1)))).first()
    if family is None:
        raise forms.ValidationError(
            f"There is no family with the reference {written}. Check it on the family's page, for example F-000123."
        )
    return family


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
        if self.instance.kind == RetentionRule.Kind.AUDIT_ENTRIES:
            own_date = RetentionRule.StartsFrom.OWN_DATE
            for name in ("starts_from", "or_starts_from"):
                if cleaned.get(name) not in (None, "", own_date):
                    self.add_error(name, "Audit entries belong to no family or child: count them from the entry's "
                                         "own date.")
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
        return family_by_reference(self.cleaned_data["family_reference"])

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


class SubjectAccessFamilyForm(PlainTextMixin, forms.Form):
    family_reference = forms.CharField(
        label="Family reference", max_length=20, help_text="As on the family's page, for example F-000123."
    )

    def clean_family_reference(self):
        return family_by_reference(self.cleaned_data["family_reference"])


class SubjectAccessRequestForm(PlainTextMixin, forms.Form):
    person = forms.ModelChoiceField(
        label="Who the request is about", queryset=None, widget=forms.RadioSelect, empty_label=None,
    )
    asked_by = forms.ChoiceField(label="Who asked", choices=SubjectAccessRequest.AskedBy.choices,
                                 widget=forms.RadioSelect)
    asked_by_name = forms.CharField(
        label="Their name", max_length=200, required=False,
        help_text="When someone asked on the person's behalf: the parent's or solicitor's name, and their firm.",
    )
    identity_check = forms.ChoiceField(label="How their identity was checked",
                                       choices=SubjectAccessRequest.IdentityCheck.choices, widget=forms.RadioSelect)
    identity_details = forms.CharField(
        label="Details of the check", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What was seen or asked, and by whom. For someone acting for the person, what shows they may.",
    )
    received_on = UKDateField(label="Date received", help_text="The day the request reached us, by any route.")

    def __init__(self, *args, family, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = family.people.order_by("kind", "first_name", "pk")
        self.fields["person"].label_from_instance = lambda person: f"{person} ({person.get_kind_display().lower()})"

    def clean_received_on(self):
        received_on = self.cleaned_data["received_on"]
        if received_on > timezone.localdate():
            raise forms.ValidationError("The date received cannot be in the future.")
        return received_on

    def clean(self):
        cleaned = super().clean()
        asked_by = cleaned.get("asked_by")
        if asked_by and asked_by != SubjectAccessRequest.AskedBy.THEMSELF and not cleaned.get("asked_by_name"):
            self.add_error("asked_by_name", "Enter the name of the person who asked on their behalf.")
        return cleaned


class SubjectAccessExtendForm(PlainTextMixin, forms.Form):
    reason = forms.CharField(
        label="Why more time is needed", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: ten years of records to review, or several requests from the same family. The "
                  "person must be told of the extension and why within the first month.",
    )
    version = VersionField()


class SubjectAccessCompleteForm(PlainTextMixin, forms.Form):
    completed_on = UKDateField(label="Date the reply was sent")
    version = VersionField()


WITHHOLD_CHOICES = [("", "Include it"), *SubjectAccessWithholding.Reason.choices]


class SubjectAccessReviewForm(PlainTextMixin, forms.Form):
    """One "withhold" choice and its details for each gathered item (selectors.SubjectAccessItem),
    named by the item's key. ``decisions`` is what services.subject_access_withholdings_save takes."""

    version = VersionField()

    def __init__(self, *args, items, **kwargs):
        self.items = items
        item_fields = {}
        for item in items:
            item_fields[f"reason_{item.key}"] = forms.ChoiceField(
                label=f"Withhold: {item.kind}, {item.date.day} {item.date:%B %Y}", choices=WITHHOLD_CHOICES,
                required=False, initial=item.withholding.reason if item.withholding else "",
            )
            item_fields[f"details_{item.key}"] = forms.CharField(
                label="Why it is withheld", max_length=2000, required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                initial=item.withholding.details if item.withholding else "",
            )
        # Before the form is built, so PlainTextMixin guards these fields like any other.
        self.base_fields = {**self.base_fields, **item_fields}
        super().__init__(*args, **kwargs)

    def rows(self):
        """Each item with its two bound fields, for the template."""
        return [(item, self[f"reason_{item.key}"], self[f"details_{item.key}"]) for item in self.items]

    def clean(self):
        cleaned = super().clean()
        for item in self.items:
            if cleaned.get(f"reason_{item.key}") and not cleaned.get(f"details_{item.key}", "").strip():
                self.add_error(f"details_{item.key}", "Say why this item is withheld.")
        return cleaned

    @property
    def decisions(self) -> dict:
        return {
            item.key: (self.cleaned_data[f"reason_{item.key}"], self.cleaned_data[f"details_{item.key}"])
            if self.cleaned_data[f"reason_{item.key}"] else None
            for item in self.items
        }
