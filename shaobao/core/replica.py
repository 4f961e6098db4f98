"""Reads from a PostgreSQL read replica, for the pages that only read much (boards, rankings, exports).

A province runs a primary and one or more streaming replicas (docs/scale.md). `DATABASE_REPLICA_URL`
adds the `replica` database alias; without it (the default, SQLite, the tests) nothing changes. Only the
views marked `@reads_from_replica` read from it, and only for GET/HEAD: their figures may be a few seconds
old, which a board or a month's ranking tolerates, while the workflow's pages (a demand, a whistle, a form
and its redirect) always read the primary and so read their own writes. Writes always go to the primary.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from functools import wraps

from django.conf import settings

ALIAS = "replica"
_reading = contextvars.ContextVar("shaobao_replica_reads", default=False)


def available() -> bool:
    return ALIAS in settings.DATABASES


@contextmanager
def replica_reads():
    """Within this block the ORM's reads go to the replica (when there is one)."""
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def reads_from_replica(view):
    """A read-only page (GET/HEAD) served from the replica."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        with replica_reads():
            return view(request, *args, **kwargs)

    wrapper.reads_from_replica = True
    return wrapper


class ReplicaRouter:
    """DATABASE_ROUTERS: reads inside `replica_reads()` go to the replica; everything else to the primary."""

    def db_for_read(self, model, **hints):
        if _reading.get() and available():
            return ALIAS
        return None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same rows on both

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != ALIAS  # a replica follows the primary's schema; never migrated itself
