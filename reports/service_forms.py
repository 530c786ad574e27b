"""Choosing a service report: the area (one or several local authorities) and the period."""

from itertools import groupby

from django import forms

from core.forms import PeriodForm
from families.models import Family, LocalAuthority, Nation


def authority_choices(team_ids: list[int]) -> list[tuple[str, list[tuple[int, str]]]]:
    """The local authorities where families of ``team_ids`` live, grouped by nation (in the order
    of Nation), by name within it. One query."""
    lived_in = Family.objects.filter(team_id__in=team_ids, local_authority__isnull=False).values("local_authority_id")
    rows = LocalAuthority.objects.filter(pk__in=lived_in).values_list("pk", "name", "nation")
    order = {nation: position for position, nation in enumerate(Nation.values)}
    rows = sorted(rows, key=lambda row: (order.get(row[2], len(order)), row[1], row[0]))
    labels = dict(Nation.choices)
    return [
        (labels.get(nation, nation), [(pk, name) for pk, name, _ in authorities])
        for nation, authorities in groupby(rows, key=lambda row: row[2])
    ]


class ServiceReportForm(PeriodForm):
    """The period (the last twelve months unless chosen; five years at most) and the areas."""

    local_authorities = forms.TypedMultipleChoiceField(
        coerce=int, widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}), label="Local authorities",
        help_text="Each one chosen has its own page of figures; with more than one, a page for them all "
                  "together follows.",
        error_messages={"required": "Choose at least one local authority.",
                        "invalid_choice": "Choose the local authorities from the list."},
    )

    field_order = ["local_authorities", "start", "end"]

    def __init__(self, *args, team_ids: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["local_authorities"].choices = authority_choices(team_ids)

    def authority_groups(self) -> list[tuple[str, list]]:
        """The tick boxes, nation by nation, for a fieldset each."""
        boxes = list(self["local_authorities"])
        groups, taken = [], 0
        for nation, authorities in self.fields["local_authorities"].choices:
            groups.append((nation, boxes[taken:taken + len(authorities)]))
            taken += len(authorities)
        return groups

    @property
    def has_authorities(self) -> bool:
        return bool(self.fields["local_authorities"].choices)

    def report_arguments(self) -> dict:
        """What service_report needs, once the form is valid."""
        return {"local_authority_ids": self.cleaned_data["local_authorities"],
                "start": self.cleaned_data["start"], "end": self.cleaned_data["end"]}

    @property
    def query(self) -> str:
        """The choice as a query string, for the links to the CSV and the printable layout."""
        data = self.cleaned_data
        authorities = "".join(f"&local_authorities={pk}" for pk in data["local_authorities"])
        return f"start={data['start']:%Y-%m-%d}&end={data['end']:%Y-%m-%d}{authorities}"
