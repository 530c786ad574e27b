"""Shared fixtures: a family with its key worker, a teammate, an outsider in another
team, a manager, and an anonymous visitor."""

import uuid
from dataclasses import dataclass

import pytest
from django.test import Client

from families.models import Role
from tests.factories import ChildFactory, FamilyFactory, MembershipFactory, PersonFactory, RelationshipFactory
from tests.two_factor import verified_login


@dataclass
class Cast:
    family: object
    carer: object
    child: object
    key_worker: object
    teammate: object
    manager: object
    outsider: object


@pytest.fixture(autouse=True, scope="session")
def celery_runs_tasks_in_process():
    """Tasks started from on_commit run at once in the test process, never into a broker.
    The real-worker test switches this off for itself."""
    from pace_cases.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def calendar_without_changes():
    """Every test starts from the library's bank holidays with no changes made here, as its empty
    database has: no test's first use of the calendar queries the database (page query counts are
    pinned), and a change a test made goes with its rolled-back transaction."""
    from core import working_days

    working_days.install_changes([])
    yield
    working_days.install_changes([])


@pytest.fixture(autouse=True)
def cache_of_its_own(settings):
    """Every test starts with an empty cache in memory, even where REDIS_URL makes the real one
    Redis (as in CI): rate-limit counts never carry from one test, or one run, to the next. The
    shared cache itself is tested in tests/core/test_shared_cache.py."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": f"test-{uuid.uuid4().hex}"}}


class ReplicaInTheTestTransaction:
    """The replica alias in tests: its queries run on the primary's connection, inside the test's
    transaction (Django's test MIRROR opens a second connection, which sees nothing a test wrote and
    is refused outside TransactionTestCase); its alias and settings stay its own, so the router's
    decisions are still made and can be checked (tests/core/test_replica.py)."""

    def __init__(self, replica, primary):
        self._replica, self._primary = replica, primary

    def cursor(self, *args, **kwargs):
        cursor = self._primary.cursor(*args, **kwargs)
        cursor.db = self
        return cursor

    def chunked_cursor(self, *args, **kwargs):
        cursor = self._primary.chunked_cursor(*args, **kwargs)
        cursor.db = self
        return cursor

    def __getattr__(self, name):
        return getattr(self._replica if name in {"alias", "settings_dict"} else self._primary, name)


@pytest.fixture(autouse=True, scope="session")
def replica_reads_in_the_test_transaction(request):
    """With DATABASE_REPLICA_URL set (CI sets it to the primary), reads routed to the replica see the
    test's rows. Installed once the test database exists, so the replica's settings name it."""
    from django.conf import settings
    from django.db import DEFAULT_DB_ALIAS, connections
    from django.test import TransactionTestCase

    from core.replica import REPLICA_DB_ALIAS

    if REPLICA_DB_ALIAS not in settings.DATABASES:
        yield
        return
    request.getfixturevalue("django_db_setup")
    replica = connections[REPLICA_DB_ALIAS]
    databases = TransactionTestCase.databases
    TransactionTestCase.databases = {DEFAULT_DB_ALIAS, REPLICA_DB_ALIAS}
    connections[REPLICA_DB_ALIAS] = ReplicaInTheTestTransaction(replica, connections[DEFAULT_DB_ALIAS])
    yield
    connections[REPLICA_DB_ALIAS] = replica
    TransactionTestCase.databases = databases


FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fast_password_hashing(request, settings):
    """Factory users' passwords are hashed with a fast hasher: PBKDF2's deliberate slowness was most
    of the suite's time. Tests of signing in itself (marked ``real_password_hashing``) keep the
    production hashers."""
    if request.node.get_closest_marker("real_password_hashing") is None:
        settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture
def cast(db):
    key_worker = MembershipFactory(role=Role.CASEWORKER)
    team = key_worker.team
    teammate = MembershipFactory(team=team, role=Role.CASEWORKER)
    manager = MembershipFactory(team=team, role=Role.MANAGER)
    outsider = MembershipFactory(role=Role.CASEWORKER)
    family = FamilyFactory(team=team, key_worker=key_worker.user)
    carer = PersonFactory(family=family, first_name="Joanne", last_name="Okafor")
    child = ChildFactory(family=family, first_name="Tyler", last_name="Okafor")
    RelationshipFactory(carer=carer, child=child)
    return Cast(
        family=family,
        carer=carer,
        child=child,
        key_worker=key_worker.user,
        teammate=teammate.user,
        manager=manager.user,
        outsider=outsider.user,
    )


def client_for(user):
    """A client signed in as ``user`` past both factors (tests.two_factor), or anonymous for None."""
    client = Client()
    if user is not None:
        verified_login(client, user)
    return client


@pytest.fixture
def key_worker_client(cast):
    return client_for(cast.key_worker)


@pytest.fixture
def outsider_client(cast):
    return client_for(cast.outsider)


@pytest.fixture
def manager_client(cast):
    return client_for(cast.manager)


@pytest.fixture
def anonymous_client():
    return Client()


def require_postgresql(reason):
    """Skip on the embedded SQLite default, but never under CI, where PostgreSQL must be there."""
    import os

    import pytest
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run on PostgreSQL: {reason}")
    pytest.skip(f"Needs PostgreSQL (set DATABASE_URL): {reason}")
