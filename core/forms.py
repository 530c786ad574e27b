import re
from datetime import date, datetime, timedelta
from datetime import time as dt_time

from django import forms
from django.core.validators import ProhibitNullCharactersValidator
from django.forms.utils import flatatt
from django.utils import dateformat, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from core.validators import reject_control_characters, reject_control_characters_in_writing, reject_markup


def _lower_first(text) -> str:
    """A label as it reads inside a sentence: "Date of birth (optional)" gives "date of birth"."""
    text = re.sub(r"\s*\(optional\)$", "", str(text or "this"))
    return text[:1].lower() + text[1:] if not text[:2].isupper() else text


# Labels that read on after "Enter" or "Choose" as they are: "Enter what was discussed".
_NO_ARTICLE = {
    "what", "who", "when", "where", "why", "how", "which", "whether", "by", "the", "a", "an", "their", "your",
}


def plain_messages(field, name) -> None:
    """Say what is wrong in plain words that name the field, where Django's default would not
    ("This field is required.", "Select a valid choice..."). A message a form sets itself stays."""
    if isinstance(field, UKDateField):
        return  # Its messages are its own (_to_date).
    label = _lower_first(field.label or name.replace("_", " "))
    if label.split(" ", 1)[0] not in _NO_ARTICLE:
        label = f"the {label}"
    defaults = {}
    for cls in reversed(type(field).__mro__):
        defaults.update(getattr(cls, "default_error_messages", {}))

    def plain(code, message):
        if field.error_messages.get(code) == defaults.get(code) or code not in field.error_messages:
            field.error_messages[code] = message

    choosing = isinstance(field, forms.ChoiceField | forms.ModelChoiceField | forms.BooleanField)
    plain("required", f"Choose {label}." if choosing else f"Enter {label}.")
    if isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
        plain("invalid_choice", f"Choose {label} from the list.")
        plain("invalid_pk_value", f"Choose {label} from the list.")
    if isinstance(field, forms.IntegerField):
        plain("invalid", f"Enter {label} as a whole number, for example 25.")
        plain("max_value", f"{label[:1].upper()}{label[1:]} must be %(limit_value)s or less.")
        plain("min_value", f"{label[:1].upper()}{label[1:]} must be %(limit_value)s or more.")
    if isinstance(field, forms.EmailField):
        plain("invalid", "Enter an e-mail address in the right form, for example name@example.org.")
    if isinstance(field, forms.CharField) and field.max_length:
        plain("max_length", "This can be at most %(limit_value)d characters long; it has %(show_value)d.")


class PlainTextMixin:
    """Every text field refuses HTML markup and control characters (a text area keeps its line
    breaks and tabs), with a message next to the field, and every field's messages are in plain
    words (plain_messages)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if isinstance(field, forms.CharField):
                _refuse_hidden_characters(field)
                if reject_markup not in field.validators:
                    field.validators.append(reject_markup)
            if isinstance(field, forms.ModelMultipleChoiceField):
                _refuse_impossible_ids(field)
            plain_messages(field, name)


# No database row has an id beyond a signed 64-bit integer.
_LARGEST_ID = 2**63 - 1


def _refuse_impossible_ids(field) -> None:
    """Refuse an id no row can have (99999999999999999999) as any other id not in the list: Django
    looks the ids up with ``pk__in``, which SQLite cannot even run with such a number (OverflowError)."""
    clean = field.clean

    def clean_within_range(value):
        for item in value if isinstance(value, list | tuple) else ():
            try:
                number = int(str(item))
            except ValueError:
                continue
            if abs(number) > _LARGEST_ID:
                raise forms.ValidationError(
                    field.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": item}
                )
        return clean(value)

    field.clean = clean_within_range


def _refuse_hidden_characters(field) -> None:
    control = (
        reject_control_characters_in_writing if isinstance(field.widget, forms.Textarea) else reject_control_characters
    )
    if control in field.validators:
        return
    # Django's own NUL check would say "Null characters are not allowed." beside the plain message.
    field.validators[:] = [v for v in field.validators if not isinstance(v, ProhibitNullCharactersValidator)]
    field.validators.append(control)


# ------------------------------------------------------------------ dates (GOV.UK date input)
# A date is typed as day, month and year in separate boxes, so it never depends on the browser's
# language (a US-English browser's date field reads 08/12 as 12 August), and an impossible or
# half-typed date is refused with a message that says what is wrong instead of becoming empty.

EARLIEST_YEAR = 1900
# How many years ahead a date may be: far enough for any review or plan, near enough to catch 9999.
YEARS_AHEAD = 10
_TIME = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?$", re.IGNORECASE)


class QuickSelect(forms.Select):
    """A select list drawn in Python, the same HTML as Django's Select, which includes a template for
    every option: for lists of hundreds of choices (every local authority, every key worker), where
    those includes were most of a page's time."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        groups = []
        for group_name, options, _ in widget["optgroups"]:
            drawn = format_html_join(
                "", '<option value="{}"{}>{}</option>',
                ((option["value"], flatatt(option["attrs"]), option["label"]) for option in options),
            )
            groups.append(format_html('<optgroup label="{}">{}</optgroup>', group_name, drawn) if group_name else drawn)
        return format_html('<select name="{}"{}>{}</select>', widget["name"], flatatt(widget["attrs"]),
                           mark_safe("".join(groups)))  # noqa: S308 - each part was escaped by format_html


