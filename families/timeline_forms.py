"""The timeline's filter: which kinds of entry, and from and to which day (GET parameters)."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils.formats import date_format

from core.forms import UKDateField
from families import timeline


@dataclass(frozen=True)
class TimelineQuery:
    kinds: list[str] | None  # None: every kind
    since: datetime | None
    before: timeline.Cursor | None
    from_date: date | None = None
    to_date: date | None = None

    def with_page(self, cursor: timeline.Cursor | None) -> "TimelineQuery":
        """The query moved to an older page: the earlier of the period's end and ``cursor``."""
        if cursor is None or (self.before is not None and (self.before.when, self.before.key)
                              <= (cursor.when, cursor.key)):
            return self
        return TimelineQuery(self.kinds, self.since, cursor, self.from_date, self.to_date)

    @property
    def period_text(self) -> str:
        if self.from_date and self.to_date:
            return f"{_day(self.from_date)} to {_day(self.to_date)}"
        if self.from_date:
            return f"From {_day(self.from_date)}"
        if self.to_date:
            return f"Up to {_day(self.to_date)}"
        return "Everything recorded"

    @property
    def kinds_text(self) -> str:
        labels = {source.kind: source.label for source in timeline.sources()}
        if not self.kinds:
            return "Every kind of entry"
        return ", ".join(labels[kind] for kind in self.kinds if kind in labels)


def _day(day: date) -> str:
    return date_format(day, "j F Y")


class TimelineFilterForm(forms.Form):
    kinds = forms.MultipleChoiceField(label="Show", required=False, widget=forms.CheckboxSelectMultiple)
    from_date = UKDateField(label="From", required=False)
    to_date = UKDateField(label="To", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kinds"].choices = [(source.kind, source.label) for source in timeline.sources()]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("from_date"), cleaned.get("to_date")
        if start and end and start > end:
            raise ValidationError("The “from” day must be on or before the “to” day.")
        return cleaned

    def query(self) -> TimelineQuery:
        """What the form asks for; everything when it is unbound or does not validate."""
        if not self.is_bound or not self.is_valid():
            return TimelineQuery(kinds=None, since=None, before=None)
        start, end = self.cleaned_data["from_date"], self.cleaned_data["to_date"]
        return TimelineQuery(
            kinds=self.cleaned_data["kinds"] or None,
            since=timeline.start_of_day(start) if start else None,
            # The whole of the last day: everything before the next day begins.
            before=timeline.Cursor(timeline.start_of_day(end + timedelta(days=1))) if end else None,
            from_date=start,
            to_date=end,
        )
