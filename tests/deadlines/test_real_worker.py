"""The overdue job end to end, in a real Celery worker process fed through Redis.

The worker runs against pytest's test database, so the rows it works on must be committed
(transactional test). It raises the flag once, its on-commit hand-off reaches the same worker,
each e-mail is sent once, also when both jobs run again, and the e-mails name the family by its
reference only.

Needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL's server, or 127.0.0.1:6379); it uses Redis
database 15 and empties it before and after. Skipped locally without them, fails under CI=true.
"""

import datetime
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from importlib import import_module
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection
from django.utils import timezone

from deadlines.models import Deadline, Notification, OverdueFlag
from deadlines.tasks import raise_overdue_flags, send_notifications
from families.models import LocalAuthority
from pace_cases.celery import app as celery_app
from referrals import services as referrals
from referrals.models import Referral, ThresholdRule
from tests.conftest import require_postgresql

# Serialized rollback, as every transactional test of the suite: after a plain one, Django makes the
# content types again on flush, and a serialized test restoring its saved ones would clash with them.
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

REDIS_DB = 15
WAIT_SECONDS = 60
POLL_SECONDS = 0.2
STOP_SECONDS = 20


def _redis_url():
    """REDIS_URL's server (else 127.0.0.1:6379), database 15, so nothing else there is touched."""
    base = urlsplit(os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    return urlunsplit(base._replace(path=f"/{REDIS_DB}"))


@pytest.fixture
def redis_url():
    import redis

    url = _redis_url()
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as error:
        message = f"Needs Redis at {url} (set REDIS_URL): {type(error).__name__}: {error}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must have Redis: {message}")
        pytest.skip(message)
    client.flushdb()
    try:
        yield url
    finally:
        client.flushdb()
        client.close()


@pytest.fixture
def as_migrated(transactional_db):
    """What the migrations put in the database and this test needs: content types, Birmingham
    and the default threshold rules. Returns Birmingham.

    Made sure of here, whatever ran before: a transactional test empties every table when it ends.
    """
    ContentType.objects.clear_cache()
    emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)
    authorities, _districts = import_module("families.migrations.0002_local_authorities").reference_data()
    name, nation, is_current = authorities["E08000025"]
    birmingham, _ = LocalAuthority.objects.get_or_create(
        code="E08000025", defaults={"name": name, "nation": nation, "is_current": is_current}
    )
    if not ThresholdRule.objects.exists():
        import_module("referrals.migrations.0002_default_thresholds").load(django_apps, None)
    return birmingham


