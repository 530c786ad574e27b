"""The Content Security Policy header: only the site's own files, nothing inline, no eval."""

import re

import pytest
from django.urls import reverse

from tests.two_factor import verified_login

EXPECTED = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'none'",
    "object-src": "'none'",
}


def directives(response):
    header = response.headers["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


def test_the_sign_in_page_has_the_policy(client):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    assert directives(response) == EXPECTED


@pytest.mark.parametrize("name", ["home", "families:list", "families:create"])
def test_case_pages_have_the_policy_with_nothing_inline_and_no_eval(client, cast, name):
    verified_login(client, cast.key_worker)

    response = client.get(reverse(name))

    assert response.status_code == 200
    header = response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in header
    assert "'unsafe-eval'" not in header
    assert "nonce-" not in header
    assert directives(response) == EXPECTED


def test_the_family_page_has_the_policy_and_no_inline_style_or_handler(client, cast):
    verified_login(client, cast.key_worker)

    response = client.get(cast.family.get_absolute_url())

    assert directives(response) == EXPECTED
    html = response.content.decode()
    assert not re.search(r"\sstyle=|<style|\son[a-z]+=|javascript:|hx-on|js:", html)
    assert "<script>" not in html


def test_the_postcode_box_asks_htmx_for_no_eval(client, cast):
    verified_login(client, cast.key_worker)

    html = client.get(reverse("families:create")).content.decode()

    assert 'data-lookup-param="postcode"' in html
    assert "hx-vals" not in html
    assert '"allowEval": false' in html
    assert '"includeIndicatorStyles": false' in html
