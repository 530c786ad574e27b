"""Hypothesis strategies for input nobody should send, and the checks the hostile-input tests share.

Text (control characters, markup, very long runs, odd Unicode), the parts of a typed date
(core.forms.DateParts posts ``<name>_day``, ``_month``, ``_year`` and, for a moment, ``_time``),
numbers, choices and foreign keys, and ``submission``: a whole form's data, valid from the form's own
fields but for one or two fields given hostile values, so that examples reach the form's deeper
checks and the service behind it rather than stopping at the first required field.
"""

import os
import unicodedata
from datetime import date, datetime

from django import forms
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models, transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from core.forms import EARLIEST_YEAR, YEARS_AHEAD, DateParts, UKDateField

# A few hundred examples per view in CI, fewer on a developer's machine.
EXAMPLES = 200 if os.environ.get("CI") else 25
hostile = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

CONTROL = "".join(chr(code) for code in [*range(0x00, 0x20), *range(0x7F, 0xA0)])
MARKUP = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "&lt;b&gt;", "<!-- x -->", "</p>"]
# Any character UTF-8 can carry (a lone surrogate cannot be sent at all).
ANY_CHARACTER = st.characters(exclude_categories=["Cs"])


def hostile_text(max_size=120):
    """Text a person would never type: control characters among ordinary ones, markup, very long
    runs, odd Unicode (right-to-left marks, combining accents, emoji, private use)."""
    with_controls = st.lists(
        st.one_of(st.sampled_from(CONTROL), st.sampled_from("Jo Okafor 07700 SO16 F-0001"), ANY_CHARACTER),
        max_size=max_size,
    ).map("".join)
    very_long = st.builds(lambda piece, times: piece * times, st.sampled_from(["a", "é", "\x00", "😀", "<"]),
                          st.integers(min_value=256, max_value=5000))
    odd_unicode = st.text(alphabet=st.sampled_from("\u202e\u200b\u0301\ufeff\U0001f600\ue000ßİﬁ"), max_size=40)
    return st.one_of(with_controls, very_long, odd_unicode, st.sampled_from(MARKUP), st.text(ANY_CHARACTER))


def rolled_back(check):
    """Run one example in a savepoint that is always rolled back: examples never see each other's rows."""
    with transaction.atomic():
        check()
        transaction.set_rollback(True)


def has_control(text, allowed=""):
    return any(unicodedata.category(char) == "Cc" and char not in allowed for char in text or "")


# ------------------------------------------------------------------ numbers, dates and times

# Numbers as a keyboard, a paste or a script may send them: signs, exponents, decimals, digits of
# other scripts (Arabic-Indic, fullwidth, superscript), padding, and nothing at all.
NUMBER_TEXT = [
    "-1", "0", "-0", "00", "007", "+1", "1.5", "12.30", "1,000", "1_000", "1e3", "1e309", "-1e309", "NaN", "inf",
    "0x1F", "99999999999999999999", "-99999999999999999999", "2147483648", "9223372036854775808",
    "٣", "٠٣", "３", "１２", "²", "½", "Ⅻ", " 7 ", "\t7", "7\x00", "", " ", "\u200b",
]


def number_text():
    """Text in a box that wants a whole number."""
    return st.one_of(
        st.sampled_from(NUMBER_TEXT),
        st.integers(min_value=-(10**30), max_value=10**30).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(str),
        hostile_text(max_size=20),
    )