def _test_database_url():
    """The URL of the database this test runs in (pytest's test database), for the worker."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = quote(db["HOST"] or "localhost", safe="")
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{auth}{'@' if auth else ''}{host}{port}/{quote(db['NAME'], safe='')}"


@contextmanager
def celery_worker(*, queue, env, log_path):
    """A worker consuming only ``queue``; stopped (SIGTERM, then SIGKILL) whatever happens."""
    command = [
        sys.executable, "-m", "celery", "-A", "pace_cases", "worker",
        "--pool", "solo", "--concurrency", "1", "--loglevel", "INFO", "-Q", queue,
        "-n", f"{queue}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
            command, cwd=settings.BASE_DIR, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def publishing_to(redis_url):
    """A broker connection to send real messages from this process. Every other test runs tasks
    in-process (task_always_eager, set in tests/conftest.py); that is switched off only here."""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        with celery_app.connection_for_write(redis_url) as broker:
            yield broker
    finally:
        celery_app.conf.task_always_eager = eager


def _succeeded(log_path, task):
    """How many times the worker has logged ``task`` as succeeded."""
    pattern = rf"Task {re.escape(task.name)}\[[^\]]+\] succeeded"
    return len(re.findall(pattern, log_path.read_text(errors="replace")))


def _log_tail(log_path, lines=40):
    return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])


def wait_for(condition, what, *, worker, log_path):
    give_up = time.monotonic() + WAIT_SECONDS
    while not condition():
        if worker.poll() is not None:
            pytest.fail(f"The worker exited (code {worker.returncode}) before {what}. Its log:\n{_log_tail(log_path)}")
        if time.monotonic() > give_up:
            pytest.fail(f"Waited {WAIT_SECONDS}s for {what}. The worker's log:\n{_log_tail(log_path)}")
        time.sleep(POLL_SECONDS)


def _emails(mail_dir):
    """The messages the file-based backend wrote (a file per connection, messages divided by dashes)."""
    if not mail_dir.exists():
        return []
    messages = []
    for path in sorted(mail_dir.iterdir()):
        messages += [part for part in path.read_text().split("-" * 79) if part.strip()]
    return messages


def test_real_worker_flags_once_and_sends_each_email_once(as_migrated, cast, redis_url, tmp_path):
    require_postgresql("the worker process shares the test database with this one")
    now = timezone.now()
    referral = referrals.referral_create(
        user=cast.key_worker,
        family=cast.family,
        referral=Referral(local_authority=as_migrated, referred_by=Referral.ReferredBy.CHARITY),
        children=[cast.child],
        referral_made_at=now - datetime.timedelta(days=14),
    )
    deadline = Deadline.objects.get(
        subject_type=ContentType.objects.get_for_model(Referral), subject_id=referral.pk, kind="referral:decision"
    )
    # A decision is due within a working day: two weeks on it is overdue and, late by twice
    # that, escalated, so one run raises and escalates it.
    assert deadline.escalate_at < now
    assert not OverdueFlag.objects.exists()
    # The key worker and the team's manager, each told once that it is very late (a step already
    # very late when flagged is one notice, not "overdue" and "very late" at the same moment).
    expected_emails = 2

    queue = f"pace-test-{uuid.uuid4().hex[:12]}"
    mail_dir = tmp_path / "mail"
    log_path = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": _test_database_url(),
        "REDIS_URL": redis_url,
        # The worker's own .delay() calls (the on-commit hand-off to send_notifications) go to its queue.
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        # … and so does the e-mail task, routed to the mail queue (one worker consumes both here).
        "CELERY_MAIL_QUEUE": queue,
        "CELERY_DEADLINES_QUEUE": queue,
        "CELERY_REPORTS_QUEUE": queue,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "PACE_DATA_DIR": str(tmp_path / "data"),
        "PYTHONUNBUFFERED": "1",
    }
    emails = Notification.objects.filter(channel=Notification.Channel.EMAIL)

    def all_sent():
        return (
            OverdueFlag.objects.filter(deadline=deadline).exists()
            and emails.count() == expected_emails
            and not emails.exclude(status=Notification.Status.SENT).exists()
        )

    with celery_worker(queue=queue, env=env, log_path=log_path) as worker:
        with publishing_to(redis_url) as broker:
            raise_overdue_flags.apply_async(queue=queue, connection=broker)
        wait_for(all_sent, "the flag was raised and its e-mails sent", worker=worker, log_path=log_path)
        wait_for(
            lambda: _succeeded(log_path, send_notifications) == 1,
            "the on-commit send_notifications finished", worker=worker, log_path=log_path,
        )

        # Both jobs again: nothing new is flagged, queued or sent.
        with publishing_to(redis_url) as broker:
            raise_overdue_flags.apply_async(queue=queue, connection=broker)
            send_notifications.apply_async(queue=queue, connection=broker)
        wait_for(
            lambda: _succeeded(log_path, raise_overdue_flags) == 2 and _succeeded(log_path, send_notifications) == 2,
            "the second runs finished", worker=worker, log_path=log_path,
        )

    assert OverdueFlag.objects.count() == 1
    flag = OverdueFlag.objects.get()
    assert (flag.deadline_id, flag.level) == (deadline.pk, OverdueFlag.Level.ESCALATED)
    assert sorted(emails.values_list("event", "recipient__email", "status", "attempts")) == sorted(
        (Notification.Event.ESCALATED, person.email, Notification.Status.SENT, 1)
        for person in (cast.key_worker, cast.manager)
    )

    messages = _emails(mail_dir)
    assert len(messages) == expected_emails
    names = {cast.child.first_name, cast.child.last_name, cast.carer.first_name, cast.carer.last_name}
    for message in messages:
        assert cast.family.reference in message
        assert not [name for name in names if name in message]
