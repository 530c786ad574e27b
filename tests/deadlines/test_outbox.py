"""The e-mail outbox: claimed before it is sent, sent outside any transaction with a timeout, at
most once, retried while it still matters, and visible to administrators while mail fails."""

import datetime
import socket
import threading
import time
from contextlib import closing, contextmanager
from types import SimpleNamespace
from unittest import mock

import pytest
import time_machine
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core import mail
from django.core.mail.backends import locmem
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.urls import reverse

from deadlines import outbox, services
from deadlines.context_processors import _navigation_state
from deadlines.models import Notification, OverdueFlag
from families.models import Role
from pace_cases.celery import app as celery_app
from tests.conftest import client_for, require_postgresql
from tests.factories import DeadlineFactory, MembershipFactory

NOW = datetime.datetime(2026, 11, 30, 9, 0, tzinfo=datetime.UTC)
SMTP = "django.core.mail.backends.smtp.EmailBackend"
OUTBOX = reverse("deadlines:outbox")

Status = Notification.Status


def overdue_deadline(family):
    return DeadlineFactory(
        family=family, due_at=NOW - datetime.timedelta(hours=1), escalate_at=NOW + datetime.timedelta(days=2)
    )


def emails():
    return Notification.objects.filter(channel=Notification.Channel.EMAIL)


def flag_and_queue(cast):
    """One open flag of the cast's family: an e-mail each to the key worker and the manager."""
    deadline = overdue_deadline(cast.family)
    services.raise_overdue_flags(now=NOW)
    assert emails().filter(status=Status.PENDING).count() == 2
    return deadline


def email_to(person):
    return emails().get(recipient=person)


def closed_port():
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def silent_smtp_server():
    """A mail server that accepts the connection and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.05)
    accepted = threading.Event()
    stop = threading.Event()
    held = []

    def serve():
        while not stop.is_set():
            try:
                conn, _address = listener.accept()
            except TimeoutError:
                continue
            held.append(conn)
            accepted.set()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield SimpleNamespace(port=listener.getsockname()[1], accepted=accepted)
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()


@pytest.fixture
def no_hand_off():
    """For transactional tests: queueing does not start a send run in this process at its commit."""
    with mock.patch.object(outbox, "start_sending"):
        yield


@pytest.fixture
def administrator(cast):
    """An administrator of another team: not told of the cast's flags, but sees the whole outbox."""
    return MembershipFactory(role=Role.ADMINISTRATOR).user


def send_at(moment):
    with time_machine.travel(moment, tick=False):
        return outbox.send_pending_notifications()


# ------------------------------------------------------------------ a stuck mail server


@pytest.mark.django_db
def test_a_silent_mail_server_is_given_up_within_the_timeout_and_retried_later(cast, settings):
    flag_and_queue(cast)
    settings.EMAIL_TIMEOUT = 1
    with silent_smtp_server() as server:
        settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT = SMTP, "127.0.0.1", server.port
        started = time.monotonic()
        assert send_at(NOW) == 0
        elapsed = time.monotonic() - started
        assert server.accepted.is_set()
    assert elapsed < settings.EMAIL_TIMEOUT + 2, f"took {elapsed:.1f}s"
    # The server could not be reached: the run stopped rather than wait again for the other e-mail.
    tried = emails().get(attempts=1)
    assert (tried.status, tried.next_attempt_at) == (Status.PENDING, NOW + datetime.timedelta(minutes=5))
    assert "timed out" in tried.last_error
    assert emails().get(attempts=0).status == Status.PENDING

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_at(NOW + datetime.timedelta(minutes=1)) == 1  # the other one
    assert send_at(NOW + datetime.timedelta(minutes=5)) == 1  # the retry
    assert emails().filter(status=Status.SENT).count() == 2
    assert len(mail.outbox) == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_while_the_mail_server_hangs_no_row_is_locked_and_the_overdue_job_runs(cast, settings, no_hand_off):
    require_postgresql("row locks are PostgreSQL's")
    deadline = flag_and_queue(cast)
    settings.EMAIL_TIMEOUT = 5
    outcome = {}
    with silent_smtp_server() as server:
        settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT = SMTP, "127.0.0.1", server.port

        def sender():
            try:
                outcome["sent"] = outbox.send_pending_notifications(now=NOW)
            finally:
                connections.close_all()

        thread = threading.Thread(target=sender)
        thread.start()
        try:
            assert server.accepted.wait(5), "the sender never reached the mail server"
            claimed = emails().get(status=Status.SENDING)  # the claim is committed before talking to it
            started = time.monotonic()
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '1s'")
                # Each would wait for (and here fail on) a lock held by the sender.
                Notification.objects.select_for_update(nowait=True).get(pk=claimed.pk)
                Notification.objects.filter(pk=claimed.pk).update(read_at=NOW)
                list(OverdueFlag.objects.select_for_update(nowait=True))
                overdue_deadline(cast.family)
                run = services.raise_overdue_flags(now=NOW + datetime.timedelta(minutes=5))
            assert run.flagged == 1
            assert time.monotonic() - started < 2
            assert thread.is_alive(), "the sender should still be waiting for the mail server"
        finally:
            thread.join(15)
    assert outcome == {"sent": 0}
    assert emails().get(pk=claimed.pk).status == Status.PENDING
    assert deadline.flag.resolved_at is None


