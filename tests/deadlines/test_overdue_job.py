"""The overdue job: flags once, escalates, resolves, notifies once, in set-based statements."""

import datetime
import threading
from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from deadlines import outbox, services
from deadlines.models import Notification, OverdueFlag
from families.models import Membership, Role
from tests.conftest import require_postgresql
from tests.factories import DeadlineFactory, FamilyFactory, MembershipFactory, UserFactory

NOW = datetime.datetime(2026, 11, 30, 9, 0, tzinfo=datetime.UTC)


def overdue_deadline(family, **fields):
    defaults = {"due_at": NOW - datetime.timedelta(hours=1), "escalate_at": NOW + datetime.timedelta(days=2)}
    return DeadlineFactory(family=family, **{**defaults, **fields})


@pytest.mark.django_db
def test_exactly_due_is_not_overdue_one_second_later_is(cast):
    deadline = overdue_deadline(cast.family, due_at=NOW)
    assert services.raise_overdue_flags(now=NOW).flagged == 0
    assert services.raise_overdue_flags(now=NOW + datetime.timedelta(seconds=1)).flagged == 1
    flag = OverdueFlag.objects.get()
    assert (flag.deadline, flag.family, flag.level) == (deadline, cast.family, OverdueFlag.Level.OVERDUE)


@pytest.mark.django_db
def test_running_twice_flags_once(cast):
    overdue_deadline(cast.family)
    first = services.raise_overdue_flags(now=NOW)
    second = services.raise_overdue_flags(now=NOW + datetime.timedelta(minutes=5))
    assert (first.flagged, second.flagged) == (1, 0)
    assert OverdueFlag.objects.count() == 1
    assert second.notifications == 0


@pytest.mark.django_db
def test_met_or_cancelled_deadlines_are_not_flagged(cast):
    overdue_deadline(cast.family, met_at=NOW - datetime.timedelta(hours=2))
    overdue_deadline(cast.family, cancelled_at=NOW - datetime.timedelta(hours=2))
    assert services.raise_overdue_flags(now=NOW).flagged == 0


@pytest.mark.django_db
def test_escalates_when_late_by_twice_the_allowance(cast):
    overdue_deadline(cast.family, escalate_at=NOW + datetime.timedelta(days=1))
    services.raise_overdue_flags(now=NOW)
    assert services.raise_overdue_flags(now=NOW + datetime.timedelta(hours=23)).escalated == 0
    run = services.raise_overdue_flags(now=NOW + datetime.timedelta(days=1, seconds=1))
    assert run.escalated == 1
    flag = OverdueFlag.objects.get()
    assert flag.level == OverdueFlag.Level.ESCALATED
    assert Notification.objects.filter(event=Notification.Event.ESCALATED).count() == 2 * 2  # 2 people x 2 channels
    assert services.raise_overdue_flags(now=NOW + datetime.timedelta(days=2)).escalated == 0


@pytest.mark.django_db
def test_already_very_late_deadline_is_raised_and_escalated_in_one_run(cast):
    deadline = overdue_deadline(cast.family, escalate_at=NOW - datetime.timedelta(minutes=1))
    run = services.raise_overdue_flags(now=NOW)
    assert (run.flagged, run.escalated) == (1, 1)
    flag = OverdueFlag.objects.get()
    # Copied from the deadline as it is raised: the queue sorts and pages on the flag alone.
    assert (flag.due_at, flag.escalate_at) == (deadline.due_at, deadline.escalate_at)


@pytest.mark.django_db
def test_resolved_flags_are_not_escalated(cast):
    deadline = overdue_deadline(cast.family, escalate_at=NOW + datetime.timedelta(hours=1))
    services.raise_overdue_flags(now=NOW)
    services.deadline_meet(deadline, at=NOW)
    assert services.raise_overdue_flags(now=NOW + datetime.timedelta(days=3)).escalated == 0
    flag = OverdueFlag.objects.get()
    assert flag.resolved_at is not None
    assert flag.level == OverdueFlag.Level.OVERDUE


