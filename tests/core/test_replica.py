"""Which reads go to the read replica (core.replica): only those asked for, only with a replica
configured, never a write, never a read after a write; and the figures pages and the overdue export
read there while their access checks stay on the primary.

The router's decisions are tested on a router configured with a replica, whether or not this run
has one: CI runs the suite with DATABASE_REPLICA_URL naming the primary's own database, so there the
queries really go through the replica's alias too."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from auditlog.models import LogEntry
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db import router as db_router
from django.http import HttpResponse, StreamingHttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from core.replica import REPLICA_DB_ALIAS, ReplicaRouter, reading_from_replica, reads_from_replica
from deadlines.models import OverdueFlag
from families.models import Family, Membership, Team
from meetings.models import Meeting, MeetingAction
from tests.factories import DeadlineFactory, OverdueFlagFactory, UserFactory

BASE_DIR = Path(__file__).resolve().parent.parent.parent
WITH_REPLICA = {DEFAULT_DB_ALIAS: {}, REPLICA_DB_ALIAS: {}}
WITHOUT_REPLICA = {DEFAULT_DB_ALIAS: {}}


def read_from(router, model=Family, **hints):
    return router.db_for_read(model, **hints)


# ------------------------------------------------------------------ the router's decisions


def test_with_a_replica_only_reads_asked_for_go_there():
    router = ReplicaRouter(databases=WITH_REPLICA)
    assert read_from(router) == DEFAULT_DB_ALIAS
    with reading_from_replica():
        assert read_from(router) == REPLICA_DB_ALIAS
        assert read_from(router, Membership) == REPLICA_DB_ALIAS
    assert read_from(router) == DEFAULT_DB_ALIAS


def test_without_a_replica_everything_reads_from_the_primary():
    router = ReplicaRouter(databases=WITHOUT_REPLICA)
    assert router.replica is None
    stray = Family()
    stray._state.db = REPLICA_DB_ALIAS
    with reading_from_replica():
        assert read_from(router) == DEFAULT_DB_ALIAS
        assert read_from(router, Team, instance=stray) == DEFAULT_DB_ALIAS


def test_writes_always_go_to_the_primary_and_the_reads_after_them_too():
    router = ReplicaRouter(databases=WITH_REPLICA)
    assert router.db_for_write(LogEntry) == DEFAULT_DB_ALIAS
    with reading_from_replica():
        assert read_from(router) == REPLICA_DB_ALIAS
        assert router.db_for_write(LogEntry) == DEFAULT_DB_ALIAS
        # What follows a write may want to see it: the replica may not have it yet.
        assert read_from(router) == DEFAULT_DB_ALIAS
    with reading_from_replica():
        assert read_from(router) == REPLICA_DB_ALIAS, "a new context starts afresh"


def test_contexts_nest_and_each_ends_where_it_began():
    router = ReplicaRouter(databases=WITH_REPLICA)
    with reading_from_replica():
        with reading_from_replica():
            router.db_for_write(LogEntry)
            assert read_from(router) == DEFAULT_DB_ALIAS
        assert read_from(router) == REPLICA_DB_ALIAS
    assert read_from(router) == DEFAULT_DB_ALIAS


@pytest.mark.django_db
def test_a_transaction_begun_inside_the_context_reads_from_the_primary():
    router = ReplicaRouter(databases=WITH_REPLICA)
    with reading_from_replica():
        with transaction.atomic():
            assert read_from(router) == DEFAULT_DB_ALIAS
        assert read_from(router) == REPLICA_DB_ALIAS
    # A transaction already open outside (as each test's own is) does not count.
    with transaction.atomic(), reading_from_replica():
        assert read_from(router) == REPLICA_DB_ALIAS


def test_an_object_read_from_the_replica_reads_its_relations_there_even_afterwards():
    router = ReplicaRouter(databases=WITH_REPLICA)
    from_replica, from_primary = Family(), Family()
    from_replica._state.db, from_primary._state.db = REPLICA_DB_ALIAS, DEFAULT_DB_ALIAS
    assert read_from(router, Team, instance=from_replica) == REPLICA_DB_ALIAS
    assert read_from(router, Team, instance=from_primary) == DEFAULT_DB_ALIAS
    with reading_from_replica():
        router.db_for_write(LogEntry)
        assert read_from(router, Team, instance=from_replica) == REPLICA_DB_ALIAS


def test_objects_from_the_replica_and_the_primary_may_be_related():
    router = ReplicaRouter(databases=WITH_REPLICA)
    from_replica, from_primary, elsewhere = Family(), Team(), Team()
    from_replica._state.db, from_primary._state.db, elsewhere._state.db = REPLICA_DB_ALIAS, DEFAULT_DB_ALIAS, "other"
    assert router.allow_relation(from_replica, from_primary) is True
    assert router.allow_relation(from_primary, from_primary) is True
    assert router.allow_relation(from_replica, elsewhere) is None


def test_migrations_run_on_the_primary_only():
    router = ReplicaRouter(databases=WITH_REPLICA)
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "families") is True
    assert router.allow_migrate(REPLICA_DB_ALIAS, "families") is False


# ------------------------------------------------------------------ the decorator


def test_a_view_under_the_decorator_reads_from_the_replica_and_so_does_its_streamed_body():
    router = ReplicaRouter(databases=WITH_REPLICA)
    seen = {}

    def rows():
        seen["while streaming"] = read_from(router)
        yield b"a row\n"

    @reads_from_replica
    def streamed(request):
        seen["in the view"] = read_from(router)
        return StreamingHttpResponse(rows())

    response = streamed(RequestFactory().get("/"))
    seen["after the view"] = read_from(router)
    assert b"".join(response.streaming_content) == b"a row\n"
    assert seen == {"in the view": REPLICA_DB_ALIAS, "after the view": DEFAULT_DB_ALIAS,
                    "while streaming": REPLICA_DB_ALIAS}


def test_the_decorator_keeps_the_view_and_its_answer():
    @reads_from_replica
    def page(request, pk):
        """A page."""
        return HttpResponse(f"page {pk}")

    assert page.__name__ == "page" and page.__doc__ == "A page."
    assert page(RequestFactory().get("/"), 7).content == b"page 7"


# ------------------------------------------------------------------ the pages that read from the replica


class RecordingRouter(ReplicaRouter):
    """The router with a replica configured, noting where each read and write was sent. In a run
    with no replica alias, a query sent to the replica runs on the primary."""

    def __init__(self):
        super().__init__(databases=WITH_REPLICA)
        self.reads = []
        self.writes = []

    def db_for_read(self, model, **hints):
        alias = super().db_for_read(model, **hints)
        self.reads.append((model, alias))
        return alias if alias in settings.DATABASES else DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        alias = super().db_for_write(model, **hints)
        self.writes.append((model, alias))
        return alias

    def read_from(self, model):
        return {alias for read_model, alias in self.reads if read_model is model}


@pytest.fixture
def recording_router(monkeypatch):
    router = RecordingRouter()
    monkeypatch.setattr(db_router, "routers", [router])
    return router


@pytest.mark.django_db
def test_the_overdue_export_reads_its_rows_from_the_replica_and_checks_access_on_the_primary(
    cast, manager_client, recording_router
):
    OverdueFlagFactory(deadline=DeadlineFactory(family=cast.family))
    response = manager_client.get(reverse("deadlines:queue_export"))
    assert response.status_code == 200
    assert cast.family.reference in response.getvalue().decode()
    assert recording_router.read_from(OverdueFlag) == {REPLICA_DB_ALIAS}
    # Which teams the manager manages: a role taken away a moment ago is honoured at once.
    assert recording_router.read_from(Membership) == {DEFAULT_DB_ALIAS}
    # The export is audited as ever, on the primary.
    assert (LogEntry, DEFAULT_DB_ALIAS) in recording_router.writes
    assert {alias for _model, alias in recording_router.writes} == {DEFAULT_DB_ALIAS}
    assert LogEntry.objects.filter(object_pk=str(cast.family.pk), additional_data__read="export").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["meetings:figures", "meetings:figures_export"])
def test_the_accountability_figures_read_from_the_replica_and_check_access_on_the_primary(
    cast, manager_client, recording_router, name
):
    meeting = Meeting.objects.create(family=cast.family, kind=Meeting.Kind.CORE_GROUP,
                                     held_at=timezone.now(), recorded_by=UserFactory())
    MeetingAction.objects.create(meeting=meeting, description="Share the plan with the school",
                                 agency_name="West Police")
    response = manager_client.get(reverse(name))
    assert response.status_code == 200
    assert "West Police" in response.content.decode()
    assert recording_router.read_from(MeetingAction) == {REPLICA_DB_ALIAS}
    assert recording_router.read_from(Membership) == {DEFAULT_DB_ALIAS}


@pytest.mark.django_db
def test_the_installed_router_follows_the_settings_and_the_replica_sees_the_primarys_rows(cast):
    [installed] = db_router.routers
    assert isinstance(installed, ReplicaRouter)
    configured = REPLICA_DB_ALIAS in settings.DATABASES
    assert installed.replica == (REPLICA_DB_ALIAS if configured else None)
    with reading_from_replica():
        families = Family.objects.filter(pk=cast.family.pk)
        assert families.db == (REPLICA_DB_ALIAS if configured else DEFAULT_DB_ALIAS)
        [family] = families
        assert family == cast.family
        # Its team is read from where the family was.
        assert family.team == cast.family.team
        assert family._state.db == family.team._state.db


# ------------------------------------------------------------------ the settings


def database_settings(**environment):
    """DATABASES and DATABASE_ROUTERS as a fresh interpreter reads them from ``environment``."""
    env = {key: value for key, value in os.environ.items()
           if key not in {"DATABASE_REPLICA_URL", "DATABASE_REPLICA_URL_FILE"}}
    env.update(DEBUG="1", DATABASE_URL="postgres://pace@primary.internal:5432/pace_cases", **environment)
    code = ("import json, pace_cases.settings as s; "
            "print(json.dumps({'databases': s.DATABASES, 'routers': s.DATABASE_ROUTERS}, default=str))")
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_no_replica_unless_one_is_named():
    for environment in ({}, {"DATABASE_REPLICA_URL": ""}):
        read = database_settings(**environment)
        assert list(read["databases"]) == [DEFAULT_DB_ALIAS]
        assert read["routers"] == ["core.replica.ReplicaRouter"]


def test_a_named_replica_is_its_own_alias_and_the_primary_in_tests():
    read = database_settings(DATABASE_REPLICA_URL="postgres://reader@replica.internal:5432/pace_cases",
                             DATABASE_CONN_MAX_AGE="60")
    replica = read["databases"][REPLICA_DB_ALIAS]
    assert (replica["HOST"], replica["USER"], replica["NAME"]) == ("replica.internal", "reader", "pace_cases")
    assert read["databases"][DEFAULT_DB_ALIAS]["HOST"] == "primary.internal"
    assert replica["CONN_MAX_AGE"] == 60
    assert replica["TEST"] == {"MIRROR": DEFAULT_DB_ALIAS}
