"""Validators shared by the forms of every app.

What text is refused, and why
-----------------------------
Every text field of every form (``core.forms.PlainTextMixin``) runs ``reject_markup``. It refuses
HTML markup, and only that:

- tags: an HTML element such as ``<script>``, ``<b>`` or ``<img src=x>``, any closing tag such as
  ``</p>``, any tag with an attribute (``<x onclick=…>``) or a custom element name (``<my-widget>``);
- comments, declarations and processing instructions: ``<!--``, ``<!DOCTYPE``, ``<![CDATA[``,
  ``<?xml``;
- HTML character references: ``&lt;``, ``&amp;``, ``&#60;``, ``&#x3c;``.

Why: pages here escape everything, but a record's text also leaves this application, in exports,
e-mails and chronologies that go to complaints and to other agencies, where whoever reads it
may not escape it. Markup in a case note is never something staff mean to write, and a character
reference would show as ``&lt;`` to one reader and ``<`` to another.

Ordinary writing with angle brackets is allowed: ``a < b``, ``x<y and y>z``, ``<3``,
``Joanne <joanne@example.com>``, ``-> next week``, as are ampersands (``fish & chips``, ``A&E``).

Every text field also runs ``reject_control_characters`` (one-line text: names, numbers,
addresses) or ``reject_control_characters_in_writing`` (a text area): control characters
(Unicode category Cc, such as NUL or escape) are never typed on purpose, PostgreSQL refuses NUL
in text outright, and the others break exports and the terminals that print them. A text area
may hold tabs and line breaks; one-line text may not.
"""

import re
import unicodedata

import phonenumbers
from django.core.exceptions import ValidationError

# HTML, SVG and MathML element names (and a few obsolete ones browsers still honour). A "<"
# before one of these, followed by a space, "/" or ">", opens a real tag (browsers read "< b" as
# text); a "<" before any other word ("x<y and y>z") is left alone unless the rest looks like
# markup (an attribute, or a custom element's "-").
_ELEMENTS = (
    "a|abbr|acronym|address|animate|animatemotion|animatetransform|applet|area|article|aside|audio|"
    "b|base|basefont|bdi|bdo|bgsound|big|blink|blockquote|body|br|button|canvas|caption|center|cite|"
    "code|col|colgroup|data|datalist|dd|del|details|dfn|dialog|dir|div|dl|dt|em|embed|fieldset|"
    "figcaption|figure|font|footer|foreignobject|form|frame|frameset|h[1-6]|head|header|hgroup|hr|"
    "html|i|iframe|image|img|input|ins|isindex|kbd|keygen|label|legend|li|link|listing|main|map|mark|"
    "marquee|math|menu|menuitem|meta|meter|nav|nobr|noembed|noframes|noscript|object|ol|optgroup|"
    "option|output|p|param|picture|plaintext|portal|pre|progress|q|rb|rp|rt|rtc|ruby|s|samp|script|"
    "search|section|select|set|slot|small|source|span|strike|strong|style|sub|summary|sup|svg|table|"
    "tbody|td|template|textarea|tfoot|th|thead|time|title|tr|track|tt|u|ul|use|var|video|wbr|xmp"
)
_MARKUP = re.compile(
    r"<(?:" + _ELEMENTS + r")(?=[\s/>])"  # an opening tag of a known element: <b>, <script src=…
    r"|</\s*[a-z][\w:.-]*\s*>"  # any closing tag: </p>, </foo>
    r"|<[a-z][\w:.]*-[\w:.-]*(?=[\s/>])"  # a custom element: <my-widget>
    r"|<[a-z][\w:.-]*\s[^<>]*=[^<>]*>"  # any tag with an attribute: <x onclick=alert(1)>
    r"|<!(?:--|\[cdata\[|doctype)"  # a comment, CDATA section or doctype
    r"|<\?[a-z]"  # a processing instruction: <?xml, <?php
    r"|&(?:[a-z][a-z0-9]*;|#[0-9]+|#x[0-9a-f]+)",  # a character reference: &lt; &#60; &#x3c;
    re.IGNORECASE,
)
_PHONE_ALLOWED = re.compile(r"^\+?[\d\s()-]+$")


def reject_markup(value: str):
    """Refuse HTML tags, comments and character references; allow angle brackets and ampersands
    in ordinary writing. The module's docstring lists exactly what is refused, and why."""
    if value and _MARKUP.search(value):
        raise ValidationError("Remove the angle-bracket tags or HTML codes from this text.", code="markup")


