"""Typing a date into the day, month and year boxes (core.forms.DateParts) as a person does."""

import datetime

from django.utils import timezone


def date_group(scope, question):
    """The group of boxes of the date question ``question`` (its legend) within ``scope``."""
    return scope.get_by_role("group", name=question)


def fill_date(scope, question, value):
    """Type ``value`` (a date, or a moment shown in UK time) into the boxes of ``question``."""
    group = date_group(scope, question)
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value)
        group.get_by_label("Time").fill(value.strftime("%H:%M"))
    group.get_by_label("Day").fill(str(value.day))
    group.get_by_label("Month").fill(str(value.month))
    group.get_by_label("Year").fill(str(value.year))
    return group


def shown_date(scope, question) -> str:
    """What the boxes of ``question`` hold, as "day/month/year" (and " HH:MM" when there is a time)."""
    group = date_group(scope, question)
    day, month, year = (group.get_by_label(part).input_value() for part in ("Day", "Month", "Year"))
    shown = f"{day}/{month}/{year}"
    time = group.get_by_label("Time")
    return f"{shown} {time.input_value()}" if time.count() else shown
