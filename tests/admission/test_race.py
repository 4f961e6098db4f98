"""Two coordinators deciding one request at the same moment: one wins, the other gets 409, and the
catalogue gets exactly one entry (PostgreSQL: the row lock; SQLite: the write lock taken at BEGIN)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from shaobao.admission import actions
from shaobao.admission.models import AdmissionRequest, CatalogueEntry
from shaobao.core.errors import DomainError

pytestmark = pytest.mark.django_db(transaction=True)


def _race(*calls):
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(i, fn):
        try:
            barrier.wait()
            outcomes[i] = fn()
        except DomainError as exc:
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def test_two_coordinators_deciding_at_once_never_both_win(world, file_request):
    coordinator, admin = world.users["coordinator"], world.users["admin"]
    for round_ in range(4):
        req = file_request(name=f"台账{round_}")

        def approve(req=req):
            return actions.do_decide_request(actor=coordinator, request_id=req.pk, approve=True)

        def refuse(req=req):
            return actions.do_decide_request(actor=admin, request_id=req.pk, approve=False, note="不同意")

        outcomes = _race(approve, refuse)
        losers = [o for o in outcomes if isinstance(o, DomainError)]
        assert len(losers) == 1, outcomes
        assert losers[0].status == 409 and losers[0].code == "already_decided"
        state = AdmissionRequest.objects.get(pk=req.pk).state
        winner = next(o for o in outcomes if not isinstance(o, DomainError))
        assert winner.state == state
        assert CatalogueEntry.objects.filter(request=req).count() == (1 if state == "approved" else 0)
