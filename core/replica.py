"""Reads that may come from a PostgreSQL read replica (DATABASE_REPLICA_URL), and everything else.

A replica is a few seconds behind the primary. So a read goes to it only when both hold:

- a replica is configured (the "replica" alias in DATABASES), and
- the code asked for it, inside ``reading_from_replica()`` (or a view under ``@reads_from_replica``).

What may ask: figures, reports and CSV exports, whose reader does not mind a few seconds' lag (the
accountability and delay figures, the overdue queue's export). What must not: anything that reads
after its own write, sign-in and sessions, and an access check that guards a write. Keep a page's
own access check (which teams the person manages) ahead of the context too, so that a role taken
away a moment ago is honoured at once.

Inside the context the primary still takes:

- every write (an export's audit rows are written as usual), and from the first write on, every
  read in the same context too: what follows may want to see it;
- every read inside a transaction begun within the context, which is about to write;
- ``select_for_update`` and ``get_or_create`` (Django routes them as writes).

An object read from the replica reads its relations from the replica as well, even after the
context has ended (a template drawn later), so one page shows one moment. Migrations run on the
primary only: the replica copies them.
"""

import dataclasses
import functools
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA_DB_ALIAS = "replica"


@dataclasses.dataclass
class _ReplicaReads:
    # The primary's transaction depth where the context was entered: deeper means a transaction
    # begun inside it.
    atomic_depth: int
    wrote: bool = False


_replica_reads: ContextVar[_ReplicaReads | None] = ContextVar("replica_reads", default=None)


def _primary_atomic_depth() -> int:
    return len(connections[DEFAULT_DB_ALIAS].atomic_blocks)


@contextmanager
def reading_from_replica() -> Iterator[None]:
    """Reads inside may come from the replica, when one is configured (see the module's notes)."""
    token = _replica_reads.set(_ReplicaReads(atomic_depth=_primary_atomic_depth()))
    try:
        yield
    finally:
        _replica_reads.reset(token)


def _streamed_reading_from_replica(chunks):
    """A streamed response's rows are read while it is sent, after the view has returned."""
    chunks = iter(chunks)
    while True:
        with reading_from_replica():
            try:
                chunk = next(chunks)
            except StopIteration:
                return
        yield chunk


def reads_from_replica(view):
    """The view's reads may come from the replica. Put it below the decorators that check access."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        with reading_from_replica():
            response = view(request, *args, **kwargs)
        if getattr(response, "streaming", False) and not getattr(response, "is_async", False):
            response.streaming_content = _streamed_reading_from_replica(response.streaming_content)
        return response

    return wrapped


class ReplicaRouter:
    """DATABASE_ROUTERS' only router. With no replica configured every query goes to the primary."""

    def __init__(self, databases=None):
        databases = settings.DATABASES if databases is None else databases
        self.replica = REPLICA_DB_ALIAS if REPLICA_DB_ALIAS in databases else None

    def db_for_read(self, model, **hints):
        if self.replica is None:
            return DEFAULT_DB_ALIAS
        instance = hints.get("instance")
        if instance is not None and instance._state.db == self.replica:
            return self.replica
        reads = _replica_reads.get()
        if reads is None or reads.wrote or _primary_atomic_depth() > reads.atomic_depth:
            return DEFAULT_DB_ALIAS
        return self.replica

    def db_for_write(self, model, **hints):
        reads = _replica_reads.get()
        if reads is not None:
            reads.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the primary's rows: an object read from one may point at one from the other.
        same_data = {DEFAULT_DB_ALIAS, self.replica or DEFAULT_DB_ALIAS}
        if obj1._state.db in same_data and obj2._state.db in same_data:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS
