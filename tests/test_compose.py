"""docker-compose.yml passes on every setting README's configuration table documents.

A variable documented in README but missing from the compose file's shared environment
would be set in .env, read by nobody, and silently left at its default in production.
Read as text (no YAML library is installed): the shared environment is the indented
block under ``x-app-environment``.
"""

import json
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Documented variables that compose does not take from the host, and why.
SET_BY_COMPOSE_OR_IMAGE = {
    "PACE_DATA_DIR": "the image sets it (Dockerfile ENV) to a folder inside the container",
    "STATIC_ROOT": "the image sets it (Dockerfile ENV): static files are built into the image",
    "DATABASE_URL": "compose builds it for its own db service, from POSTGRES_PASSWORD",
    "REDIS_URL": "compose points it at its own redis service",
}
# Passed on, but with a fixed value rather than the host's.
FIXED_IN_COMPOSE = {"DEBUG": "0"}
# Compose's own variables: they configure its services, not the application.
COMPOSE_ONLY = {"POSTGRES_PASSWORD"}


def readme_variables() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = re.search(r"^## Configuration\n(.*?)^## ", text, flags=re.S | re.M)
    assert section, "README.md has no '## Configuration' section"
    names = re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", section.group(1), flags=re.M)
    assert len(names) > 20, "README's configuration table was not found or has changed shape"
    return names


def compose_text() -> str:
    return (ROOT / "docker-compose.yml").read_text()


def compose_app_environment() -> dict[str, str]:
    block = re.search(r"^x-app-environment: &app-environment\n((?:  .*\n|\s*\n)+)", compose_text(), flags=re.M)
    assert block, "docker-compose.yml has no x-app-environment block"
    return dict(re.findall(r"^  ([A-Z][A-Z0-9_]*): (.*)$", block.group(1), flags=re.M))


def compose_service(name: str) -> str:
    service = re.search(rf"^  {name}:\n((?:    .*\n|\s*\n)+)", compose_text(), flags=re.M)
    assert service, f"docker-compose.yml has no {name} service"
    return service.group(1)


@pytest.mark.parametrize("name", [n for n in readme_variables() if n not in SET_BY_COMPOSE_OR_IMAGE])
def test_every_documented_variable_is_passed_on_from_the_host(name):
    environment = compose_app_environment()
    assert name in environment, f"{name} is in README's table but not in docker-compose.yml's x-app-environment"
    if name in FIXED_IN_COMPOSE:
        assert environment[name].strip('"') == FIXED_IN_COMPOSE[name]
    else:
        assert environment[name].startswith("${" + name + ":"), (
            f"{name} in docker-compose.yml should be taken from the host: ${{{name}:-…}}, not {environment[name]}"
        )


def test_the_exceptions_are_documented_and_set_where_the_reason_says():
    documented = set(readme_variables())
    assert set(SET_BY_COMPOSE_OR_IMAGE) <= documented, "an exception no longer in README: remove it from the list"
    environment = compose_app_environment()
    assert environment["DATABASE_URL"].startswith("postgres://pace:${POSTGRES_PASSWORD")
    assert environment["REDIS_URL"] == "redis://redis:6379/0"
    dockerfile = (ROOT / "Dockerfile").read_text()
    for name in ("PACE_DATA_DIR", "STATIC_ROOT"):
        assert re.search(rf"^\s+{name}=/app/", dockerfile, flags=re.M), f"the Dockerfile no longer sets {name}"


def test_compose_passes_on_nothing_undocumented():
    undocumented = set(compose_app_environment()) - set(readme_variables()) - COMPOSE_ONLY
    assert not undocumented, f"add these to README's configuration table: {sorted(undocumented)}"


def test_the_worker_and_the_mailer_consume_the_queues_the_settings_name():
    worker, mailer = compose_service("worker"), compose_service("mailer")
    assert (
        '"worker", "-Q", "${CELERY_TASK_DEFAULT_QUEUE:-celery},${CELERY_DEADLINES_QUEUE:-deadlines},'
        '${CELERY_REPORTS_QUEUE:-reports}"'
    ) in worker
    assert '"worker", "-Q", "${CELERY_MAIL_QUEUE:-mail}", "--concurrency", "1"' in mailer
    for service in (worker, mailer):
        assert "condition: service_completed_successfully" in service


# ------------------------------------------------------------------ every queue has a worker

QUEUE_SETTINGS = ("CELERY_TASK_DEFAULT_QUEUE", "CELERY_DEADLINES_QUEUE", "CELERY_MAIL_QUEUE", "CELERY_REPORTS_QUEUE")


def expand(text: str, variables: dict[str, str] | None = None) -> str:
    """``${NAME:-default}`` read as the settings read NAME (and ``$NAME`` from ``variables``)."""
    from django.conf import settings

    def setting(match):
        name, default = match.group(1), match.group(2)
        assert name in QUEUE_SETTINGS, f"{name} names no queue setting"
        if not os.environ.get(name):
            assert default == getattr(settings, name), f"{name}'s default here is not the settings' default"
        return getattr(settings, name)

    text = re.sub(r"\$\{([A-Z_]+):-([^}]*)\}", setting, text)
    for name, value in (variables or {}).items():
        text = text.replace(f"${name}", value)
    assert "$" not in text, f"an unknown variable in {text!r}"
    return text


def compose_worker_queues() -> dict[str, set[str]]:
    services = re.findall(r"^  ([a-z][a-z0-9_-]*):\n((?:    .*\n|\s*\n)+)", compose_text(), flags=re.M)
    queues = {}
    for name, block in services:
        command = re.search(r"^    command: (\[.*\])$", block, flags=re.M)
        if not command:
            continue
        words = json.loads(command.group(1))
        if words[:4] == ["celery", "-A", "pace_cases", "worker"]:
            assert "-Q" in words, f"the {name} service consumes no named queue"
            queues[name] = set(expand(words[words.index("-Q") + 1]).split(","))
    return queues


def procfile_worker_queues() -> dict[str, set[str]]:
    queues = {}
    for line in (ROOT / "Procfile.dev").read_text().splitlines():
        name, _, command = line.partition(":")
        if line.startswith("#") or " worker " not in command:
            continue
        found = re.search(r" -Q (\S+)", command)
        assert found, f"Procfile.dev's {name} consumes no named queue"
        queues[name] = set(expand(found.group(1)).split(","))
    return queues


def production_smoke_worker_queues() -> dict[str, set[str]]:
    text = (ROOT / ".ci" / "production-smoke").read_text()
    variables = dict(re.findall(r'^([A-Z_]+_QUEUE)="(\$\{[A-Z_]+:-[^}]*\})"$', text, flags=re.M))
    variables = {name: expand(value) for name, value in variables.items()}
    queues = {}
    for name, command in re.findall(r'^start (\w+) "\$\{APP_ENV\[@\]\}" "\$BIN/celery" (.*?)(?<!\\)$',
                                    text.replace("\\\n", " "), flags=re.M):
        if " worker " in f" {command} ":
            found = re.search(r'-Q "([^"]+)"', command)
            assert found, f"the production smoke's {name} consumes no named queue"
            queues[name] = set(expand(found.group(1), variables).split(","))
    return queues


def queues_tasks_are_sent_to() -> dict[str, str]:
    """Every task of the project, and every beat entry, with the queue it is sent to."""
    from django.conf import settings

    from pace_cases.celery import app

    app.loader.import_default_modules()  # the apps' tasks modules, as a worker loads them
    names = [name for name in app.tasks if not name.startswith("celery.")]
    assert {"deadlines.tasks.raise_overdue_flags", "deadlines.tasks.send_notifications",
            "data_protection.tasks.run_retention"} <= set(names)
    sent_to = {name: app.amqp.router.route({}, name)["queue"].name for name in names}
    for entry, schedule in settings.CELERY_BEAT_SCHEDULE.items():
        queue = schedule.get("options", {}).get("queue")
        assert queue is not None, f"beat's {entry} does not name its queue"
        assert queue == sent_to[schedule["task"]], f"beat's {entry} goes elsewhere than its task's route"
        sent_to[f"beat: {entry}"] = queue
    return sent_to


@pytest.mark.parametrize(
    ("where", "workers"),
    [
        ("docker-compose.yml", compose_worker_queues),
        ("Procfile.dev", procfile_worker_queues),
        (".ci/production-smoke", production_smoke_worker_queues),
    ],
)
def test_every_queue_a_task_is_sent_to_has_a_worker(where, workers):
    consumed = set().union(*workers().values())
    unconsumed = {task: queue for task, queue in queues_tasks_are_sent_to().items() if queue not in consumed}
    assert not unconsumed, f"no worker in {where} consumes the queue of {unconsumed}"


def test_the_overdue_job_mail_and_reports_each_have_a_queue_of_their_own():
    from django.conf import settings

    sent_to = queues_tasks_are_sent_to()
    assert len({getattr(settings, name) for name in QUEUE_SETTINGS}) == len(QUEUE_SETTINGS)
    assert sent_to["deadlines.tasks.raise_overdue_flags"] == settings.CELERY_DEADLINES_QUEUE
    assert sent_to["deadlines.tasks.send_notifications"] == settings.CELERY_MAIL_QUEUE
    assert sent_to["staff.tasks.send_password_reset"] == settings.CELERY_MAIL_QUEUE
    assert sent_to["data_protection.tasks.run_retention"] == settings.CELERY_REPORTS_QUEUE
    assert sent_to["data_protection.tasks.work_out_retention_run"] == settings.CELERY_REPORTS_QUEUE
    # The mail queue has its one worker, and nothing else consumes it (a slow mail server holds up
    # nothing); the overdue job is never behind e-mail.
    compose = compose_worker_queues()
    assert [name for name, queues in compose.items() if settings.CELERY_MAIL_QUEUE in queues] == ["mailer"]
    assert compose["mailer"] == {settings.CELERY_MAIL_QUEUE}


def test_secrets_and_the_site_address_must_be_given():
    environment = compose_app_environment()
    assert environment["SECRET_KEY"].startswith("${SECRET_KEY:?")
    assert environment["SITE_URL"].startswith("${SITE_URL:?")


def web_healthcheck_code() -> str:
    """The Python the web service's healthcheck runs: its folded (>-) block, joined as YAML joins it."""
    healthcheck = re.search(r"^    healthcheck:\n((?:      .*\n)+)", compose_service("web"), flags=re.M)
    assert healthcheck, "the web service has no healthcheck"
    block = re.search(r'- python\n\s+- -c\n\s+- >-\n((?:          .*\n)+)', healthcheck.group(1))
    assert block, "the web service's healthcheck is not `python -c` with a folded block"
    return " ".join(line.strip() for line in block.group(1).splitlines())


def test_the_web_service_is_healthy_only_when_health_answers():
    code = web_healthcheck_code()
    compile(code, "web healthcheck", "exec")
    # The image has no curl (Dockerfile), so the check is Python's own urllib, which fails on a 503.
    assert "curl" not in (ROOT / "Dockerfile").read_text()
    assert "urllib.request" in code and "urlopen" in code
    assert "'http://127.0.0.1:8000/health/'" in code
    # Neither refused by ALLOWED_HOSTS nor redirected to HTTPS by SECURE_SSL_REDIRECT.
    assert "ALLOWED_HOSTS" in code and "'X-Forwarded-Proto': 'https'" in code
    assert "timeout=" in code
