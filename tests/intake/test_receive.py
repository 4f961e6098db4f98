"""Receiving a demand: validation, tracking code, placement, idempotency, photos."""

from __future__ import annotations

import re
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from shaobao.core.errors import NotAuthenticated, ValidationFailed
from shaobao.intake import actions as intake
from shaobao.intake.codes import ALPHABET
from shaobao.intake.models import Demand
from tests.intake.flow import new_demand
from tests.intake.images import png

PNG = png(2, 2)


@pytest.mark.django_db
def test_tracking_code_is_short_unambiguous_and_unique(world):
    codes = {new_demand(world).tracking_code for _ in range(20)}
    assert len(codes) == 20
    for code in codes:
        assert re.fullmatch(r"SB\d{6}[" + ALPHABET + "]{5}", code)
        assert not set(code[8:]) & set("01OI")


@pytest.mark.django_db
def test_coordinates_place_the_demand_on_grid_community_and_street(world):
    d = new_demand(world, street_code=None, lat=40.145, lng=117.105)
    assert (d.grid, d.community, d.street, d.placement_source) == (
        world.grid_a1,
        world.community_a1,
        world.street_a,
        "coordinates",
    )


@pytest.mark.django_db
def test_outside_every_grid_falls_back_to_the_street_code_then_unplaced(world):
    d = new_demand(world, lat=39.0, lng=116.0, street_code=world.street_b.code)
    assert d.street == world.street_b and d.grid is None and d.placement_source == "street_code"
    d = new_demand(world, lat=39.0, lng=116.0, street_code=None)
    assert d.street == world.street_a and d.placement_source == "address"  # "承平里3号楼"
    d = new_demand(world, lat=39.0, lng=116.0, street_code=None, address="", body="楼顶有人违建")
    assert d.street is None and d.placement_source == "" and d.placement_candidates == []


@pytest.mark.django_db
def test_invalid_input_names_every_bad_field(world):
    with pytest.raises(ValidationFailed) as err:
        intake.do_receive_demand(
            actor=world.users["grid_worker"],
            channel="fax",
            kind="rant",
            subject="",
            body="",
            reporter_phone="call me",
            lat=91,
            lng=10,
            urgency="now",
        )
    assert {"channel", "kind", "subject", "body", "reporter_phone", "lat", "urgency"} <= set(err.value.fields)
    assert "/" in err.value.message  # 中文 / English
    assert not Demand.objects.exists()


@pytest.mark.django_db
def test_unknown_street_code_is_rejected(world):
    with pytest.raises(ValidationFailed) as err:
        new_demand(world, street_code="110117999")
    assert "street_code" in err.value.fields


@pytest.mark.django_db
def test_anonymous_only_through_the_resident_web_channel(world):
    from django.contrib.auth.models import AnonymousUser

    d = new_demand(world, actor=AnonymousUser(), channel="resident_web")
    assert d.created_by is None and d.tracking_code
    with pytest.raises(NotAuthenticated):
        new_demand(world, actor=AnonymousUser(), channel="hotline_12345")


@pytest.mark.django_db
def test_same_creator_and_key_returns_the_existing_demand(world):
    a = new_demand(world, idempotency_key="req-1")
    b = new_demand(world, idempotency_key="req-1", subject="重试")
    assert a.pk == b.pk and Demand.objects.count() == 1
    c = new_demand(world, actor=world.users["dispatcher"], idempotency_key="req-1")
    assert c.pk != a.pk


