"""Forms for the breach log: moments typed UK style in day, month, year and time boxes (London
time), messages next to the field, and what was typed kept when something is refused."""

from django import forms

from core.forms import PlainTextMixin, UKDateTimeField, VersionField, not_in_future
from data_protection.breaches import DESCRIPTION_FIELDS
from data_protection.models import Breach, BreachAction


def _rows(count):
    return forms.Textarea(attrs={"rows": count})


class BreachForm(PlainTextMixin, forms.ModelForm):
    """Recording a breach, or correcting its description (with ``version``)."""

    discovered_at = UKDateTimeField(
        label="When it was discovered",
        help_text="The moment someone here became aware of it: the 72 hours count from then. UK time.",
    )
    happened_at = UKDateTimeField(label="When it happened (optional)", required=False,
                                  help_text="If known. UK time.")
    people_affected = forms.IntegerField(label="How many people are affected", min_value=0, max_value=10_000_000)
    version = VersionField()

    class Meta:
        model = Breach
        fields = list(DESCRIPTION_FIELDS)
        labels = {
            "what_happened": "What happened",
            "how_discovered": "How it was found",
            "data_involved": "What data was involved",
            "sensitive_data": "Does it include special-category data or children's data?",
            "people_affected_estimated": "The number is an estimate",
            "risk": "Risk to the people affected",
            "who_was_told": "Who has been told (optional)",
        }
        help_texts = {
            "what_happened": "For example: an e-mail with a family's safety plan was sent to the wrong agency.",
            "data_involved": "The kinds of record and details, for example names, addresses, case notes. Name "
                             "no one here: give the family reference if it helps.",
            "sensitive_data": "Health, ethnicity, sex life, criminal offences, or anything about a child.",
            "risk": "As the ICO asks: report it unless a risk to people is unlikely; tell the people affected too "
                    "when the risk is high.",
            "who_was_told": "The people affected, funders, the police, insurers: who, when and how.",
        }
        widgets = {
            "what_happened": _rows(4), "how_discovered": _rows(2), "data_involved": _rows(3),
            "sensitive_data": forms.RadioSelect, "risk": forms.RadioSelect, "who_was_told": _rows(3),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            del self.fields["version"]
        # Radio buttons, so no "---------" choice.
        self.fields["sensitive_data"].choices = Breach.SensitiveData.choices

    def clean_discovered_at(self):
        return not_in_future(self.cleaned_data["discovered_at"], "The moment it was discovered cannot be in the "
                                                                  "future.")

    def clean_happened_at(self):
        happened_at = self.cleaned_data["happened_at"]
        if happened_at is None:
            return None
        return not_in_future(happened_at, "The moment it happened cannot be in the future.")


DECISIONS = [(Breach.Decision.REPORT.value, "Report it to the ICO"),
             (Breach.Decision.NOT_REPORTABLE.value, "Not reportable: a risk to people is unlikely")]


class BreachDecisionForm(PlainTextMixin, forms.Form):
    decision = forms.ChoiceField(label="Is it reported to the ICO?", choices=DECISIONS, widget=forms.RadioSelect)
    reason = forms.CharField(
        label="Why", max_length=2000, widget=_rows(4),
        help_text="Either way, say why: what data, whose, how likely and how serious the harm to them could be.",
    )
    version = VersionField()


class BreachReportForm(PlainTextMixin, forms.Form):
    reported_at = UKDateTimeField(label="When it was reported to the ICO", help_text="UK time.")
    ico_reference = forms.CharField(label="ICO reference (optional)", max_length=50, required=False,
                                    help_text="The case reference the ICO gave, if it has.")
    version = VersionField()

    def clean_reported_at(self):
        return not_in_future(self.cleaned_data["reported_at"], "The moment it was reported cannot be in the "
                                                                "future.")


class BreachActionForm(PlainTextMixin, forms.ModelForm):
    done_at = UKDateTimeField(label="When it was done", help_text="UK time.")

    class Meta:
        model = BreachAction
        fields = ["what", "done_at", "done_by"]
        labels = {"what": "What was done", "done_by": "Who did it (optional)"}
        widgets = {"what": _rows(3)}

    def clean_done_at(self):
        return not_in_future(self.cleaned_data["done_at"], "The moment it was done cannot be in the future.")


class BreachCloseForm(forms.Form):
    version = VersionField()