# ------------------------------------------------------------------ at most once


@pytest.mark.django_db
def test_a_sender_killed_after_handing_over_never_leads_to_a_second_send(cast, settings):
    flag_and_queue(cast)
    handed_over = []
    real_send = locmem.EmailBackend.send_messages

    def send_then_die(backend, messages):
        handed_over.extend(messages)
        real_send(backend, messages)
        raise KeyboardInterrupt  # what SIGKILL looks like to the rows: nothing after this point runs

    with mock.patch.object(locmem.EmailBackend, "send_messages", send_then_die), pytest.raises(KeyboardInterrupt):
        send_at(NOW)
    assert len(handed_over) == 1
    (claimed,) = emails().filter(status=Status.SENDING)

    # Later runs, before and after the claim's lease runs out, send the other e-mail only.
    assert send_at(NOW + datetime.timedelta(minutes=1)) == 1
    assert email_to(claimed.recipient).status == Status.SENDING
    assert send_at(NOW + outbox.SEND_LEASE + datetime.timedelta(minutes=1)) == 0
    for later in (1, 2, 24):
        send_at(NOW + datetime.timedelta(hours=later))
    claimed.refresh_from_db()
    assert (claimed.status, claimed.attempts, claimed.last_error) == (Status.UNKNOWN, 1, outbox.DIED_WHILE_SENDING)
    assert len(mail.outbox) == 2
    assert [m.to for m in mail.outbox].count([claimed.recipient.email]) == 1


@pytest.mark.django_db
def test_a_claimed_row_is_not_sent_by_another_sender(cast):
    flag_and_queue(cast)
    first = outbox._claim_next(NOW)  # claimed and committed; this "worker" then dies
    assert first.status == Status.SENDING
    other = cast.manager if first.recipient == cast.key_worker else cast.key_worker
    assert send_at(NOW) == 1
    assert [m.to for m in mail.outbox] == [[other.email]]
    assert email_to(first.recipient).status == Status.SENDING


@pytest.mark.django_db
def test_reaching_the_soft_time_limit_while_sending_stops_the_run_and_is_not_resent(cast):
    flag_and_queue(cast)
    with mock.patch.object(locmem.EmailBackend, "send_messages", side_effect=SoftTimeLimitExceeded):
        assert send_at(NOW) == 0
    assert sorted(emails().values_list("status", flat=True)) == [Status.PENDING, Status.UNKNOWN]
    assert send_at(NOW + datetime.timedelta(days=1)) == 1
    assert emails().filter(status=Status.UNKNOWN).count() == 1


# ------------------------------------------------------------------ failures and retries


@pytest.mark.django_db
def test_a_message_that_cannot_be_built_counts_as_attempts_then_fails_and_does_not_stop_others(cast):
    flag_and_queue(cast)
    broken = email_to(cast.key_worker)
    real_email_for = outbox._email_for

    def email_for(notification):
        if notification.pk == broken.pk:
            raise ValueError("cannot build")
        return real_email_for(notification)

    moment = NOW
    with mock.patch.object(outbox, "_email_for", side_effect=email_for):
        assert send_at(moment) == 1  # the manager's went
        for _ in range(outbox.MAX_SEND_ATTEMPTS + 3):
            moment += datetime.timedelta(hours=2)
            send_at(moment)
    broken.refresh_from_db()
    assert (broken.status, broken.attempts) == (Status.FAILED, outbox.MAX_SEND_ATTEMPTS)
    assert broken.last_error == "ValueError: cannot build"
    assert [m.to for m in mail.outbox] == [[cast.manager.email]]


