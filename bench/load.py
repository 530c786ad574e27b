"""Load test with Locust: caseworkers on the phone line and managers reviewing the overdue queue, many
at once, against gunicorn started as in production, on the national-scale data set of bench/scale.py.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/pace_cases_bench_scale
    .venv/bin/python bench/load.py                        # both scenarios, 60 s each; Markdown tables
    .venv/bin/python bench/load.py --flat-out-users 5 10 20 --duration 120   # more rates, longer
    .venv/bin/python bench/load.py --users 6 --managers 2 --flat-out-users 3 --duration 8   # CI's smoke

The database named by DATABASE_URL must be PostgreSQL with "bench" in its name and hold the data of
bench/scale.py --prepare. The run adds to it as people would: calls logged, flags acknowledged, the
audit trail's rows of every page read.

One command does it all, bounded in time, and stops everything it started (also when stopped):
1. Signs in the staff the run needs as bench/scale.py --run does (scale.signed_in: a session past the
   second factor), and writes their session keys, with each caseworker's first --families-each
   families as key worker (reference, carer's name, latest referral), to a file for Locust. Signing
   in (the password's hashing, the code) is not measured: a caseworker signs in once a day, not
   between calls.
2. gunicorn with the command of docker-compose.yml's web service (read from it: 3 workers, access
   log), bound to a free port on 127.0.0.1, with the production settings (DEBUG=0; a random
   SECRET_KEY, the one step 1 signed the sessions with) and the environment .ci/production-smoke
   gives it, but for Redis: as in bench/scale.py, tasks queued on commit go to Celery's filesystem
   broker in a scratch folder, so nothing is written anywhere but the database.
   DATABASE_REPLICA_URL is passed on when set. The static files are collected into the scratch
   folder first (most of a minute), unless --static-root names a folder already collected.
3. Locust, headless, in a process of its own on the same cores, each run --duration seconds with
   the statistics reset once every user has started (within 2 seconds):
   (a) --users people, --managers of them managers and the others caseworkers, each pausing --pause
       seconds (default 1) after every request;
   (b) --flat-out-users caseworkers with no pause (a run for each number given): the rate the
       caseworker mix holds, in requests a second.
4. Stops gunicorn, signs the staff of step 1 out (their sessions and sign-in rows removed) and
   prints a Markdown table for each run: requests, requests a second, p50 / p95 / max in ms as
   Locust's client saw them (queueing in gunicorn included; Locust rounds percentiles above 100 ms
   to two significant figures), errors, and the load average before and after. Exit status 1 if
   a request failed (any answer but the one expected, or a search by reference that did not show
   the family): each error is then listed with its page and URL, with the tracebacks gunicorn
   logged.

The caseworker mix, each on their own families: search as you type (a carer's name a few letters at
a time; a family's reference, which must be found), open a family, open its latest referral, My
work, and now and then log a call (the form, saved as a browser sends it, and the family page it
leads to). The manager's morning, over and over: the overdue queue, the queue of one of the local
authorities it offers, the delay figures, and one flag of the queue acknowledged with a note.
"""

import argparse
import csv
import http.cookiejar
import itertools
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urlsplit

if __name__ == "__main__":
    # This process signs the staff in and starts gunicorn and Locust, each in a process of its own:
    # it needs Locust's classes defined, not gevent's patching of the standard library.
    os.environ["LOCUST_SKIP_MONKEY_PATCH"] = "1"

from locust import FastHttpUser, events, task  # noqa: E402 - after the choice just above
from requests.cookies import create_cookie

ROOT = Path(__file__).resolve().parent.parent
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
CALL_SUMMARY = "Spoke with the parent about the week; agreed to ring again on Friday."
ACKNOWLEDGEMENT = "Rang the duty team; decision promised by Friday."
READY_SECONDS = 60


# ------------------------------------------------------------------ the pages, as a browser sends them


