"""The "Ratings" part of the call form (families.call_parts): the parent spoken with answers the
questions during the call, and their ratings are saved with it, as asked on the call's day."""

from django.utils import timezone

from core.errors import UserFixableError
from families import call_parts
from outcomes import selectors, services
from outcomes.forms import CallRatingsForm
from outcomes.measures import MEASURE_FIELDS
from outcomes.models import CheckIn

PREFIX = "ratings"
# Where a problem with the ratings' parent or date is shown: next to the first question, or next to
# when the call was (the ratings' date is the call's).
_FIELD_ON_THE_CALL_FORM = {"parent": MEASURE_FIELDS[0], "asked_on": "occurred_at"}


def _form(data, *, prefix, family, user):
    return CallRatingsForm(data, prefix=prefix, due=selectors.due_clocks_for(family))


def _check(form, contact):
    form.check_with_call(contact)


def _save(form, *, user, family, contact):
    if not form.has_answers():
        return  # Not asked in this call: nothing is recorded.
    check_in = CheckIn(
        parent=contact.spoke_with,
        asked_on=timezone.localdate(contact.occurred_at),
        **{name: form.cleaned_data.get(name) for name in MEASURE_FIELDS},
    )
    try:
        services.check_in_record(user=user, family=family, check_in=check_in, contact=contact)
    except UserFixableError as error:
        raise UserFixableError(error.message, field=_FIELD_ON_THE_CALL_FORM.get(error.field, error.field)) from error


def register():
    call_parts.register(call_parts.CallPart(
        key="ratings", prefix=PREFIX, form=_form, template="outcomes/_call_ratings.html", check=_check, save=_save,
    ))