@pytest.mark.django_db
def test_a_long_outage_is_retried_hourly_while_the_flag_is_open_and_given_up_once_resolved(cast, settings):
    deadline = flag_and_queue(cast)
    emails().filter(recipient=cast.manager).update(status=Status.SENT)  # follow one e-mail
    notification = email_to(cast.key_worker)
    settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT = SMTP, "127.0.0.1", closed_port()
    delays = []
    moment = NOW
    for _ in range(10):  # 5 + 10 + 20 + 40 + 6 × 60 minutes: over seven hours of outage
        assert send_at(moment) == 0
        notification.refresh_from_db()
        assert notification.status == Status.PENDING
        delays.append(int((notification.next_attempt_at - moment).total_seconds() // 60))
        moment = notification.next_attempt_at
    assert delays == [5, 10, 20, 40, 60, 60, 60, 60, 60, 60]
    assert "ConnectionRefusedError" in notification.last_error

    services.deadline_meet(deadline, at=moment)
    send_at(moment)
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (Status.NOT_NEEDED, 10)
    assert send_at(moment + datetime.timedelta(days=1)) == 0
    assert not mail.outbox


@pytest.mark.django_db
def test_a_deactivated_recipient_is_never_emailed(cast):
    flag_and_queue(cast)
    cast.key_worker.is_active = False
    cast.key_worker.save(update_fields=["is_active"])
    assert send_at(NOW) == 1
    notification = email_to(cast.key_worker)
    assert (notification.status, notification.attempts, notification.sent_at) == (
        Status.RECIPIENT_INACTIVE, 0, None
    )
    assert [m.to for m in mail.outbox] == [[cast.manager.email]]


# ------------------------------------------------------------------ the task queue


@pytest.fixture
def broker_down():
    """Celery publishing for real, to a broker address nothing listens on."""
    conf = celery_app.conf
    saved = conf.task_always_eager, conf.broker_url
    conf.task_always_eager, conf.broker_url = False, f"redis://127.0.0.1:{closed_port()}/13"
    with mock.patch.object(celery_app, "_pool", None), mock.patch.object(celery_app.amqp, "_producer_pool", None):
        yield
    conf.task_always_eager, conf.broker_url = saved


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_flag_overdue_with_the_queue_down_says_so_and_sends_the_emails_itself(cast, broker_down, capsys):
    overdue_deadline(cast.family)
    with time_machine.travel(NOW, tick=False):
        call_command("flag_overdue")
    out, err = capsys.readouterr()
    assert "Flagged 1, escalated 0, queued 4 notifications, sent 2 e-mails." in out
    assert "The task queue could not be reached (OperationalError" in err
    assert OverdueFlag.objects.count() == 1
    assert sorted(m.to[0] for m in mail.outbox) == sorted([cast.key_worker.email, cast.manager.email])


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_on_commit_hand_off_never_fails_its_caller(cast, broker_down):
    overdue_deadline(cast.family)
    with outbox.hand_off_failures() as failures:
        run = services.raise_overdue_flags(now=NOW)  # commits, then the hand-off fails
    assert run.flagged == 1
    assert [type(error).__name__ for error in failures] == ["OperationalError"]
    assert outbox.start_sending() is False


def test_sending_runs_on_its_own_queue_with_time_limits():
    route = celery_app.amqp.router.route({}, "deadlines.tasks.send_notifications")
    assert route["queue"].name == settings.CELERY_MAIL_QUEUE != settings.CELERY_TASK_DEFAULT_QUEUE
    assert celery_app.amqp.router.route({}, "deadlines.tasks.raise_overdue_flags")["queue"].name == (
        settings.CELERY_DEADLINES_QUEUE
    )
    assert settings.CELERY_BEAT_SCHEDULE["send-notifications"]["options"]["queue"] == settings.CELERY_MAIL_QUEUE
    task = celery_app.tasks["deadlines.tasks.send_notifications"]
    assert (task.soft_time_limit, task.time_limit) == (outbox.SEND_SOFT_TIME_LIMIT, outbox.SEND_TIME_LIMIT)
    assert outbox.SEND_LEASE.total_seconds() > outbox.SEND_TIME_LIMIT
    assert celery_app.conf.task_soft_time_limit and celery_app.conf.task_time_limit


# ------------------------------------------------------------------ administrators


def fail_both(cast, settings):
    """Both e-mails tried once while the mail server refuses connections."""
    flag_and_queue(cast)
    settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT = SMTP, "127.0.0.1", closed_port()
    send_at(NOW)
    send_at(NOW + datetime.timedelta(minutes=1))
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert emails().filter(status=Status.PENDING, attempts=1).count() == 2


@pytest.mark.django_db
def test_administrators_see_a_banner_while_email_is_failing(cast, settings, administrator):
    flag_and_queue(cast)
    assert "E-mail is not being delivered" not in client_for(administrator).get(reverse("home")).text

    fail_both(cast, settings)
    page = client_for(administrator).get(reverse("home")).text
    assert "E-mail is not being delivered:</strong> 2 notices waiting since 30 Nov 2026, 09:00" in page
    assert "the last error was “ConnectionRefusedError" in page
    assert OUTBOX in page
    for person in (cast.manager, cast.key_worker):
        assert "E-mail is not being delivered" not in client_for(person).get(reverse("home")).text

    send_at(NOW + datetime.timedelta(hours=1))  # mail flows again
    assert "E-mail is not being delivered" not in client_for(administrator).get(reverse("home")).text


@pytest.mark.django_db
def test_the_navigation_state_is_one_query_for_administrators_too(cast, settings, administrator,
                                                                   django_assert_num_queries):
    fail_both(cast, settings)
    with django_assert_num_queries(1):
        state = _navigation_state(administrator)
    assert (state.is_administrator, state.mail_waiting, state.mail_waiting_since) == (True, 2, NOW)
    assert state.mail_failing
    with django_assert_num_queries(1):
        state = _navigation_state(cast.manager)
    assert (state.is_administrator, state.is_manager, state.mail_waiting, state.mail_failing) == (
        False, True, 0, False
    )


def make_failed(notification, status=Status.FAILED):
    Notification.objects.filter(pk=notification.pk).update(
        status=status, attempts=outbox.MAX_SEND_ATTEMPTS, last_error="SMTPRecipientsRefused: nobody here"
    )


@pytest.mark.django_db
def test_the_outbox_lists_what_was_not_sent_to_administrators_only(cast, administrator):
    flag_and_queue(cast)
    failed, unknown = email_to(cast.key_worker), email_to(cast.manager)
    make_failed(failed)
    make_failed(unknown, Status.UNKNOWN)
    response = client_for(administrator).get(OUTBOX)
    assert response.status_code == 200
    assert {(row.pk, can_retry) for row, can_retry in response.context["rows"]} == {
        (unknown.pk, True), (failed.pk, True)
    }
    assert cast.key_worker.email in response.text
    assert "SMTPRecipientsRefused: nobody here" in response.text
    assert "May not have been sent" in response.text
    for person in (cast.manager, cast.key_worker, cast.outsider):
        assert client_for(person).get(OUTBOX).status_code == 404
        assert client_for(person).post(reverse("deadlines:outbox_retry", args=[failed.pk])).status_code == 404
    failed.refresh_from_db()
    assert failed.status == Status.FAILED


@pytest.mark.django_db
def test_try_again_now_sends_a_failed_email_still_worth_sending(cast, administrator,
                                                               django_capture_on_commit_callbacks):
    flag_and_queue(cast)
    failed = email_to(cast.key_worker)
    make_failed(failed)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(administrator).post(reverse("deadlines:outbox_retry", args=[failed.pk]))
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == Status.SENT
    assert cast.key_worker.email in [m.to[0] for m in mail.outbox]


@pytest.mark.django_db
def test_try_again_is_refused_once_the_flags_are_resolved(cast, administrator):
    deadline = flag_and_queue(cast)
    failed = email_to(cast.key_worker)
    make_failed(failed)
    services.deadline_meet(deadline, at=NOW)
    rows = client_for(administrator).get(OUTBOX).context["rows"]
    assert [(row.pk, can_retry) for row, can_retry in rows] == [(failed.pk, False)]
    client_for(administrator).post(reverse("deadlines:outbox_retry", args=[failed.pk]))
    failed.refresh_from_db()
    assert failed.status == Status.FAILED