class PageForms(HTMLParser):
    """The forms of a page, each as a browser would send it untouched (its fields with their values,
    ``fields``) and the values its checkboxes, radio buttons and lists offer (``offers``)."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self._form = self._select = self._textarea = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name, value = attrs.get("name"), attrs.get("value") or ""
        if tag == "form":
            self._form = {"action": attrs.get("action") or "", "fields": [], "offers": {}}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                self._form["offers"].setdefault(name, []).append(value if "value" in attrs else "on")
                if "checked" in attrs:
                    self._form["fields"].append((name, value))
            elif kind not in ("submit", "button", "reset", "file", "image"):
                self._form["fields"].append((name, value))
        elif tag == "select" and name:
            self._select = {"name": name, "selected": None}
            self._form["offers"][name] = []
        elif tag == "option" and self._select is not None:
            self._form["offers"][self._select["name"]].append(value)
            if "selected" in attrs:
                self._select["selected"] = value
        elif tag == "textarea" and name:
            self._textarea = [name, ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "select" and self._select is not None:
            name, offered = self._select["name"], self._form["offers"][self._select["name"]]
            chosen = self._select["selected"] if self._select["selected"] is not None else next(iter(offered), None)
            if chosen is not None:
                self._form["fields"].append((name, chosen))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self._form["fields"].append(tuple(self._textarea))
            self._textarea = None
        elif tag == "form":
            self._form = None

    def having(self, field):
        """The first form with a field (or a choice) named ``field``, or None."""
        return next((form for form in self.forms
                     if field in form["offers"] or any(name == field for name, _ in form["fields"])), None)


def filled(form, values):
    """The form's own fields, with ``values`` in place of those of the same names, URL-encoded."""
    return urlencode([(name, value) for name, value in form["fields"] if name not in values] + list(values.items()))


# ------------------------------------------------------------------ the users (Locust imports this file)


@events.init_command_line_parser.add_listener
def _locust_arguments(parser):
    parser.add_argument("--people", default="", help="the file of signed-in staff that bench/load.py writes")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds each user waits after each request")
    parser.add_argument("--managers", type=int, default=1, help="how many of the users are managers")


@events.init.add_listener
def _fixed_managers(environment, **kwargs):
    if environment.parsed_options is not None:
        Manager.fixed_count = environment.parsed_options.managers


_staff = {}


def next_person(environment, kind):
    """The next signed-in person of ``kind`` ("caseworkers", "managers"), round and round."""
    if not _staff:
        people = json.loads(Path(environment.parsed_options.people).read_text())
        _staff["cookies"] = people["cookies"]
        for name in ("caseworkers", "managers"):
            _staff[name] = itertools.cycle(people[name])
    return _staff["cookies"], next(_staff[kind])


class PlainHttpCookiePolicy(http.cookiejar.DefaultCookiePolicy):
    """With DEBUG off the session and CSRF cookies are marked Secure, as they should be. Here the
    site is reached over plain HTTP on loopback (where the TLS proxy would stand), so they are sent
    back all the same (as .ci/production_smoke.py does)."""

    def return_ok_secure(self, cookie, request):
        return True


class SignedIn(FastHttpUser):
    abstract = True
    kind = ""

    def wait_time(self):
        return self.environment.parsed_options.pause

    def on_start(self):
        cookies, self.person = next_person(self.environment, self.kind)
        self.csrf_cookie = cookies["csrf"]
        self.client.cookiejar.set_policy(PlainHttpCookiePolicy())
        self.client.cookiejar.set_cookie(
            create_cookie(cookies["session"], self.person["session"], domain=urlsplit(self.host).hostname)
        )
        self.page("My work", "/")  # as after signing in; it also gives the CSRF cookie

    def page(self, name, path, *, method="GET", body=None, headers=None, expect=200, must_show=None):
        """One request, a failure unless it answers ``expect`` (and shows ``must_show``); the response."""
        with self.client.request(method, path, name=name, data=body, headers=headers, allow_redirects=False,
                                 catch_response=True) as response:
            if response.status_code != expect:
                response.failure(f"answered {response.status_code} (expected {expect}) at {path}")
            elif must_show is not None and must_show not in (response.text or ""):
                response.failure(f"did not show {must_show!r}")
            return response

    def post(self, name, path, body, **kwargs):
        return self.page(name, path, method="POST", body=body, headers=FORM | kwargs.pop("headers", {}), **kwargs)

    def csrf_token(self):
        return next((cookie.value for cookie in self.client.cookiejar if cookie.name == self.csrf_cookie), "")