@pytest.mark.django_db
def test_photos_are_checked_and_stored_under_generated_names(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    d = new_demand(world, photos=[SimpleUploadedFile("我的照片.png", PNG, content_type="image/png")])
    photo = d.photos.get()
    assert re.search(r"/[0-9a-f]{32}\.png$", photo.image.name)
    with pytest.raises(ValidationFailed):
        new_demand(
            world,
            photos=[SimpleUploadedFile("x.png", b"<script>alert(1)</script>", content_type="image/png")],
        )


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_create_one_demand(world):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (real concurrent transactions)")
    results, errors = [], []
    barrier = threading.Barrier(4)

    def submit():
        try:
            barrier.wait()
            results.append(new_demand(world, idempotency_key="same-key").pk)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(set(results)) == 1
    assert Demand.objects.filter(idempotency_key="same-key").count() == 1


@pytest.mark.django_db
def test_a_tracking_code_collision_draws_another_code(world, monkeypatch):
    from shaobao.intake import actions as intake_actions

    first = new_demand(world)
    codes = iter([first.tracking_code, "SB260101ABCDE"])
    monkeypatch.setattr(intake_actions, "new_tracking_code", lambda: next(codes))
    second = new_demand(world, subject="另一个")
    assert second.tracking_code == "SB260101ABCDE"
    assert Demand.objects.count() == 2


@pytest.mark.django_db
def test_the_dispatchers_bell_row_is_committed_with_the_demand_and_rolled_back_with_it(world):
    from django.db import transaction

    from shaobao.core.models import Notification

    dispatcher = world.users["dispatcher"]
    d = new_demand(world)  # no queued task needed: the row is part of the demand's transaction
    assert [n.text for n in Notification.objects.filter(user=dispatcher)] == [
        f"新诉求 {d.tracking_code}：{d.subject}"
    ]
    assert not Notification.objects.filter(user=world.users["dispatcher_b"]).exists()
    with pytest.raises(RuntimeError), transaction.atomic():
        new_demand(world, subject="回滚")
        raise RuntimeError("the caller's transaction fails after the demand")
    assert not Demand.objects.filter(subject="回滚").exists()
    assert Notification.objects.filter(user=dispatcher).count() == 1


@pytest.mark.django_db
def test_a_replayed_key_writes_no_second_event_or_bell_row(world):
    from shaobao.core.models import Event, Notification

    a = new_demand(world, idempotency_key="once")
    b = new_demand(world, idempotency_key="once", subject="重试")
    assert a.pk == b.pk and b.subject == a.subject
    assert Event.objects.filter(subject_type="intake.demand", action="receive").count() == 1
    assert Notification.objects.filter(user=world.users["dispatcher"]).count() == 1


@pytest.mark.django_db
def test_urgent_demand_mails_the_dispatcher_after_commit(world, django_capture_on_commit_callbacks):
    from django.core import mail

    world.users["dispatcher"].email = "dispatcher@example.org"
    world.users["dispatcher"].save()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        new_demand(world, urgency="urgent")
    callbacks = [c for c in callbacks if not hasattr(c, "domain_event")]  # (the events: docs/integration.md)
    assert mail.outbox == [] and len(callbacks) == 1  # queued only once the demand is committed
    callbacks[0]()
    assert [m.to for m in mail.outbox] == [["dispatcher@example.org"]]


def test_tracking_code_tails_use_the_whole_alphabet():
    from shaobao.intake.codes import RANDOM_LENGTH, new_tracking_code

    tails = [new_tracking_code()[-RANDOM_LENGTH:] for _ in range(2000)]
    assert set("".join(tails)) == set(ALPHABET)  # missing a symbol by chance: p < 1e-130
    assert len(set(tails)) > 1990


@pytest.mark.django_db
def test_a_receiver_that_swallows_a_database_error_does_not_lose_the_demand_silently(world):
    """A post_save receiver that catches a database error leaves a PostgreSQL transaction aborted: its
    COMMIT would silently roll the demand back. Intake refuses instead of reporting a stored demand."""
    from django.db import DatabaseError
    from django.db.models.signals import post_save

    def careless(sender, instance, created, **kwargs):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT * FROM no_such_table_anywhere")
        except DatabaseError:
            pass

    post_save.connect(careless, sender=Demand, dispatch_uid="test-careless")
    try:
        if connection.vendor == "postgresql":
            with pytest.raises(DatabaseError):
                new_demand(world, subject="不能丢")
            assert not Demand.objects.filter(subject="不能丢").exists()
        else:  # SQLite keeps the transaction usable after a failed statement
            assert new_demand(world, subject="不能丢").pk
            assert Demand.objects.filter(subject="不能丢").exists()
    finally:
        post_save.disconnect(sender=Demand, dispatch_uid="test-careless")