# Years at and past the bounds (EARLIEST_YEAR, YEARS_AHEAD), and years that are not four digits.
YEAR_TEXT = ["1", "0001", "0000", "1899", "1900", "9999", "10000", "26", "۲۰۲۶", "２０２６", "-2026", "2026.0"]
TIME_TEXT = [
    "24:00", "23:60", "23:59", "00:00", "0:00", "12.30", "1230", "12:3", "12:30:00", "12 : 30", "noon", "midnight",
    "12am", "12pm", "13pm", "0am", "-1:00", "٣:٣٠", "１２:３０", "99:99", "12:30\x00", " ", "",
]
# Dates that look right but are not: 29 February in a year that is not a leap year, 31 April,
# 30 February, and the first and last days the calendar has.
IMPOSSIBLE_DATES = [("29", "2", "2025"), ("29", "2", "2100"), ("31", "4", "2026"), ("30", "2", "2024"),
                    ("31", "6", "2025"), ("0", "1", "2026"), ("32", "1", "2026"), ("1", "13", "2026"),
                    ("1", "1", "0001"), ("31", "12", "9999"), ("1", "1", "1899"), ("31", "12", "1899")]
# An older page or a link may post one value instead of the boxes (DateParts.value_from_datadict).
ONE_VALUE_DATES = ["0001-01-01", "9999-12-31", "2025-02-29", "2026-04-31", "2026-13-01", "2026-12-08T25:00",
                   "2026-12-08T23:60", "08/12/2026", "31/04/2026", "1e309", "yesterday", "2026-12-08\x00"]


def date_parts(key, *, with_time=False):
    """What the boxes of a date (and time) called ``key`` may post: an impossible or out-of-bounds
    date, or any of the boxes holding a hostile number, or one ISO value in place of the boxes."""
    today = timezone.localdate()
    plausible_day = st.one_of(st.integers(min_value=1, max_value=28).map(str), st.sampled_from(NUMBER_TEXT))
    plausible_month = st.one_of(st.integers(min_value=1, max_value=12).map(str), st.sampled_from(NUMBER_TEXT))
    plausible_year = st.one_of(st.just(str(today.year)), st.sampled_from(YEAR_TEXT), number_text())
    boxes = st.one_of(
        st.tuples(plausible_day, plausible_month, plausible_year),
        st.sampled_from(IMPOSSIBLE_DATES),
        st.tuples(st.just(str(today.day)), st.just(str(today.month)), st.sampled_from(YEAR_TEXT)),
    )
    time = st.one_of(st.sampled_from(TIME_TEXT), st.just("10:30"), hostile_text(max_size=10))

    def posted(parts, clock):
        data = dict(zip((f"{key}_day", f"{key}_month", f"{key}_year"), parts, strict=True))
        if with_time:
            data[f"{key}_time"] = clock
        return data

    as_boxes = st.builds(posted, boxes, time)
    # A valid date with a hostile time: the time is checked only once the date is right.
    good_date_bad_time = st.builds(posted, st.just((str(today.day), str(today.month), str(today.year))), time)
    one_value = st.builds(lambda value: {key: value}, st.one_of(st.sampled_from(ONE_VALUE_DATES), hostile_text(30)))
    return st.one_of(as_boxes, good_date_bad_time, one_value) if with_time else st.one_of(as_boxes, one_value)


# ------------------------------------------------------------------ choices and foreign keys


def choice_values(valid, elsewhere=()):
    """A choice: a valid value, one that is not in the list, another field's value, or nothing."""
    options = [st.sampled_from(["", " ", "0", "-1", "None", "null", "__all__", "1 OR 1=1", "[]"]), hostile_text(30)]
    if valid:
        options.append(st.sampled_from(sorted(valid)))
        options.append(st.sampled_from(sorted(valid)).map(lambda value: f" {value} "))
        options.append(st.sampled_from(sorted(valid)).map(str.upper))
    if elsewhere:
        options.append(st.sampled_from(sorted(elsewhere)))
    return st.one_of(options)


def foreign_key_values(valid_ids, foreign_ids=()):
    """A record's id: one of the choices, another team's record, one that does not exist, or text
    that is not an id at all."""
    options = [
        st.sampled_from(["0", "-1", "1 OR 1=1", "1; DROP TABLE families_family", "1.0", "1e3", " 1", "0x1",
                         "99999999999999999999", "9223372036854775808", "2147483648", "", "null"]),
        st.integers(min_value=-(2**63), max_value=2**63).map(str),
        number_text(),
    ]
    if valid_ids:
        options.append(st.sampled_from(sorted(valid_ids)).map(str))
        options.append(st.just(str(max(valid_ids) + 100_000)))
    if foreign_ids:
        options.append(st.sampled_from(sorted(foreign_ids)).map(str))
    return st.one_of(options)


