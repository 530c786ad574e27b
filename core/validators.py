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
"""

import re

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


def phone_digits(value: str) -> str:
    """The digits of a UK phone number in national form (+44 7700 … → 07700 …)."""
    digits = re.sub(r"\D", "", value or "")
    if digits.startswith("44") and value.strip().startswith("+"):
        digits = "0" + digits[2:]
    return digits


def validate_uk_phone(value: str):
    if not value:
        return
    if not _PHONE_ALLOWED.match(value):
        raise ValidationError("Enter a phone number using digits, spaces and +, for example 07700 900123.")
    digits = phone_digits(value)
    if not (digits.startswith("0") and len(digits) in (10, 11)):
        raise ValidationError("Enter a UK phone number with 10 or 11 digits, for example 07700 900123.")