def date_in_words(value) -> str:
    """How a date is read back beside its boxes and in messages: "Tuesday 8 December 2026"."""
    if isinstance(value, datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return f"{dateformat.format(local, 'l j F Y')} at {dateformat.format(local, 'H:i')}"
    return dateformat.format(value, "l j F Y") if isinstance(value, date) else ""


class DateParts(forms.MultiWidget):
    """Day, month and year boxes (and a time box for a moment), with the date read back in words."""

    template_name = "core/widgets/date_parts.html"
    part_labels = {"day": "Day", "month": "Month", "year": "Year", "time": "Time (24-hour, e.g. 14:30)"}

    def __init__(self, attrs=None, *, with_time=False):
        def box(size, **extra):
            return forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "size": size, **extra})

        parts = {"day": box(2, maxlength=2), "month": box(2, maxlength=2), "year": box(4, maxlength=4)}
        if with_time:
            parts["time"] = forms.TextInput(attrs={"autocomplete": "off", "size": 5, "maxlength": 7})
        self.with_time = with_time
        super().__init__(parts, attrs)

    def decompress(self, value):
        if isinstance(value, datetime):
            local = timezone.localtime(value) if timezone.is_aware(value) else value
            return [str(local.day), str(local.month), str(local.year), local.strftime("%H:%M")]
        if isinstance(value, date):
            return [str(value.day), str(value.month), str(value.year)]
        if isinstance(value, str) and value:
            # One value, as a link's query string or an initial value may hold: ISO or day/month/year.
            for parse in (datetime.fromisoformat, lambda text: datetime.strptime(text, "%d/%m/%Y")):  # noqa: DTZ007
                try:
                    parsed = parse(value.strip())
                except ValueError:
                    continue
                return self.decompress(parsed if self.with_time else parsed.date())
            return [None] * len(self.widgets)
        return [None] * len(self.widgets)

    def value_from_datadict(self, data, files, name):
        parts = super().value_from_datadict(data, files, name)
        if not any(parts) and data.get(name):
            # A link or an older page may still send the date in one ISO value (2026-12-08):
            # the field reads it, and refuses it with a message if it is not one.
            return data.get(name)
        return parts

    def value_omitted_from_data(self, data, files, name):
        return name not in data and super().value_omitted_from_data(data, files, name)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        for subwidget, part in zip(context["widget"]["subwidgets"], self.widgets_names, strict=True):
            subwidget["part"] = part.lstrip("_")
            subwidget["label"] = self.part_labels[part.lstrip("_")]
        values = value if isinstance(value, list | tuple) else self.decompress(value)
        context["widget"]["in_words"] = date_in_words(_parse_parts(values, with_time=self.with_time))
        context["widget"]["readback_id"] = f"{context['widget']['attrs'].get('id', name)}_in_words"
        return context


def _parse_parts(values, *, with_time):
    """The date (or moment) the boxes hold, or None when they do not hold one."""
    try:
        return _to_date(values, with_time=with_time, name="The date")
    except forms.ValidationError:
        return None


