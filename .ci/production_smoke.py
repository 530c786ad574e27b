"""The Python half of .ci/production-smoke: an SMTP sink, and a person using the site.

    production_smoke.py smtp-sink --port PORT --mail-dir DIR
        Accepts every message on 127.0.0.1:PORT and writes each to DIR as a .eml file.

    production_smoke.py drive --base-url URL --mail-dir DIR --email E --wait SECONDS
        Signs in through the sign-in form (password in SMOKE_ADMIN_PASSWORD), sets up the second
        factor as a new person does (reads the key off the set-up page, types the code an app
        would show, sees the recovery codes), signs out and in again with a code, adds a family
        and records a referral whose decision is long overdue, all through the site's forms
        over HTTP, then waits for Celery beat's overdue job to put the family on the overdue
        queue and for the worker's e-mail to reach the sink.

Only the standard library and aiosmtpd (in requirements-dev.txt): this runs from the
development virtualenv, while the application runs from one holding requirements.txt alone.
"""

import argparse
import base64
import datetime
import email
import email.policy
import hashlib
import hmac
import http.cookiejar
import os
import re
import struct
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

# Names the e-mail must never contain: only family references leave the application.
CARER = ("Smoke", "Carer")
CHILD = ("Smoke", "Child")
POLL_SECONDS = 3


class SmokeFailure(Exception):
    pass


# ------------------------------------------------------------------ SMTP sink


def smtp_sink(port: int, mail_dir: Path) -> None:
    from aiosmtpd.controller import Controller

    mail_dir.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 1_000_000))

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
            path = mail_dir / f"{next(counter):04d}.eml"
            # Written under another name and renamed, so the driver never reads half a message.
            partial = path.with_suffix(".partial")
            partial.write_bytes(envelope.original_content or envelope.content)
            partial.rename(path)
            print(f"smtp-sink: message from {envelope.mail_from} to {', '.join(envelope.rcpt_tos)}", flush=True)
            return "250 Message accepted"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"smtp-sink: listening on 127.0.0.1:{port}", flush=True)
    try:
        threading.Event().wait()
    finally:
        controller.stop()


# ------------------------------------------------------------------ forms


class FormParser(HTMLParser):
    """The <form> elements of a page, each with the values a browser would submit unchanged."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self._form = None
        self._select = None
        self._option = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = {"action": attrs.get("action", ""), "method": attrs.get("method", "get").lower(),
                          "fields": [], "names": set(), "options": {}}
            self.forms.append(self._form)
        if self._form is None:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            self._form["names"].add(name)
            kind = attrs.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                self._form["options"].setdefault(name, []).append((attrs.get("value", "on"), ""))
                if "checked" in attrs:
                    self._form["fields"].append((name, attrs.get("value", "on")))
            elif kind not in ("submit", "button", "reset", "file", "image"):
                self._form["fields"].append((name, attrs.get("value", "")))
        elif tag == "select" and name:
            self._form["names"].add(name)
            self._select = {"name": name, "options": [], "selected": None}
        elif tag == "option" and self._select is not None:
            self._option = [attrs.get("value"), ""]
            if "selected" in attrs:
                self._select["selected"] = self._option
        elif tag == "textarea" and name:
            self._form["names"].add(name)
            self._textarea = [name, ""]

    def handle_data(self, data):
        if self._option is not None:
            self._option[1] += data
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "option" and self._option is not None:
            value, label = self._option
            self._select["options"].append((label.strip() if value is None else value, label.strip()))
            self._option = None
        elif tag == "select" and self._select is not None:
            select, self._select = self._select, None
            self._form["options"][select["name"]] = select["options"]
            chosen = select["selected"] or (select["options"][0] if select["options"] else None)
            if chosen is not None:
                value = chosen[1].strip() if chosen[0] is None else chosen[0]
                self._form["fields"].append((select["name"], value))
        elif tag == "textarea" and self._textarea is not None:
            self._form["fields"].append(tuple(self._textarea))
            self._textarea = None
        elif tag == "form":
            self._form = None


def form_with(html: str, field: str) -> dict:
    parser = FormParser()
    parser.feed(html)
    for form in parser.forms:
        if field in form["names"]:
            return form
    raise SmokeFailure(f"no form with a field {field!r} on the page")


def first_choice(form: dict, field: str) -> str:
    for value, _label in form["options"].get(field, []):
        if value:
            return value
    raise SmokeFailure(f"the field {field!r} offers no choice")


def fill(form: dict, values: dict) -> list[tuple[str, str]]:
    """The form's own values, with ``values`` put in their place (a list value: several checked)."""
    fields = [(name, value) for name, value in form["fields"] if name not in values]
    for name, value in values.items():
        for item in value if isinstance(value, list) else [value]:
            fields.append((name, item))
    return fields


# ------------------------------------------------------------------ HTTP


class PlainHttpCookiePolicy(http.cookiejar.DefaultCookiePolicy):
    """With DEBUG off the session and CSRF cookies are marked Secure, as they should be. Here the
    site is reached over plain HTTP on loopback (where the TLS proxy would stand), so they are
    sent back all the same."""

    def return_ok_secure(self, cookie, request):
        return True


