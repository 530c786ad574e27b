from datetime import datetime, timedelta

from django import forms
from django.utils import timezone

from core.validators import reject_markup


class PlainTextMixin:
    """Every text field refuses HTML markup, with a message next to the field."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.CharField) and reject_markup not in field.validators:
                field.validators.append(reject_markup)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def not_in_future(value, message="This cannot be in the future."):
    # A moment may be a few minutes ahead: the worker's clock and ours can differ.
    latest = timezone.now() + timedelta(minutes=5) if isinstance(value, datetime) else timezone.localdate()
    if value > latest:
        raise forms.ValidationError(message)
    return value


class VersionField(forms.IntegerField):
    """The version of the record the user started editing (see core.concurrency)."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(min_value=1, **kwargs)
