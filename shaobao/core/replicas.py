"""Reads that may lag a second — boards, rankings, exports — from a PostgreSQL read replica when one is
configured (DATABASE_REPLICA_URL, settings: the `replica` alias); everything else, and every write, from
the primary. docs/scale.md says when a province needs it.

A view opts in with `@reads_from_replica` (or a block with `with replica_reads():`); the router then sends
that request's reads to the replica. Without a replica alias the router answers None: the default database.
Only read-only views opt in: a row the request itself wrote might not be on the replica yet.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from functools import wraps

from django.db import connections

REPLICA = "replica"
_on_replica: contextvars.ContextVar[bool] = contextvars.ContextVar("reads_on_replica", default=False)


def replica_configured() -> bool:
    return REPLICA in connections.databases


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if _on_replica.get() and replica_configured():
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        return None

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica is a copy of the primary: the same rows

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA  # replicated, never migrated on its own


@contextmanager
def replica_reads():
    token = _on_replica.set(True)
    try:
        yield
    finally:
        _on_replica.reset(token)


def reads_from_replica(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        with replica_reads():
            return view(*args, **kwargs)

    return wrapper
