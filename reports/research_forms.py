"""The research export's form: which families, which fields, and k (reports.research)."""

from datetime import date

from django import forms
from django.conf import settings
from django.utils import dateformat, timezone

from core.forms import PlainTextMixin
from families.models import Family, LocalAuthority, Team
from reports.research import FIELDS, MAX_K, Criteria

EARLIEST_YEAR = 2000
MONTHS = [(str(month), dateformat.format(date(2000, month, 1), "F")) for month in range(1, 13)]
STATUSES = [("", "Open or closed"), (Family.Status.OPEN, "Open"), (Family.Status.CLOSED, "Closed")]


def _field_label(field) -> str:
    if field.is_quasi_identifier:
        return f"{field.label} (describes a family: counted in the groups of at least k)"
    return field.label


class ResearchExportForm(PlainTextMixin, forms.Form):
    teams = forms.ModelMultipleChoiceField(
        queryset=Team.objects.all(), required=False, widget=forms.CheckboxSelectMultiple,
        label="Teams", help_text="None ticked: every team.",
    )
    local_authorities = forms.ModelMultipleChoiceField(
        queryset=LocalAuthority.objects.none(), required=False, widget=forms.SelectMultiple(attrs={"size": 8}),
        label="Local authorities the families live in",
        help_text="None chosen: every local authority. Hold Ctrl (or ⌘) to choose several.",
    )
    status = forms.ChoiceField(choices=STATUSES, required=False, widget=forms.RadioSelect, label="Status",
                               initial="")
    from_month = forms.ChoiceField(choices=MONTHS, label="Month")
    from_year = forms.IntegerField(label="Year", widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 4}))
    to_month = forms.ChoiceField(choices=MONTHS, label="Month")
    to_year = forms.IntegerField(label="Year", widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 4}))
    fields = forms.MultipleChoiceField(
        choices=[(f.key, _field_label(f)) for f in FIELDS], widget=forms.CheckboxSelectMultiple,
        label="Fields to export",
        error_messages={"required": "Choose at least one field to export."},
    )
    k = forms.IntegerField(label="k: the fewest families any combination of the describing fields may show")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the authorities some family lives in: the full list is every authority in the country.
        self.fields["local_authorities"].queryset = LocalAuthority.objects.filter(
            pk__in=Family.objects.filter(local_authority__isnull=False).values("local_authority_id")
        )
        today = timezone.localdate()
        # Bounds known only now (this year, the setting), so checked by validators of their own.
        for name in ("from_year", "to_year"):
            self.fields[name].validators.append(_year_between(today.year))
        smallest = settings.RESEARCH_EXPORT_K
        self.fields["k"].validators.append(_k_between(smallest))
        self.fields["k"].help_text = (f"At least {smallest} (the service's setting). A larger k shows fewer "
                                      "details or leaves more families out.")
        if not self.is_bound:
            self.initial.update({
                "k": smallest, "status": "", "from_month": "1", "from_year": today.year - 1,
                "to_month": str(today.month), "to_year": today.year,
            })

    def clean(self):
        cleaned = super().clean()
        first, last = self._month("from"), self._month("to")
        if first and last and last < first:
            self.add_error("to_year", "The last month cannot be before the first.")
        return cleaned

    def _month(self, prefix) -> date | None:
        month, year = self.cleaned_data.get(f"{prefix}_month"), self.cleaned_data.get(f"{prefix}_year")
        if month is None or year is None:
            return None
        return date(year, int(month), 1)

    def criteria(self) -> Criteria:
        data = self.cleaned_data
        chosen = set(data["fields"])
        return Criteria(
            first_month=self._month("from"), last_month=self._month("to"),
            fields=tuple(f.key for f in FIELDS if f.key in chosen), k=data["k"],
            team_ids=tuple(team.pk for team in data["teams"]) or None,
            local_authority_ids=tuple(authority.pk for authority in data["local_authorities"]) or None,
            status=data["status"],
        )


def _year_between(latest: int):
    def check(value):
        if value is not None and not EARLIEST_YEAR <= value <= latest:
            raise forms.ValidationError(f"Enter a year from {EARLIEST_YEAR} to {latest}.", code="year")

    return check


def _k_between(smallest: int):
    def check(value):
        if value is not None and not smallest <= value <= MAX_K:
            raise forms.ValidationError(f"k must be from {smallest} (the service's setting) to {MAX_K}.", code="k")

    return check