def _to_date(values, *, with_time, name):
    parts = [str(part or "").strip() for part in values]
    day, month, year = parts[:3]
    time = parts[3] if with_time else ""
    if not any(parts):
        return None
    missing = [label for label, part in (("day", day), ("month", month), ("year", year)) if not part]
    if with_time and not time:
        missing.append("time")
    if missing:
        listed = " and ".join(missing) if len(missing) < 3 else f"{', '.join(missing[:-1])} and {missing[-1]}"
        raise forms.ValidationError(f"{name} must include a {listed}.", code="incomplete")
    if not (day.isdigit() and month.isdigit() and year.isdigit()):
        raise forms.ValidationError(
            f"{name} must be written in numbers, for example 8 12 {timezone.localdate().year}.", code="invalid"
        )
    if len(year) != 4:
        raise forms.ValidationError(f"Write the year in full, for example {timezone.localdate().year}.", code="year")
    try:
        value = date(int(year), int(month), int(day))
    except (ValueError, OverflowError):  # 31/4, or a day or month too long for the boxes, sent by a script
        raise forms.ValidationError(
            f"{name} must be a real date: there is no {day}/{month}/{year}.", code="impossible"
        ) from None
    if not with_time:
        return value
    match = _TIME.match(time)
    hours, minutes = (int(match.group(1)), int(match.group(2) or 0)) if match else (99, 0)
    if match and match.group(3):
        # 12-hour clock: 12am is midnight, 12pm noon; "13pm" is not a time.
        hours = hours % 12 + (12 if match.group(3).lower() == "pm" else 0) if 1 <= hours <= 12 else 99
    if not (0 <= hours <= 23 and 0 <= minutes <= 59):
        raise forms.ValidationError(
            "Write the time as hours and minutes on the 24-hour clock, for example 14:30.", code="time"
        )
    return timezone.make_aware(datetime.combine(value, dt_time(hours, minutes)))


class UKDateField(forms.Field):
    """A date typed in day, month and year boxes. ``name`` starts its messages ("The date of birth
    must include a month."); dates outside EARLIEST_YEAR and YEARS_AHEAD from now are refused."""

    widget = DateParts
    with_time = False

    def __init__(self, *, name=None, earliest=None, latest=None, **kwargs):
        super().__init__(**kwargs)
        self.name = name
        self.earliest = earliest
        self.latest = latest
        if self.error_messages["required"] == forms.Field.default_error_messages["required"]:
            self.error_messages["required"] = f"Enter {_lower_first(self._message_name())}."

    def _message_name(self):
        """What the messages call the date: ``name``, else a label that names a date ("Date of
        birth" gives "The date of birth"), else "The date"."""
        name = self.name
        if not name and self.label and "date" in str(self.label).lower():
            name = f"the {_lower_first(self.label)}"
        if name:
            return name[0].upper() + name[1:]
        return "The date and time" if self.with_time else "The date"

    def to_python(self, value):
        if value in self.empty_values or isinstance(value, date):
            return value or None
        if isinstance(value, str):
            parts = DateParts(with_time=self.with_time).decompress(value)
            if not any(parts):
                raise forms.ValidationError(
                    f"{self._message_name()} must be a real date, written as day, month and year.", code="invalid"
                )
            value = parts
        return _to_date(value, with_time=self.with_time, name=self._message_name())

    def validate(self, value):
        super().validate(value)
        if value is None:
            return
        day = value.date() if isinstance(value, datetime) else value
        today = timezone.localdate()
        earliest = self.earliest or date(EARLIEST_YEAR, 1, 1)
        latest = self.latest or date(today.year + YEARS_AHEAD, 12, 31)
        if day < earliest:
            raise forms.ValidationError(
                f"{self._message_name()} must be on or after {date_in_words(earliest)}: check the year.", code="early"
            )
        if day > latest:
            raise forms.ValidationError(
                f"{self._message_name()} must be on or before {date_in_words(latest)}: check the year.", code="late"
            )

    def has_changed(self, initial, data):
        try:
            return self.to_python(data) != (self.to_python(initial) if initial else None)
        except forms.ValidationError:
            return True


class UKDateTimeField(UKDateField):
    """A moment: the date boxes and a time box, in UK time (Europe/London)."""

    with_time = True

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", DateParts(with_time=True))
        super().__init__(**kwargs)
        if not self.widget.with_time:
            raise ValueError("UKDateTimeField needs DateParts(with_time=True) as its widget.")


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


# ------------------------------------------------------------------ a period, for figures and reports

# The longest period a figures page takes: five years.
MAX_PERIOD_DAYS = 5 * 366


def default_period(today: date) -> tuple[date, date]:
    """The last twelve months: from the first day of this month a year ago, to today."""
    return date(today.year - 1, today.month, 1), today


class PeriodForm(PlainTextMixin, forms.Form):
    """A period of at most five years, the last twelve months unless another is chosen: each figures
    page and report extends it with its own labels and choices."""

    start = UKDateField(label="From")
    end = UKDateField(label="to")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["start"], self.initial["end"] = default_period(timezone.localdate())

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end < start:
                self.add_error("end", "The end of the period cannot be before its start.")
            elif (end - start).days > MAX_PERIOD_DAYS:
                self.add_error("start", "Choose a period of five years or less.")
        return cleaned

    def period(self) -> tuple[date, date]:
        """The chosen period, or the default one when none (or an impossible one) was chosen."""
        if self.is_bound and self.is_valid():
            return self.cleaned_data["start"], self.cleaned_data["end"]
        return default_period(timezone.localdate())