class Caseworker(SignedIn):
    """On the phone line: finds the caller's family, reads it, logs the call."""

    kind = "caseworkers"

    def family(self):
        return random.choice(self.person["families"])  # noqa: S311 - a load test's choice

    def search(self, name, text, must_show=None):
        # As htmx sends the search box: its own header, the CSRF token in a header.
        headers = {"HX-Request": "true", "X-CSRFToken": self.csrf_token()}
        self.post(name, "/families/search/", urlencode({"q": text}), headers=headers, must_show=must_show)

    @task(3)
    def search_by_name(self):
        family = self.family()
        typed = f"{family['first_name']} {family['last_name']}"
        first = len(family["first_name"])
        stops = sorted({min(length, len(typed)) for length in (3, first, first + 4, len(typed))})
        for i, length in enumerate(stops):
            if i:
                self.wait()
            self.search("search as you type: a name", typed[:length])

    @task(2)
    def search_by_reference(self):
        family = self.family()
        reference = family["reference"]
        self.search("search as you type: a reference", reference[: len(reference) // 2])
        self.wait()
        self.search("search as you type: a reference", reference, must_show=reference)

    @task(4)
    def open_family(self):
        self.page("family page", f"/families/{self.family()['id']}/")

    @task(2)
    def open_referral(self):
        family = self.family()
        self.page("referral page", f"/families/{family['id']}/referrals/{family['referral']}/")

    @task(2)
    def my_work(self):
        self.page("My work", "/")

    @task(1)
    def log_call(self):
        family = self.family()
        path = f"/families/{family['id']}/calls/new/"
        response = self.page("log a call: the form", path)
        form = PageForms(response.text or "").having("contact-summary")
        if form is None:
            return  # the page failed, and says so in the statistics
        self.wait()
        self.post("log a call: saved", path, filled(form, {"contact-summary": CALL_SUMMARY,
                                                           "contact-duration_minutes": "15"}), expect=302)
        self.page("family page", f"/families/{family['id']}/")  # where the browser is sent


class Manager(SignedIn):
    """The morning's review: the overdue queue, one authority's, the delay figures, an acknowledgement."""

    kind = "managers"  # as many as --managers (fixed_count); the other users are caseworkers

    @task
    def morning(self):
        queue = PageForms(self.page("overdue queue", "/overdue/").text or "")
        self.wait()
        form = queue.having("local_authority")
        offered = [value for value in (form["offers"]["local_authority"] if form else []) if value]
        if offered:
            self.page("overdue queue, one local authority",
                      "/overdue/?" + urlencode({"local_authority": random.choice(offered)}))  # noqa: S311
            self.wait()
        self.page("delay figures", "/figures/")
        self.wait()
        form = queue.having("flags")
        if form and form["offers"]["flags"]:
            flag = random.choice(form["offers"]["flags"])  # noqa: S311 - a load test's choice
            self.post("acknowledge a flag", "/overdue/", filled(form, {"flags": flag, "note": ACKNOWLEDGEMENT}),
                      expect=302)
            self.page("overdue queue", "/overdue/")  # where the browser is sent


# ------------------------------------------------------------------ the run (python bench/load.py)


def sign_in_staff(caseworkers_wanted, managers_wanted, families_each):
    """The session keys of the caseworkers and managers, and each caseworker's first families."""
    from django.conf import settings
    from django.db.models import F, OuterRef, Subquery, Window
    from django.db.models.functions import RowNumber
    from scale import EMAIL_DOMAIN, signed_in

    from families.models import Family, Membership, Person, Role
    from referrals.models import Referral
    from staff.models import User

    def people(role, wanted):
        bench = User.objects.filter(email__endswith="@" + EMAIL_DOMAIN, is_active=True)
        ids = (Membership.objects.filter(role=role, user__in=bench).exclude(user__email__startswith="national.")
               .order_by("user_id").values_list("user_id", flat=True).distinct()[:wanted])
        return list(User.objects.filter(pk__in=list(ids)).order_by("pk"))

    caseworkers, managers = people(Role.CASEWORKER, caseworkers_wanted), people(Role.MANAGER, managers_wanted)
    if not caseworkers or not managers:
        sys.exit("No bench caseworkers or managers: has bench/scale.py --prepare been run on this database?")
    carer = Person.objects.filter(family=OuterRef("pk"), kind=Person.Kind.CARER).order_by("pk")
    rows = (
        Family.objects.filter(key_worker__in=caseworkers)
        .annotate(rank=Window(RowNumber(), partition_by=F("key_worker_id"), order_by=F("pk").asc()))
        .filter(rank__lte=families_each)
        .annotate(
            first_name=Subquery(carer.values("first_name")[:1]),
            last_name=Subquery(carer.values("last_name")[:1]),
            referral=Subquery(Referral.objects.filter(family=OuterRef("pk")).order_by("-created_at").values("pk")[:1]),
        )
        .values("key_worker_id", "id", "reference", "first_name", "last_name", "referral")
    )
    families = {}
    for row in rows:
        if row["referral"] and row["first_name"]:
            families.setdefault(row.pop("key_worker_id"), []).append(row)

    def session(user):
        return signed_in(user).cookies[settings.SESSION_COOKIE_NAME].value

    return {
        "cookies": {"session": settings.SESSION_COOKIE_NAME, "csrf": settings.CSRF_COOKIE_NAME},
        "caseworkers": [{"email": u.email, "session": session(u), "families": families[u.pk]}
                        for u in caseworkers if u.pk in families],
        "managers": [{"email": u.email, "session": session(u)} for u in managers],
    }


def sign_out_staff(people):
    from django.contrib.sessions.models import Session
    from django.db import connection

    from staff.models import SignIn

    connection.close()  # reconnect: the run may have outlasted the idle connection
    keys = [person["session"] for name in ("caseworkers", "managers") for person in people[name]]
    SignIn.objects.filter(session_key__in=keys).delete()
    Session.objects.filter(session_key__in=keys).delete()


def web_command(address):
    """The command of docker-compose.yml's web service (gunicorn), bound to ``address`` instead."""
    line = next((line for line in (ROOT / "docker-compose.yml").read_text().splitlines()
                 if line.strip().startswith('command: ["gunicorn"')), None)
    if line is None:
        sys.exit("docker-compose.yml has no web command starting with gunicorn.")
    command = json.loads(line.split(":", 1)[1])
    command[command.index("--bind") + 1] = address
    return command


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """gunicorn in its own process group, logging to ``log``; stopped with the group."""

    def __init__(self, work, secret_key, database_url, static_root):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.command = web_command(f"127.0.0.1:{self.port}")
        self.collect = static_root is None
        self.log = work / "gunicorn.log"
        bin_dir = Path(sys.executable).parent
        self.env = {
            "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin", "HOME": str(work), "LANG": "C.UTF-8",
            "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1",
            "DEBUG": "0", "SECRET_KEY": secret_key, "DATABASE_URL": database_url, "DATABASE_CONN_MAX_AGE": "60",
            "ALLOWED_HOSTS": "127.0.0.1", "SITE_URL": self.url, "CSRF_TRUSTED_ORIGINS": self.url,
            "SECURE_SSL_REDIRECT": "0", "PACE_DATA_DIR": str(work / "data"),
            "STATIC_ROOT": str(work / "static" if static_root is None else static_root),
        }
        if os.environ.get("DATABASE_REPLICA_URL"):
            self.env["DATABASE_REPLICA_URL"] = os.environ["DATABASE_REPLICA_URL"]
        (work / "data").mkdir()
        self.bin_dir = bin_dir
        self.process = None

    def start(self):
        if self.collect:
            collected = subprocess.run(  # noqa: S603 - our own venv's python, fixed arguments
                [str(self.bin_dir / "python"), "manage.py", "collectstatic", "--noinput", "-v", "0"],
                cwd=ROOT, env=self.env, capture_output=True, text=True, check=False,
            )
            if collected.returncode:
                sys.exit(f"collectstatic failed:\n{collected.stdout}{collected.stderr}")
        with self.log.open("w") as log:
            self.process = subprocess.Popen(  # noqa: S603 - the compose file's command, from our own venv
                [str(self.bin_dir / self.command[0]), *self.command[1:]],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"gunicorn stopped at start-up:\n{self.log.read_text()[-4000:]}")
            try:
                with urllib.request.urlopen(self.url + "/accounts/login/", timeout=5):  # noqa: S310 - our own http URL
                    return
            except urllib.error.HTTPError:
                return  # it answers
            except OSError:
                time.sleep(0.25)
        self.stop()
        sys.exit(f"gunicorn did not answer within {READY_SECONDS} s:\n{self.log.read_text()[-4000:]}")

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def tracebacks(self, most=3, tail=30):
        """The errors gunicorn logged, grouped by their last line (the exception): the first ``most``,
        each with how often it happened, its first line (the URL) and the end of its traceback."""
        lines = self.log.read_text(errors="replace").splitlines()
        errors = {}
        for start in (i for i, line in enumerate(lines) if line.startswith("Internal Server Error")):
            end = next((j for j in range(start + 1, len(lines))
                        if lines[j].startswith(("127.0.0.1 - ", "Internal Server Error"))), len(lines))
            errors.setdefault(lines[end - 1], []).append(lines[start:end])
        return [f"{len(same)} times, the first: {same[0][0]}\n  …\n" + "\n".join(same[0][1:][-tail:])
                for same in list(errors.values())[:most]]


def load_average():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def locust(work, label, host, people_file, users, pause, duration, managers, classes):
    """One headless Locust run; its statistics (name → CSV row, "Aggregated" the total) and failures."""
    prefix = work / label
    command = [
        sys.executable, "-m", "locust", "-f", str(Path(__file__).resolve()), "--headless",
        "--users", str(users), "--spawn-rate", str(max(1, users / 2)), "--run-time", f"{duration}s",
        "--stop-timeout", "10", "--reset-stats", "--only-summary", "--loglevel", "WARNING",
        "--host", host, "--csv", str(prefix), "--people", str(people_file), "--pause", str(pause),
        "--managers", str(managers), *classes,
    ]
    env = {name: value for name, value in os.environ.items() if name != "LOCUST_SKIP_MONKEY_PATCH"}
    load_before = load_average()
    with (work / f"{label}.log").open("w") as log:
        finished = subprocess.run(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,  # noqa: S603
                                  check=False, timeout=duration + 120)
    load_after = load_average()
    stats_file = prefix.with_name(prefix.name + "_stats.csv")
    if not stats_file.exists():
        sys.exit(f"Locust wrote no statistics (exit {finished.returncode}):\n{(work / f'{label}.log').read_text()}")
    with stats_file.open() as f:
        stats = {row["Name"]: row for row in csv.DictReader(f)}
    with prefix.with_name(prefix.name + "_failures.csv").open() as f:
        failures = list(csv.DictReader(f))
    warnings = [line for line in (work / f"{label}.log").read_text().splitlines() if "CPU usage" in line]
    return {"stats": stats, "failures": failures, "warnings": warnings, "load": (load_before, load_after),
            "exit": finished.returncode}


def table(label, result):
    lines = [f"**{label}** (load average before {result['load'][0]}, after {result['load'][1]})", "",
             "| page | requests | requests/s | p50 ms | p95 ms | max ms | errors |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    rows = sorted(result["stats"].values(), key=lambda row: (row["Name"] == "Aggregated", row["Name"]))
    for row in rows:
        name = "**all**" if row["Name"] == "Aggregated" else row["Name"]
        lines.append(f"| {name} | {int(row['Request Count']):,} | {float(row['Requests/s']):.1f} | {row['50%']} | "
                     f"{row['95%']} | {float(row['Max Response Time']):.0f} | {row['Failure Count']} |")
    return "\n".join(lines + [f"\n{warning}" for warning in result["warnings"]])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50, help="scenario (a): people at once (default 50)")
    parser.add_argument("--managers", type=int, default=5, help="scenario (a): how many are managers (default 5)")
    parser.add_argument("--pause", type=float, default=1.0,
                        help="scenario (a): seconds each waits after each request (default 1)")
    parser.add_argument("--flat-out-users", type=int, nargs="*", default=[10],
                        help="scenario (b): caseworkers with no pause, one run per number (default 10)")
    parser.add_argument("--duration", type=int, default=60, help="seconds of each run (default 60)")
    parser.add_argument("--static-root", type=Path,
                        help="static files already collected with DEBUG=0 (default: collected into a scratch folder)")
    parser.add_argument("--families-each", type=int, default=20,
                        help="the families each caseworker works on, their first by id (default 20)")
    args = parser.parse_args()
    if not 0 < args.managers < args.users:
        parser.error("--managers must be at least 1 and fewer than --users")
    if args.static_root and not (args.static_root / "staticfiles.json").exists():
        parser.error(f"--static-root: no staticfiles.json in {args.static_root} (collectstatic with DEBUG=0)")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    # The sibling script's checks of DATABASE_URL ("bench" in the name: the run writes to it) and its
    # Django set-up (no Redis, a scratch broker).
    from overdue_job import database_url as checked_database
    from overdue_job import setup_django

    _, name = checked_database()
    database_url = os.environ["DATABASE_URL"]
    # Stopped (CI's time limit, Ctrl-C), it still stops gunicorn and signs the staff out.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))

    secret_key = secrets.token_urlsafe(50)
    os.environ["SECRET_KEY"] = secret_key  # the sessions made here must be valid in gunicorn
    setup_django()
    from django.db import connection

    from families.models import Family

    print(f"{name}: {Family.objects.count():,} families; load average {load_average()}", flush=True)
    caseworkers_wanted = max([args.users - args.managers, *args.flat_out_users])
    started = time.perf_counter()
    people = sign_in_staff(caseworkers_wanted, args.managers, args.families_each)
    print(f"signed in {len(people['caseworkers'])} caseworkers and {len(people['managers'])} managers "
          f"in {time.perf_counter() - started:.1f} s", flush=True)
    connection.close()
    scenarios = [(f"(a) {args.users} users ({args.users - args.managers} caseworkers, {args.managers} managers), "
                  f"{args.pause:g} s pause after each request", "a", args.users, args.pause, ["Caseworker", "Manager"])]
    scenarios += [(f"(b) {n} caseworkers, no pause", f"b{n}", n, 0, ["Caseworker"]) for n in args.flat_out_users]
    results, tracebacks = [], []
    try:
        with tempfile.TemporaryDirectory(prefix="pace-load-") as scratch:
            work = Path(scratch)
            people_file = work / "people.json"
            people_file.write_text(json.dumps(people))
            web = Gunicorn(work, secret_key, database_url, args.static_root and args.static_root.resolve())
            try:
                started = time.perf_counter()
                web.start()
                print(f"{' '.join(web.command)}, DEBUG=0: answering after {time.perf_counter() - started:.0f} s"
                      f"{' (collectstatic included)' if web.collect else ''}", flush=True)
                for label, key, users, pause, classes in scenarios:
                    print(f"{label}: {args.duration} s …", flush=True)
                    results.append((label, locust(work, key, web.url, people_file, users, pause, args.duration,
                                                  args.managers, classes)))
            finally:
                web.stop()
            tracebacks = web.tracebacks()
    finally:
        sign_out_staff(people)

    print()
    for label, result in results:
        print(table(label, result), end="\n\n")
    failed = [(label, result) for label, result in results if result["failures"] or result["exit"]
              or int(result["stats"].get("Aggregated", {}).get("Request Count", 0)) == 0]
    if failed:
        print("Errors:")
        for label, result in failed:
            for row in result["failures"]:
                print(f"- {label}: {row['Method']} {row['Name']}: {row['Error']} ({row['Occurrences']} times)")
            if not result["failures"]:
                print(f"- {label}: Locust exited {result['exit']} with {result['stats'].get('Aggregated')}")
        for text in tracebacks:
            print(f"\n{text}")
        sys.exit(1)


if __name__ == "__main__":
    main()
