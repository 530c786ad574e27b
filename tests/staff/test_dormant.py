"""Dormant accounts: the last sign-ins report, and the nightly job that switches off unused accounts."""

import datetime
from io import StringIO

import pytest
import time_machine
from auditlog.models import LogEntry
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from families.dormant import DORMANT_EVENT, SWITCHED_OFF_SUBJECT, dormant_accounts_disable
from families.models import Role
from families.tasks import disable_dormant_accounts
from staff.models import User
from tests.factories import MembershipFactory, TeamFactory
from tests.two_factor import verified_login

NOW = datetime.datetime(2026, 11, 30, 3, 15, tzinfo=datetime.UTC)
REPORT = reverse("families:team_last_sign_ins")


def days_ago(days, **extra):
    return NOW - datetime.timedelta(days=days, **extra)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def account(*, last_login=None, joined=None, role=Role.CASEWORKER, team=None, **kwargs):
    membership = MembershipFactory(
        role=role,
        **({"team": team} if team else {}),
        user__last_login=last_login,
        user__date_joined=joined or days_ago(400),
        **kwargs,
    )
    return membership.user


@pytest.fixture
def administrator(db):
    """An administrator who signed in yesterday: the rule about the last one does not come into it."""
    return account(last_login=days_ago(1), role=Role.ADMINISTRATOR, user__email="admin@pace.example.org")


def is_active(user):
    return User.objects.get(pk=user.pk).is_active


def switched_off_entries(user):
    return LogEntry.objects.filter(content_type__model="user", object_id=user.pk, additional_data__event=DORMANT_EVENT)


def test_the_job_switches_off_exactly_the_dormant_accounts(administrator):
    dormant = account(last_login=days_ago(90, seconds=1))
    exactly_ninety = account(last_login=days_ago(90))
    recent = account(last_login=days_ago(3))
    never_used_old = account(joined=days_ago(91))
    never_used_new = account(joined=days_ago(5))
    already_off = account(last_login=days_ago(200), user__is_active=False)

    run = dormant_accounts_disable()

    assert sorted(run.disabled) == sorted([dormant.email, never_used_old.email])
    assert not is_active(dormant)
    assert not is_active(never_used_old)
    assert all(is_active(user) for user in (administrator, exactly_ninety, recent, never_used_new))
    assert not is_active(already_off)
    assert not switched_off_entries(already_off).exists()


def test_the_number_of_days_follows_the_setting(administrator, settings):
    settings.DORMANT_ACCOUNT_DAYS = 30
    unused_a_month = account(last_login=days_ago(31))
    dormant_accounts_disable()
    assert not is_active(unused_a_month)


def test_the_job_costs_the_same_queries_for_3_or_30_accounts(administrator, django_capture_on_commit_callbacks):
    def queries_to_switch_off(count):
        for _ in range(count):
            account(last_login=days_ago(120))
        with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=False):
            run = dormant_accounts_disable()
        assert len(run.disabled) == count
        updates = [query["sql"] for query in queries if query["sql"].startswith('UPDATE "staff_user"')]
        assert len(updates) == 1
        return len(queries)

    assert queries_to_switch_off(3) == queries_to_switch_off(30)


def test_each_person_is_told_how_to_get_back_in(administrator, mailoutbox, django_capture_on_commit_callbacks):
    first = account(last_login=days_ago(100), user__full_name="Priya Shah")
    second = account(joined=days_ago(100))
    with django_capture_on_commit_callbacks(execute=True):
        dormant_accounts_disable()
    assert sorted(message.to[0] for message in mailoutbox) == sorted([first.email, second.email])
    for message in mailoutbox:
        assert len(message.to) == 1
        assert message.subject == SWITCHED_OFF_SUBJECT
        assert "ask an administrator to switch your account back on" in message.body
        assert "90 days" in message.body
        # Nothing about the person beyond the address it goes to.
        assert "Priya" not in message.body
        assert message.to[0] not in message.body


def test_no_message_is_sent_before_the_commit(administrator, mailoutbox, django_capture_on_commit_callbacks):
    account(last_login=days_ago(100))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        dormant_accounts_disable()
    assert mailoutbox == []
    assert len(callbacks) == 1


def test_switching_off_is_audited_as_done_by_the_system(administrator):
    dormant = account(last_login=days_ago(100))
    dormant_accounts_disable()
    entry = switched_off_entries(dormant).get()
    assert entry.actor is None
    assert entry.action == LogEntry.Action.UPDATE
    assert entry.changes == {"is_active": ["True", "False"]}
    assert entry.additional_data["event"] == "switched off: unused"
    assert entry.timestamp == NOW


def test_the_last_administrator_is_never_switched_off(db):
    only_administrator = account(last_login=days_ago(300), role=Role.ADMINISTRATOR)
    caseworker = account(last_login=days_ago(300))
    run = dormant_accounts_disable()
    assert is_active(only_administrator)
    assert not is_active(caseworker)
    assert run.spared_administrator == only_administrator.email
    assert not switched_off_entries(only_administrator).exists()