# Tab, line feed and carriage return: the control characters a text area sends for ordinary writing.
_LINE_BREAKS_AND_TABS = frozenset("\t\n\r")

_CONTROL_CHARACTERS_MESSAGE = (
    "Remove the hidden characters from this text: they may have come with text copied from elsewhere. "
    "Retype it if you cannot see them."
)


def _control_characters(value: str, allowed=frozenset()) -> bool:
    return any(unicodedata.category(char) == "Cc" and char not in allowed for char in value or "")


def reject_control_characters(value: str):
    """Refuse control characters, line breaks and tabs included, in one-line text."""
    if _control_characters(value):
        raise ValidationError(_CONTROL_CHARACTERS_MESSAGE, code="control_characters")


def reject_control_characters_in_writing(value: str):
    """Refuse control characters in a text area, except the line breaks and tabs of ordinary writing."""
    if _control_characters(value, _LINE_BREAKS_AND_TABS):
        raise ValidationError(_CONTROL_CHARACTERS_MESSAGE, code="control_characters")


def without_control_characters(text: str) -> str:
    """Text that is read rather than kept (a search), with its control characters taken out: a tab or
    line break becomes a space, anything else (NUL, escape) goes."""
    return "".join(
        " " if char in _LINE_BREAKS_AND_TABS else char
        for char in text or ""
        if char in _LINE_BREAKS_AND_TABS or unicodedata.category(char) != "Cc"
    )


def phone_digits(value: str) -> str:
    """The digits of a UK phone number in national form (+44 7700 … → 07700 …)."""
    digits = re.sub(r"\D", "", value or "")
    if digits.startswith("44") and value.strip().startswith("+"):
        digits = "0" + digits[2:]
    return digits


def _whole_uk_number(value: str):
    """``value`` parsed as a whole UK phone number, or None if it does not look like one."""
    try:
        number = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 44 or not phonenumbers.is_possible_number(number):
        return None
    national = phonenumbers.national_significant_number(number)
    # Too short, or a leading 0 kept: the start of a number ("07700 9"), not a whole one.
    if len(national) < 7 or national.startswith("0"):
        return None
    return number


def phone_key(value: str) -> str:
    """A phone number reduced to the digits that stay the same however it is written: the national
    significant number ("07700 900001", "+44 7700 900001" and caller ID's "447700900001" all give
    "7700900001"), so a number stored one way is found when typed another. Text that is not a whole
    UK number keeps its digits without the leading 0 or +44, so that the start of a number typed
    into the search still matches the start of a stored one."""
    digits = re.sub(r"\D", "", value or "")
    if not digits:
        return ""
    number = _whole_uk_number(value)
    if number is not None:
        return phonenumbers.national_significant_number(number)
    if value.strip().startswith("+") and digits.startswith("44"):
        return digits[2:].removeprefix("0")
    if digits.startswith("0044"):
        return digits[4:].removeprefix("0")
    return digits.removeprefix("0")


def phone_for_display(value: str) -> str:
    """A UK number in the national form people read out ("+447700900001" → "07700 900001"), or the
    text as given when it is not a whole UK number."""
    number = _whole_uk_number(value or "")
    if number is None:
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


# Letters that Unicode does not decompose into a base letter and an accent.
_LETTERS_WITHOUT_DECOMPOSITION = str.maketrans(
    {"ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i", "ħ": "h"}
)


def postcode_key(text: str) -> str:
    """A postcode, or the start of one, as the search compares it: upper case without spaces
    ("so16 3qb" and "SO163QB" give "SO163QB")."""
    return "".join((text or "").split()).upper()


def name_key(value: str) -> str:
    """A name reduced so that the ways people write it match: lower case, without accents, spaces
    or punctuation ("Siobhán" and "siobhan" give "siobhan"; "O'Brien", "O’Brien" and "OBrien" give
    "obrien"). Letters of other scripts are kept, so every name has a key."""
    text = unicodedata.normalize("NFKD", value or "").casefold().translate(_LETTERS_WITHOUT_DECOMPOSITION)
    return "".join(char for char in text if char.isalnum() and not unicodedata.combining(char))


def validate_uk_phone(value: str):
    if not value:
        return
    if not _PHONE_ALLOWED.match(value):
        raise ValidationError("Enter a phone number using digits, spaces and +, for example 07700 900123.")
    digits = phone_digits(value)
    if not (digits.startswith("0") and len(digits) in (10, 11)):
        raise ValidationError("Enter a UK phone number with 10 or 11 digits, for example 07700 900123.")
