"""Forms for a child's missing episodes. Times are entered in UK time (UKDateTimeField) and
cleaned to aware datetimes; the rules between them (no return before going missing, one open
episode at a time) are the services' (safety_plans.missing), shown next to the field."""

from django import forms
from django.utils import timezone

from core.forms import PlainTextMixin, UKDateTimeField, VersionField, not_in_future

UK_TIME = "UK time."


def _moment(label, *, required=True, help_text=UK_TIME):
    return UKDateTimeField(label=label, required=required, help_text=help_text)


def _this_minute():
    return timezone.localtime().replace(second=0, microsecond=0)


class _MomentsNotInFuture:
    """Every date-and-time field refuses a moment in the future (a few minutes' allowance)."""

    def clean(self):
        cleaned = super().clean()
        for name, field in self.fields.items():
            if isinstance(field, UKDateTimeField) and cleaned.get(name) is not None:
                try:
                    not_in_future(cleaned[name])
                except forms.ValidationError as error:
                    self.add_error(name, error)
        return cleaned


class WentMissingForm(_MomentsNotInFuture, PlainTextMixin, forms.Form):
    went_missing_at = _moment("When they went missing", help_text="UK time. Your best estimate is fine.")
    reported_to_police_at = _moment("When they were reported to the police", required=False,
                                    help_text="UK time. Leave empty if they have not been reported yet.")
    police_reference = forms.CharField(label="Police reference", max_length=60, required=False)
    returned_at = _moment("If they have already come back: when", required=False)
    where_found = forms.CharField(label="Where they were found", max_length=300, required=False)
    notes = forms.CharField(max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("went_missing_at", _this_minute())

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("where_found") and not cleaned.get("returned_at") and "returned_at" not in self.errors:
            self.add_error("returned_at", "Say when they came back, or leave where they were found empty.")
        return cleaned


class EpisodeDetailsForm(_MomentsNotInFuture, PlainTextMixin, forms.Form):
    went_missing_at = _moment("When they went missing")
    reported_to_police_at = _moment("When they were reported to the police", required=False)
    police_reference = forms.CharField(label="Police reference", max_length=60, required=False)
    notes = forms.CharField(max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    version = VersionField()


class ReturnForm(_MomentsNotInFuture, PlainTextMixin, forms.Form):
    returned_at = _moment("When they came back")
    where_found = forms.CharField(label="Where they were found", max_length=300, required=False,
                                  help_text="For example “came home by themselves” or “found by police in Leeds”.")
    version = VersionField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("returned_at", _this_minute())


class InterviewForm(_MomentsNotInFuture, PlainTextMixin, forms.Form):
    interview_offered_at = _moment("When the return home interview was offered", required=False)
    interview_done_at = _moment("When it was done", required=False, help_text="UK time. Leave empty until it is done.")
    interview_by = forms.CharField(label="Who did it", max_length=200, required=False,
                                   help_text="A name and their role or service, for example “Sam Lee, Barnardo’s”.")
    version = VersionField()