def _choice_ids(field):
    return [value for value, _ in field.choices if value not in ("", None)]


def _model_ids(field):
    return set(field.queryset.values_list("pk", flat=True))


def _foreign_ids(field):
    """Ids of the same model that this field does not offer (another family's people, another team's
    referrals)."""
    model = field.queryset.model
    return set(model._default_manager.exclude(pk__in=field.queryset.values("pk")).values_list("pk", flat=True)[:50])


def _one_value(field, elsewhere):
    """A hostile value for one field, as the single value a browser would post for it."""
    if isinstance(field, forms.ModelChoiceField):
        valid = {int(value) for value in _model_ids(field) if isinstance(value, int)}
        return foreign_key_values(valid, _foreign_ids(field))
    if isinstance(field, forms.ChoiceField):
        return choice_values({str(value) for value in _choice_ids(field)}, elsewhere)
    if isinstance(field, forms.BooleanField):
        return st.one_of(st.sampled_from(["on", "off", "true", "false", "True", "0", "1", "", "yes", "None"]),
                         hostile_text(20))
    if isinstance(field, forms.IntegerField):
        return number_text()
    # Free text, and a hidden moment (a call form's opening time) as a script might post it.
    return st.one_of(hostile_text(), st.sampled_from(ONE_VALUE_DATES),
                     st.sampled_from(["2026-13-45T10:00:00+00:00", "2026-02-30T10:00", "0001-01-01T00:00:00+14:00",
                                      "9999-12-31T23:59:59-14:00", "2026-12-08T10:00:00", "2026-12-08T24:00:00Z"]))


def hostile_values(field, key, elsewhere=()):
    """What may be posted for the field named ``key``: a dict of posted names and values (a list for
    several), empty for a field left out altogether."""
    if isinstance(field, UKDateField):
        return st.one_of(date_parts(key, with_time=field.with_time), st.just({}))
    single = _one_value(field, elsewhere)
    if isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
        many = st.lists(single, max_size=6)
    else:
        # Several values where one is expected: Django reads the last.
        many = st.lists(single, min_size=2, max_size=3)
    return st.one_of(single.map(lambda value: {key: value}), many.map(lambda values: {key: values}), st.just({}))


# ------------------------------------------------------------------ whole submissions


def _posted_names(field, key):
    if isinstance(field.widget, DateParts):
        return [key, *(f"{key}{part}" for part in field.widget.widgets_names)]
    return [key]


def _as_posted(field, key, value):
    """The value a form shows (its initial value) as the browser posts it back."""
    if value in (None, "", [], ()):
        return {}
    if isinstance(field.widget, DateParts):
        parts = field.widget.decompress(value)
        return {f"{key}{part}": text for part, text in zip(field.widget.widgets_names, parts, strict=True) if text}
    if isinstance(field, forms.BooleanField):
        return {key: "on"} if value else {}
    if isinstance(value, list | tuple):
        return {key: [str(item) for item in value]}
    return {key: str(value)}


def _required_value(field):
    """A value a required field accepts, when the form gives it none: the form's own first choice,
    today, the smallest number it allows, a few plain words."""
    if isinstance(field, forms.ModelMultipleChoiceField):
        return list(field.queryset.values_list("pk", flat=True)[:1])
    if isinstance(field, forms.ModelChoiceField):
        return field.queryset.values_list("pk", flat=True).first()
    if isinstance(field, forms.ChoiceField):
        return next(iter(_choice_ids(field)), "")
    if isinstance(field, UKDateField):
        now = timezone.localtime().replace(second=0, microsecond=0)
        return now if field.with_time else now.date()
    if isinstance(field, forms.BooleanField):
        return True
    if isinstance(field, forms.IntegerField):
        return max(field.min_value or 1, 1) if field.min_value != 0 else 0
    return "Plain words"