@pytest.mark.django_db
def test_notifies_key_worker_and_team_managers_in_app_and_by_email(cast):
    overdue_deadline(cast.family)
    run = services.raise_overdue_flags(now=NOW)
    recipients = set(Notification.objects.values_list("recipient", "channel", "status"))
    assert recipients == {
        (cast.key_worker.pk, "in_app", "sent"),
        (cast.key_worker.pk, "email", "pending"),
        (cast.manager.pk, "in_app", "sent"),
        (cast.manager.pk, "email", "pending"),
    }
    assert run.notifications == 4
    assert set(Notification.objects.values_list("event", "flag_count", "created_at")) == {("raised", 1, NOW)}
    # Outsiders and teammates who are not key worker hear nothing.
    assert not Notification.objects.filter(recipient__in=[cast.outsider, cast.teammate]).exists()


@pytest.mark.django_db
def test_a_manager_who_is_also_key_worker_gets_one_of_each(cast):
    Membership.objects.filter(user=cast.key_worker).update(role=Role.MANAGER)
    overdue_deadline(cast.family)
    services.raise_overdue_flags(now=NOW)
    assert Notification.objects.filter(recipient=cast.key_worker).count() == 2


@pytest.mark.django_db
def test_one_digest_per_person_event_and_channel_whatever_the_number_of_flags(cast):
    for _ in range(3):
        overdue_deadline(cast.family)
    overdue_deadline(cast.family, escalate_at=NOW - datetime.timedelta(minutes=1))
    run = services.raise_overdue_flags(now=NOW)
    assert (run.flagged, run.escalated, run.notifications) == (4, 1, 8)
    assert sorted(Notification.objects.values_list("recipient", "event", "channel", "flag_count")) == sorted(
        (person.pk, event, channel, count)
        for person in (cast.key_worker, cast.manager)
        # The one raised already very late is told once, as very late, not also as overdue.
        for event, count in (("raised", 3), ("escalated", 1))
        for channel in ("in_app", "email")
    )


@pytest.mark.django_db
def test_emails_carry_the_reference_and_a_link_but_no_names(cast):
    overdue_deadline(cast.family)
    services.raise_overdue_flags(now=NOW)
    assert outbox.send_pending_notifications(now=NOW) == 2
    assert len(mail.outbox) == 2
    by_person = {message.to[0]: message for message in mail.outbox}
    for person, link in ((cast.key_worker, reverse("home")), (cast.manager, reverse("deadlines:queue"))):
        message = by_person[person.email]
        assert message.subject == "Overdue: 1 deadline for your families"
        assert f"Families: {cast.family.reference}\n" in message.body
        assert link in message.body
        for secret in (cast.carer.first_name, cast.carer.last_name, cast.child.first_name, cast.family.postcode):
            assert secret not in message.subject + message.body
    # Sent once only.
    assert outbox.send_pending_notifications(now=NOW + datetime.timedelta(hours=1)) == 0
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_a_digest_email_lists_the_first_references_and_how_many_more(cast):
    families = [FamilyFactory(team=cast.family.team, key_worker=cast.key_worker) for _ in range(22)]
    for family in families:
        overdue_deadline(family)
    services.raise_overdue_flags(now=NOW)
    with mock.patch.object(outbox, "DIGEST_REFERENCES", 20):
        outbox.send_pending_notifications(now=NOW)
    message = next(m for m in mail.outbox if m.to == [cast.key_worker.email])
    assert message.subject == "Overdue: 22 deadlines for your families"
    first = sorted(family.reference for family in families)[:20]
    assert f"Families: {', '.join(first)} and 2 more\n" in message.body


