"""Boards, rankings and exports read from a read replica when one is configured (shaobao/core/replicas.py);
without one, and for every write, the primary."""

from __future__ import annotations

from unittest import mock

from django.db import connections

from shaobao.core.models import Event
from shaobao.core.replicas import REPLICA, ReplicaRouter, reads_from_replica, replica_reads

router = ReplicaRouter()


def test_without_a_replica_everything_goes_to_the_primary():
    with replica_reads():
        assert router.db_for_read(Event) is None
    assert router.db_for_write(Event) is None


def test_with_a_replica_only_the_opted_in_reads_go_to_it():
    databases = {**connections.databases, REPLICA: connections.databases["default"]}
    with mock.patch.object(type(connections), "databases", property(lambda self: databases)):
        assert router.db_for_read(Event) is None  # an ordinary request: the primary

        @reads_from_replica
        def board(request):
            return router.db_for_read(Event), router.db_for_write(Event)

        assert board(None) == (REPLICA, None)  # the board's reads; a write would still go to the primary
        assert router.db_for_read(Event) is None  # and only while the view runs
        assert not router.allow_migrate(REPLICA, "core")
        assert router.allow_migrate("default", "core")
