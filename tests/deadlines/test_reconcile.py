"""Flags always match their deadlines: every run resolves the flags of deadlines met or
cancelled, also when a person records the milestone while a run is flagging it, and escalation
touches only flags whose deadline is still open."""

import datetime
import threading
from unittest import mock

import pytest
from django.db import transaction

from deadlines import services
from deadlines.models import Deadline, Notification, OverdueFlag
from tests.conftest import require_postgresql
from tests.factories import DeadlineFactory, OverdueFlagFactory

NOW = datetime.datetime(2026, 11, 30, 9, 0, tzinfo=datetime.UTC)
WAIT = 20  # seconds: a test that deadlocks fails instead of hanging


def due_deadline(family, **fields):
    defaults = {"due_at": NOW - datetime.timedelta(hours=1), "escalate_at": NOW + datetime.timedelta(days=2)}
    return DeadlineFactory(family=family, **{**defaults, **fields})


@pytest.mark.django_db
def test_a_stale_flag_is_resolved_by_the_next_run_and_not_escalated(cast):
    deadline = due_deadline(cast.family, escalate_at=NOW - datetime.timedelta(hours=1),
                            met_at=NOW - datetime.timedelta(minutes=30), closed_at=NOW - datetime.timedelta(minutes=30))
    stale = OverdueFlagFactory(deadline=deadline, raised_at=NOW - datetime.timedelta(hours=1))
    run = services.raise_overdue_flags(now=NOW)
    stale.refresh_from_db()
    assert stale.resolved_at == NOW
    assert stale.level == OverdueFlag.Level.OVERDUE and stale.escalated_at is None
    assert (run.escalated, run.resolved) == (0, 1)
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_a_full_run_resolves_stale_flags_however_old(cast):
    services.raise_overdue_flags(now=NOW - datetime.timedelta(minutes=5))  # sets the watermark
    deadline = due_deadline(cast.family, cancelled_at=NOW - datetime.timedelta(days=30),
                            closed_at=NOW - datetime.timedelta(days=30))
    stale = OverdueFlagFactory(deadline=deadline, raised_at=NOW - datetime.timedelta(days=31))
    services.raise_overdue_flags(now=NOW)
    stale.refresh_from_db()
    assert stale.resolved_at is None  # closed long before the watermark: only a full run looks
    services.raise_overdue_flags(now=NOW + datetime.timedelta(minutes=5), full=True)
    stale.refresh_from_db()
    assert stale.resolved_at is not None


def _run_in_thread(pause_in, now):
    """Run the overdue job in another thread and connection, pausing inside ``pause_in`` (a function of
    deadlines.services the job calls) until the test says go. Returns (paused, go, finished, errors)."""
    paused, go, errors = threading.Event(), threading.Event(), []
    real = getattr(services, pause_in)

    def pausing(*args, **kwargs):
        paused.set()
        assert go.wait(WAIT), "the test never let the run go on"
        return real(*args, **kwargs)

    def run():
        from django.db import connection as thread_connection

        try:
            with mock.patch.object(services, pause_in, pausing):
                services.raise_overdue_flags(now=now)
        except Exception as error:  # noqa: BLE001 - reported by the test
            errors.append(error)
        finally:
            paused.set()
            thread_connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, paused, go, errors


def _meet_now(deadline):
    """A person records the milestone: the deadline is met and its flags resolved, committed."""
    with transaction.atomic():
        services.deadline_meet(Deadline.objects.get(pk=deadline.pk), at=NOW - datetime.timedelta(minutes=1),
                               now=NOW + datetime.timedelta(seconds=1))


# Serialized rollback: the rows the migrations load are put back after these transactional tests.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_milestone_recorded_while_the_run_flags_it_is_reconciled_in_the_same_run(cast):
    require_postgresql("two transactions interleaved need PostgreSQL")
    deadline = due_deadline(cast.family)
    thread, paused, go, errors = _run_in_thread("_reconcile", NOW)
    assert paused.wait(WAIT)
    # The run has inserted its flag (not committed); the person's transaction cannot see it.
    _meet_now(deadline)
    go.set()
    thread.join(WAIT)
    assert not errors
    flag = OverdueFlag.objects.get(deadline=deadline)
    assert flag.resolved_at is not None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_milestone_recorded_just_before_the_run_commits_is_reconciled_by_the_next_run(cast):
    require_postgresql("two transactions interleaved need PostgreSQL")
    deadline = due_deadline(cast.family, escalate_at=NOW + datetime.timedelta(minutes=10))
    # Pause after the flag is inserted and reconciled, as the digests are queued: the last moment.
    thread, paused, go, errors = _run_in_thread("_queue_digests", NOW)
    assert paused.wait(WAIT)
    _meet_now(deadline)
    go.set()
    thread.join(WAIT)
    assert not errors
    flag = OverdueFlag.objects.get(deadline=deadline)
    assert flag.resolved_at is None  # both committed, neither saw the other
    # The next run, after escalate_at: the flag is resolved, and not escalated.
    run = services.raise_overdue_flags(now=NOW + datetime.timedelta(minutes=15))
    flag.refresh_from_db()
    assert flag.resolved_at is not None
    assert flag.level == OverdueFlag.Level.OVERDUE
    assert run.escalated == 0