def make_overdue(count, team, *, due_at=NOW - datetime.timedelta(hours=1),
                 escalate_at=NOW - datetime.timedelta(minutes=1)):
    key_worker = UserFactory()
    MembershipFactory(user=key_worker, team=team)
    for _ in range(count):
        overdue_deadline(FamilyFactory(team=team, key_worker=key_worker), due_at=due_at, escalate_at=escalate_at)
    return key_worker


@pytest.mark.django_db
def test_query_count_is_the_same_for_10_and_500_overdue(cast):
    team = cast.family.team
    services.raise_overdue_flags(now=NOW - datetime.timedelta(days=1))  # the job runs every few minutes
    make_overdue(10, team)
    with CaptureQueriesContext(connection) as small:
        assert services.raise_overdue_flags(now=NOW).flagged == 10
    # Falling due between the two runs.
    make_overdue(490, team, due_at=NOW + datetime.timedelta(minutes=1), escalate_at=NOW + datetime.timedelta(days=1))
    with CaptureQueriesContext(connection) as large:
        assert services.raise_overdue_flags(now=NOW + datetime.timedelta(minutes=5)).flagged == 490
    assert len(small) == len(large), [q["sql"][:120] for q in large.captured_queries]
    assert OverdueFlag.objects.count() == 500
    # One digest per run for the manager, and one for each key worker, in 2 channels. The first ten
    # were already very late when raised: they are told once, as very late.
    in_app = Notification.objects.filter(channel="in_app", recipient=cast.manager)
    assert list(in_app.filter(event="raised").values_list("flag_count", flat=True)) == [490]
    assert list(in_app.filter(event="escalated").values_list("flag_count", flat=True)) == [10]
    assert Notification.objects.filter(channel="in_app").count() == 4


@pytest.mark.django_db
def test_a_deadline_recorded_late_is_flagged_by_the_next_run(cast):
    """A referral recorded today that was made a fortnight ago: its deadline fell due before the
    previous run's watermark, but it was created after it."""
    now = timezone.now()
    services.raise_overdue_flags(now=now)
    deadline = overdue_deadline(cast.family, due_at=now - datetime.timedelta(days=13))
    assert services.raise_overdue_flags(now=now + datetime.timedelta(minutes=1)).flagged == 1
    assert OverdueFlag.objects.get().deadline == deadline


@pytest.mark.django_db
def test_deadlines_created_before_the_margin_are_only_seen_by_a_full_run(cast):
    """Documents the watermark's assumption: a deadline visible only after the watermark moved
    past its due date and its creation (less the margin) is not looked at again; full=True does."""
    now = timezone.now()
    deadline = overdue_deadline(cast.family, due_at=now - datetime.timedelta(days=3))
    later = now + services.LATE_COMMIT_MARGIN + datetime.timedelta(minutes=1)
    services.OverdueWatermark.objects.create(pk=1, checked_until=later)
    assert services.raise_overdue_flags(now=later + datetime.timedelta(minutes=1)).flagged == 0
    assert services.raise_overdue_flags(now=later + datetime.timedelta(minutes=2), full=True).flagged == 1
    assert OverdueFlag.objects.get().deadline == deadline


# Serialized rollback: the rows the migrations load (content types, local authorities) are put
# back after an earlier transactional test emptied the tables.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_runs_create_each_flag_once(cast):
    require_postgresql("two concurrent runs need PostgreSQL's row locks")
    make_overdue(300, cast.family.team)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run(offset):
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            results.append(services.raise_overdue_flags(now=NOW + datetime.timedelta(seconds=offset)))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=run, args=(offset,)) for offset in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sum(result.flagged for result in results) == 300
    assert OverdueFlag.objects.count() == 300
    # Raised already very late (escalate_at has passed): one "very late" digest for the key worker and
    # one for the manager, in 2 channels, counting the 300 flags once.
    digests = list(Notification.objects.values_list("event", "recipient", "channel", "flag_count"))
    assert len(digests) == 2 * 2
    assert {(digest[0], digest[3]) for digest in digests} == {("escalated", 300)}