def valid_data(form_list, overrides=None):
    """What the forms accept as they stand: each field's initial value, else (when required) a value
    it accepts, then ``overrides`` (posted names and values)."""
    data = {}
    for form in form_list:
        for name, field in form.fields.items():
            key = form.add_prefix(name)
            value = form[name].value()
            if value in (None, "", [], ()) and field.required:
                value = field.prepare_value(_required_value(field))
            data.update(_as_posted(field, key, value))
    data.update(overrides or {})
    return data


@st.composite
def submission(draw, form_list, *, overrides=None, most=2):
    """The forms' valid data with one to ``most`` of their fields given hostile values."""
    data = valid_data(form_list, overrides)
    fields = [(form.add_prefix(name), field) for form in form_list for name, field in form.fields.items()]
    elsewhere = {str(value) for _, field in fields if isinstance(field, forms.ChoiceField)
                 and not isinstance(field, forms.ModelChoiceField) for value in _choice_ids(field)}
    chosen = draw(st.lists(st.sampled_from(fields), min_size=1, max_size=most, unique_by=lambda item: item[0]),
                  label="fields made hostile")
    for key, field in chosen:
        for posted in _posted_names(field, key):
            data.pop(posted, None)
        data.update(draw(hostile_values(field, key, elsewhere), label=key))
    return data


# ------------------------------------------------------------------ what was written

WATCHED_APPS = ["families", "referrals", "meetings", "safety_plans", "deadlines", "agencies"]


def watched_models():
    """Every model of the apps that hold case records, with the tables behind many-to-many fields.
    Not the audit trail, sessions or sign-in records: reading a page writes those by design."""
    return [
        model for label in WATCHED_APPS for model in apps.get_app_config(label).get_models(include_auto_created=True)
    ]


def row_counts():
    """How many rows each watched table holds, in one query."""
    models_ = watched_models()
    quote = connection.ops.quote_name
    # Table names from model metadata only: nothing posted is ever formatted in.
    counts = ", ".join(f"(SELECT COUNT(*) FROM {quote(model._meta.db_table)})" for model in models_)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {counts}")
        return dict(zip((model._meta.label for model in models_), cursor.fetchone(), strict=True))


def changed_counts(before, after):
    return {label: (before[label], after[label]) for label in before if before[label] != after[label]}


def latest_bounds():
    return date(EARLIEST_YEAR, 1, 1), date(timezone.localdate().year + YEARS_AHEAD, 12, 31)


def unclean_values(row):
    """The row's values that should never have been saved: a control character in one-line text (in
    longer text, anything but line breaks and tabs), a date outside the bounds every date field keeps."""
    earliest, latest = latest_bounds()
    problems = []
    for field in row._meta.concrete_fields:
        value = getattr(row, field.attname)
        if isinstance(value, str):
            allowed = "\t\n\r" if isinstance(field, models.TextField) else ""
            if has_control(value, allowed):
                problems.append(f"{field.name}={value!r}")
        elif isinstance(value, date):
            day = timezone.localtime(value).date() if isinstance(value, datetime) else value
            if not earliest <= day <= latest:
                problems.append(f"{field.name}={value!r}")
    return problems


def differences_from_cleaned(row, cleaned, *, skip=("version",)):
    """The row's fields whose saved value is not the form's cleaned value."""
    different = []
    for name, value in cleaned.items():
        if name in skip:
            continue
        try:
            field = row._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if field.many_to_many:
            saved = set(getattr(row, name).all())
            value = set(value or [])
        else:
            saved = getattr(row, name)
        if saved != value:
            different.append(f"{name}: saved {saved!r}, cleaned {value!r}")
    return different
