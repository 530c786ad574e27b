"""Fixtures for browser tests: Debian's Chromium, driven by Playwright, against pytest-django's live server.

One browser for the whole session (starting Chromium is the slow part); a fresh context, so fresh
cookies and storage, for every test.
"""

import os
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.factories import PASSWORD
from tests.two_factor import app_device, usable_code

LOGIN_PATH = "/accounts/login/"
SECOND_FACTOR_PATH = "/accounts/two-factor/"
CODE_LABEL = "Code from your authenticator app or a recovery code"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_MISSING = "Debian's chromium is not installed: apt-get install chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Generous enough for a loaded CI machine; a passing test never waits this long.
TIMEOUT_MS = 10_000

# Playwright's sync API runs an asyncio event loop in the main thread (on a greenlet) while it is
# started. Django sees that running loop and refuses ORM calls from the same thread with
# SynchronousOnlyOperation, although the test code (fixtures, database assertions) is synchronous
# and never runs at the same time as the loop's own work. The live server answers the browser from
# its own threads, which have no event loop, so it is unaffected.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.fixture(autouse=True)
def _reference_data(django_db_serialized_rollback):
    """Keep the reference data the migrations load (local authorities, support categories...).

    The live server needs committed data, so these tests use TransactionTestCase semantics: the
    database is emptied after each test. Serialized rollback puts the migrations' rows back first.
    """


def _keep_serialized_contents(start_playwright):
    """Start Playwright, and give Django's new connection objects the test database's saved contents.

    Django keeps its connection objects in an asgiref Local that is thread-local while no event loop
    runs, and per-context once one does. With Playwright's loop running, the test code therefore
    gets new connection objects (to the same test database) that lack the contents
    pytest-django's database setup saved on the first ones for serialized rollback: without this,
    only the first browser test would get the reference data back.
    """
    from django.db import connections

    saved = {alias: getattr(connections[alias], "_test_serialized_contents", None) for alias in connections}
    playwright = start_playwright()
    for alias, contents in saved.items():
        if contents is not None and not hasattr(connections[alias], "_test_serialized_contents"):
            connections[alias]._test_serialized_contents = contents
    return playwright


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The factories' users get their password hashed, and sign-in checks it: keep both quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def browser(django_db_setup):
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(CHROMIUM_MISSING)
        pytest.skip(CHROMIUM_MISSING)
    # Imported here so that collecting the rest of the suite does not need Playwright.
    from playwright.sync_api import sync_playwright

    playwright = _keep_serialized_contents(sync_playwright().start)
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    finally:
        playwright.stop()


# How Chromium words, on the console, anything the Content Security Policy refused: an inline style
# or script, an event-handler attribute, eval, a file from elsewhere. The console is the browser's own
# report, so it is not lost when a page navigates away or replaces its document, as a listener for
# securitypolicyviolation events in the page would be.
CSP_VIOLATION = "Content Security Policy directive"


def csp_violation(message):
    """What the Content Security Policy refused, as a console message reports it; None for any other message."""
    if message.type != "error" or CSP_VIOLATION not in message.text:
        return None
    where = message.page.url if message.page else message.location.get("url", "")
    return f"{where}: {message.text}"


@contextmanager
def page_in(browser, live_server, **options):
    """A page in a fresh context (cookies, storage) of a UK browser; ``options`` size its window or
    change its language. A JavaScript error on it, or anything its Content Security Policy refused,
    fails the test."""
    options = {"locale": "en-GB", "timezone_id": "Europe/London", **options}
    context = browser.new_context(base_url=live_server.url, **options)
    context.set_default_timeout(TIMEOUT_MS)
    violations = []

    def record_violation(message):
        violation = csp_violation(message)
        if violation:
            violations.append(violation)

    # On the context, so pages the test opens from this one are watched too.
    context.on("console", record_violation)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(error))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
    assert not violations, "Content Security Policy violations:\n" + "\n".join(violations)


@pytest.fixture
def page(browser, live_server):
    with page_in(browser, live_server) as page:
        yield page


def pass_second_factor(page, user):
    """On the second-factor page that signing in led to, type the code ``user``'s app shows (an app is
    made for them if they have none), and wait to be let through."""
    device = app_device(user)
    page.wait_for_url(lambda url: SECOND_FACTOR_PATH in url)
    code_box = page.get_by_label(CODE_LABEL)
    code_box.fill(usable_code(device))
    code_box.press("Enter")
    page.wait_for_url(lambda url: SECOND_FACTOR_PATH not in url)


def sign_in_on(page, user, password=PASSWORD):
    """Sign ``user`` in on ``page`` through the sign-in page and the second factor's."""
    app_device(user)
    page.goto(LOGIN_PATH)
    page.get_by_label("E-mail address").fill(user.email)
    password_box = page.get_by_label("Password")
    password_box.fill(password)
    password_box.press("Enter")
    page.wait_for_url(lambda url: LOGIN_PATH not in url)
    pass_second_factor(page, user)


@pytest.fixture
def sign_in(page):
    """sign_in(user): sign in through the real sign-in page and the second factor's, as a person would,
    and land on My work."""

    def sign_in(user, password=PASSWORD):
        sign_in_on(page, user, password)

    return sign_in
