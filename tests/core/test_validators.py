import pytest
from django.core.exceptions import ValidationError

from core.validators import reject_markup

REFUSED = [
    "<script>alert(1)</script>",
    "<SCRIPT src=//evil.example>",
    "<b>urgent</b> chase",
    "<b>",
    "end of paragraph</p>",
    "</ p >",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    "<iframe src=//evil.example",
    "<br/>",
    "<x onclick=alert(1)>click</x>",
    "<my-widget>",
    "<!-- hidden -->",
    "<!DOCTYPE html>",
    "<![CDATA[ x ]]>",
    "<?xml version='1.0'?>",
    "<?php echo 1; ?>",
    "5 &lt; 6",
    "fish &amp; chips",
    "&#60;script&#62;",
    "&#x3c;script",
]

ALLOWED = [
    "",
    "a < b",
    "a<b",
    "x<y and y>z",
    "<3",
    "love you <3 <3",
    "Joanne <joanne@example.com>",
    "Joanne Okafor <joanne.okafor@example.co.uk>, Sam <sam@example.org>",
    "-> next week",
    "<-- see above",
    "score: 3 > 2 but < 5",
    "fish & chips",
    "A&E at 10pm",
    "Tom & Jerry; then lunch",
    "ticket #60; done",
    "<<urgent>>",
    "within 5 days (<48h preferred)",
]


@pytest.mark.parametrize("text", REFUSED)
def test_markup_is_refused(text):
    with pytest.raises(ValidationError) as raised:
        reject_markup(text)
    assert raised.value.code == "markup"


@pytest.mark.parametrize("text", ALLOWED)
def test_ordinary_writing_with_angle_brackets_is_allowed(text):
    reject_markup(text)