class Site:
    def __init__(self, base_url: str):
        if not base_url.startswith(("http://", "https://")):
            raise SmokeFailure(f"not a web address: {base_url}")
        self.base_url = base_url.rstrip("/")
        self.cookies = http.cookiejar.CookieJar(policy=PlainHttpCookiePolicy())
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def request(self, path: str, data=None) -> tuple[str, str]:
        """GET (or POST ``data``) and follow redirects; returns the final URL's path and the page."""
        url = urllib.parse.urljoin(self.base_url + "/", path.lstrip("/"))
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        # The base URL is checked to be http(s) in __init__.
        request = urllib.request.Request(url, data=body, headers={"Referer": url})  # noqa: S310
        try:
            with self.opener.open(request, timeout=30) as response:
                return urllib.parse.urlsplit(response.geturl()).path, response.read().decode()
        except urllib.error.HTTPError as error:
            raise SmokeFailure(f"{'POST' if body else 'GET'} {path} answered {error.code}") from None

    def post_form(self, page_path: str, field: str, values: dict) -> tuple[str, str]:
        _path, html = self.request(page_path)
        form = form_with(html, field)
        action = form["action"] or page_path
        values = {key: value(form) if callable(value) else value for key, value in values.items()}
        return self.request(action, fill(form, values))


def errors_on(html: str) -> str:
    found = re.findall(r'class="[^"]*invalid-feedback[^"]*"[^>]*>\s*(?:<strong>)?([^<]+)', html)
    return "; ".join(text.strip() for text in found) or "no error shown"


# ------------------------------------------------------------------ the second factor