def test_when_every_administrator_is_dormant_the_most_recently_used_stays_on(db):
    older = account(last_login=days_ago(300), role=Role.ADMINISTRATOR)
    newer = account(last_login=days_ago(100), role=Role.ADMINISTRATOR)
    never = account(joined=days_ago(200), role=Role.ADMINISTRATOR)
    dormant_accounts_disable()
    assert [is_active(older), is_active(newer), is_active(never)] == [False, True, False]


def test_a_dormant_administrator_is_switched_off_while_another_is_active(administrator):
    dormant_administrator = account(last_login=days_ago(100), role=Role.ADMINISTRATOR)
    dormant_accounts_disable()
    assert not is_active(dormant_administrator)
    assert is_active(administrator)


def test_a_dry_run_changes_nothing(administrator, mailoutbox, django_capture_on_commit_callbacks):
    dormant = account(last_login=days_ago(100))
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("disable_dormant_accounts", "--dry-run", stdout=out)
    assert "Would switch off 1 account(s) unused for 90 days." in out.getvalue()
    assert dormant.email in out.getvalue()
    assert is_active(dormant)
    assert mailoutbox == []
    assert not switched_off_entries(dormant).exists()


def test_the_command_switches_off(administrator, django_capture_on_commit_callbacks):
    dormant = account(last_login=days_ago(100))
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("disable_dormant_accounts", stdout=out)
    assert "Switched off 1 account(s)" in out.getvalue()
    assert not is_active(dormant)


def test_the_nightly_task_runs_the_job_and_is_scheduled(administrator):
    dormant = account(last_login=days_ago(100))
    assert disable_dormant_accounts() == {"disabled": 1, "spared_administrator": False}
    assert not is_active(dormant)
    schedule = settings.CELERY_BEAT_SCHEDULE["disable-dormant-accounts"]
    assert schedule["task"] == "families.tasks.disable_dormant_accounts"
    assert (schedule["schedule"].hour, schedule["schedule"].minute) == ({3}, {15})


def test_a_switched_off_account_cannot_be_used_by_a_session_left_open(administrator):
    dormant = account(last_login=days_ago(100))
    client = Client()
    verified_login(client, dormant)
    User.objects.filter(pk=dormant.pk).update(last_login=days_ago(100))
    dormant_accounts_disable()
    assert client.get(reverse("home")).status_code == 302


# --------------------------------------------------------------- the report


def test_the_report_lists_active_accounts_longest_unused_first(administrator):
    north = TeamFactory(name="North team")
    south = TeamFactory(name="South team")
    old = account(last_login=days_ago(60), team=north, user__full_name="Olive Old")
    MembershipFactory(user=old, team=south, role=Role.CASEWORKER)
    never = account(joined=days_ago(10), team=south, user__full_name="Nina Never")
    recent = account(last_login=days_ago(2, hours=3), team=north, user__full_name="Rita Recent")
    account(last_login=days_ago(400), user__is_active=False, user__full_name="Sid Switched-off")
    client = Client()
    verified_login(client, administrator)

    response = client.get(REPORT)

    assert response.status_code == 200
    rows = list(response.context["page"].object_list)
    assert [row.account for row in rows] == [never, old, recent, administrator]
    # The administrator signed in just now, to see the report.
    assert [row.days_unused for row in rows] == [10, 60, 2, 0]
    assert rows[1].teams == ["North team", "South team"]
    page = response.content.decode()
    assert "Never signed in" in page
    assert "Sid Switched-off" not in page
    assert reverse("families:team_account_sign_ins", args=[old.pk]) in page


def test_the_reports_query_count_does_not_grow_with_the_accounts(administrator):
    client = Client()
    verified_login(client, administrator)
    client.get(REPORT)
    with CaptureQueriesContext(connection) as few:
        client.get(REPORT)
    for _ in range(20):
        account(last_login=days_ago(5))
    with CaptureQueriesContext(connection) as many:
        client.get(REPORT)
    assert len(many) == len(few)


def test_the_report_is_paginated(administrator, monkeypatch):
    from families import dormant_views

    monkeypatch.setattr(dormant_views, "LAST_SIGN_INS_PAGE_SIZE", 2)
    for _ in range(3):
        account(last_login=days_ago(5))
    client = Client()
    verified_login(client, administrator)
    first = client.get(REPORT)
    assert len(first.context["page"].object_list) == 2
    assert first.context["page"].paginator.num_pages == 2
    assert len(client.get(REPORT, {"page": 2}).context["page"].object_list) == 2


def test_the_teams_page_links_to_the_report(administrator):
    client = Client()
    verified_login(client, administrator)
    assert REPORT in client.get(reverse("families:teams")).content.decode()


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.MANAGER, Role.PLO])
def test_the_report_is_for_administrators_only(db, role):
    client = Client()
    verified_login(client, account(last_login=days_ago(1), role=role))
    assert client.get(REPORT).status_code == 404
