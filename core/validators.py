import re

from django.core.exceptions import ValidationError

_MARKUP = re.compile(r"<\s*/?\s*[a-zA-Z!?]|&#?\w+;")
_PHONE_ALLOWED = re.compile(r"^\+?[\d\s()-]+$")


def reject_markup(value: str):
    """Refuse text that looks like HTML or script; plain "<3" or "a < b" is fine."""
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