def totp_code(base32_key: str, at: float | None = None, step: int = 30, digits: int = 6) -> str:
    """The code an authenticator app shows for this key (RFC 6238 with SHA-1, as the site's apps use)."""
    key = base32_key.replace(" ", "").upper()
    secret = base64.b32decode(key + "=" * (-len(key) % 8))
    counter = int((time.time() if at is None else at) // step)
    digest = hmac.new(secret, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def key_on(html: str) -> str:
    found = re.search(r'<code id="two-factor-key"[^>]*>([A-Z2-7 ]+)</code>', html)
    if not found:
        raise SmokeFailure("the second-factor set-up page shows no key to type")
    return found.group(1)


def set_up_second_factor(site: "Site", path: str, html: str) -> str:
    """On the set-up page signing in led to: confirm an app with the key shown. Returns the key."""
    if not path.startswith("/accounts/two-factor/set-up/"):
        raise SmokeFailure(f"signing in did not ask to set up a second factor (at {path})")
    key = key_on(html)
    path, html = site.post_form(path, "code", {"code": totp_code(key)})
    if "Your recovery codes" not in html or len(re.findall(r"<li>[a-z2-7]{4}-[a-z2-7]{4}</li>", html)) != 10:
        raise SmokeFailure(f"confirming the app did not show ten recovery codes: {errors_on(html)}")
    return key


def sign_out(site: "Site") -> None:
    _path, html = site.request("/")
    parser = FormParser()
    parser.feed(html)
    form = next((form for form in parser.forms if form["action"] == "/accounts/logout/"), None)
    if form is None:
        raise SmokeFailure("My work has no sign-out button")
    site.request(form["action"], form["fields"])


def type_code(site: "Site", path: str, html: str, key: str) -> str:
    """On the code page signing in led to: type the code for the next time step the site has not seen
    (the one just used to set up is refused, as it should be). Returns the page it led to."""
    if not path.startswith("/accounts/two-factor/"):
        raise SmokeFailure(f"signing in again did not ask for a code (at {path})")
    time.sleep(30 - time.time() % 30 + 0.5)
    path, html = site.post_form(path, "code", {"code": totp_code(key)})
    if path.startswith("/accounts/two-factor/"):
        raise SmokeFailure(f"the code was refused: {errors_on(html)}")
    return path


# ------------------------------------------------------------------ the person


def referral_moment(today: datetime.date) -> datetime.datetime:
    """A weekday about two weeks ago, mid-morning: its decision (due a working day later) is overdue
    whatever the bank holidays, and late by far more than twice the time allowed."""
    day = today - datetime.timedelta(days=14)
    while day.weekday() >= 5:
        day -= datetime.timedelta(days=1)
    return datetime.datetime.combine(day, datetime.time(10, 0))


def check_alive(pids: dict[str, int]) -> None:
    for name, pid in pids.items():
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            raise SmokeFailure(f"the {name} process ({pid}) has stopped") from None


def wait_until(what: str, seconds: float, pids: dict[str, int], probe):
    start = time.monotonic()
    while True:
        check_alive(pids)
        found = probe()
        if found:
            print(f"  {what}: after {time.monotonic() - start:.0f}s", flush=True)
            return found
        if time.monotonic() - start > seconds:
            raise SmokeFailure(f"waited {seconds:.0f}s for {what}, in vain")
        time.sleep(POLL_SECONDS)


def overdue_email(mail_dir: Path, recipient: str):
    for path in sorted(mail_dir.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        subject = str(message["Subject"] or "")
        if subject.startswith(("Overdue", "Very late")) and recipient in str(message["To"] or ""):
            return path, message
    return None


def drive(args) -> None:
    pids = {name: int(pid) for name, pid in (item.split(":") for item in args.pids.split(",") if item)}
    site = Site(args.base_url)
    password = os.environ["SMOKE_ADMIN_PASSWORD"]

    path, html = site.post_form("/accounts/login/", "username", {"username": args.email, "password": password})
    if path.startswith("/accounts/login/"):
        raise SmokeFailure(f"signing in as {args.email} failed: {errors_on(html)}")
    key = set_up_second_factor(site, path, html)
    print(f"  signed in as {args.email} through the sign-in form and set up the second factor", flush=True)

    sign_out(site)
    if site.request("/")[0] != "/accounts/login/":
        raise SmokeFailure("signing out did not sign out")
    path, html = site.post_form("/accounts/login/", "username", {"username": args.email, "password": password})
    path = type_code(site, path, html, key)
    _path, html = site.request(path)
    if "not in a team" in html:
        raise SmokeFailure("the new administrator is in no team")
    print("  signed out, and in again with the password and a code", flush=True)

    path, html = site.post_form("/families/new/", "family-source", {
        # Choices are read off the form: whatever the first one offered is.
        "family-source": lambda form: first_choice(form, "family-source"),
        "family-local_authority": lambda form: first_choice(form, "family-local_authority"),
        "carer-first_name": CARER[0], "carer-last_name": CARER[1], "carer-phone": "07700 900123",
        "child-first_name": CHILD[0], "child-last_name": CHILD[1],
        "child-risk_level": lambda form: first_choice(form, "child-risk_level"),
    })
    match = re.fullmatch(r"/families/(\d+)/", path)
    if not match:
        raise SmokeFailure(f"adding a family did not lead to its page (at {path}): {errors_on(html)}")
    family_path = path
    reference = re.search(r"Family (F-\d+) added", html)
    reference = reference.group(1) if reference else re.search(r"\bF-\d{6}\b", html).group(0)
    print(f"  added family {reference} through the new-family form", flush=True)

    made_at = referral_moment(datetime.datetime.now(ZoneInfo("Europe/London")).date())
    # Typed as a person types it: day, month and year boxes and a time box.
    path, html = site.post_form(family_path + "referrals/new/", "referral_made_at_day", {
        "referral_made_at_day": str(made_at.day),
        "referral_made_at_month": str(made_at.month),
        "referral_made_at_year": str(made_at.year),
        "referral_made_at_time": made_at.strftime("%H:%M"),
        "referred_by": lambda form: first_choice(form, "referred_by"),
        "local_authority": lambda form: dict(form["fields"]).get("local_authority")
        or first_choice(form, "local_authority"),
        "children": lambda form: [value for value, _label in form["options"].get("children", [])],
    })
    if not re.fullmatch(rf"{re.escape(family_path)}referrals/\d+/", path):
        raise SmokeFailure(f"recording the referral did not lead to its page (at {path}): {errors_on(html)}")
    print(f"  recorded a referral made {made_at:%a %d %b %Y %H:%M} (Europe/London): its decision is overdue",
          flush=True)

    wait_until(f"family {reference} on the overdue queue (/overdue/)", args.wait, pids,
               lambda: reference in site.request("/overdue/")[1])
    # The export reads through the replica alias (DATABASE_REPLICA_URL names the same database here).
    _path, csv_text = site.request("/overdue/export.csv")
    if reference not in csv_text:
        raise SmokeFailure(f"the overdue queue's export does not list family {reference}")
    print(f"  the overdue queue's export (read from the replica) lists family {reference}", flush=True)
    path, message = wait_until(f"the overdue e-mail to {args.email} at the SMTP sink", args.wait, pids,
                               lambda: overdue_email(Path(args.mail_dir), args.email))
    body = message.get_body(preferencelist=("plain",)).get_content()
    print(f"  e-mail {path.name}: {message['Subject']!r}", flush=True)
    if reference not in body:
        raise SmokeFailure(f"the e-mail does not name family {reference}:\n{body}")
    if any(name in body for name in (CARER[1], CHILD[1], f"{CHILD[0]} ")):
        raise SmokeFailure(f"the e-mail names a family member:\n{body}")
    if args.base_url.rstrip("/") not in body:
        raise SmokeFailure(f"the e-mail's link is not to SITE_URL ({args.base_url}):\n{body}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    sink = commands.add_parser("smtp-sink")
    sink.add_argument("--port", type=int, required=True)
    sink.add_argument("--mail-dir", type=Path, required=True)
    run = commands.add_parser("drive")
    run.add_argument("--base-url", required=True)
    run.add_argument("--mail-dir", required=True)
    run.add_argument("--email", required=True)
    run.add_argument("--wait", type=float, default=150)
    run.add_argument("--pids", default="", help="name:pid,… of the processes that must stay up")
    args = parser.parse_args()
    if args.command == "smtp-sink":
        smtp_sink(args.port, args.mail_dir)
        return 0
    try:
        drive(args)
    except SmokeFailure as failure:
        print(f"production smoke: {failure}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
