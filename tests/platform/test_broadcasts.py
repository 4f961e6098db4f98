"""Emergency broadcasts (应急广播): who sends, who receives, acknowledging, the board's counts, query bound."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shaobao.core.errors import Forbidden, NotFound, ValidationFailed
from shaobao.core.models import Event, Notification
from shaobao.platform.actions import do_acknowledge, do_send_broadcast
from shaobao.platform.models import Broadcast, BroadcastReceipt
from tests.conftest import make_user

# Street A's staff, the district's units and street A's own section; not street B, residents, others.
STREET_A_RECIPIENTS = {
    "dispatcher",
    "street_leader",
    "grid_worker",
    "lead_handler",
    "lead_leader",
    "supporting_handler",
    "section_handler",
}


def send(world, actor=None, streets=None, **kwargs):
    params = {"title": "暴雨红色预警", "body": "请立即通知低洼地带住户转移。", "level": "red"}
    params.update(kwargs)
    return do_send_broadcast(
        actor=actor or world.users["coordinator"],
        district=world.district,
        streets=[world.street_a] if streets is None else streets,
        **params,
    )


def names(user_ids, world):
    by_id = {u.pk: name for name, u in world.users.items()}
    return {by_id[i] for i in user_ids}


@pytest.mark.django_db
def test_coordinator_sends_to_one_street(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        broadcast = send(world)
    receipts = BroadcastReceipt.objects.filter(broadcast=broadcast)
    assert names(receipts.values_list("user_id", flat=True), world) == STREET_A_RECIPIENTS
    assert all(r.acknowledged_at is None for r in receipts)
    bells = Notification.objects.filter(url=reverse("platform:broadcast_detail", args=[broadcast.pk]))
    assert names(bells.values_list("user_id", flat=True), world) == STREET_A_RECIPIENTS
    assert all("应急广播" in n.text and "暴雨红色预警" in n.text for n in bells)
    for name in ("dispatcher_b", "resident", "outsider", "coordinator", "admin", "nobody"):
        assert not Notification.objects.filter(user=world.users[name]).exists()
    assert list(broadcast.streets.all()) == [world.street_a]
    assert broadcast.sent_by == world.users["coordinator"] and broadcast.sent_at
    event = Event.objects.get(
        subject_type="platform.broadcast", subject_id=broadcast.pk, action="send_broadcast"
    )
    assert event.data["recipients"] == len(STREET_A_RECIPIENTS)
    callbacks = [c for c in callbacks if not hasattr(c, "domain_event")]  # (the events: docs/integration.md)
    assert len(callbacks) == 1  # the e-mails, queued after commit


@pytest.mark.django_db
def test_whole_district_when_no_street_is_chosen(world):
    broadcast = send(world, actor=world.users["admin"], streets=[], level="blue")
    got = names(BroadcastReceipt.objects.filter(broadcast=broadcast).values_list("user_id", flat=True), world)
    assert got == STREET_A_RECIPIENTS | {"dispatcher_b"}


@pytest.mark.django_db
def test_street_b_excludes_street_a_and_its_section(world):
    broadcast = send(world, streets=[world.street_b.pk])
    got = names(BroadcastReceipt.objects.filter(broadcast=broadcast).values_list("user_id", flat=True), world)
    assert got == {"dispatcher_b", "lead_handler", "lead_leader", "supporting_handler"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role", ["lead_handler", "dispatcher", "street_leader", "grid_worker", "resident", "nobody"]
)
def test_other_roles_cannot_send(world, role):
    with pytest.raises(Forbidden):
        send(world, actor=world.users[role])
    assert not Broadcast.objects.exists() and not BroadcastReceipt.objects.exists()
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_coordinator_of_another_district_cannot_send_here(world):
    foreign = make_user("foreign_coordinator", "district_coordinator", world.other_district)
    with pytest.raises(Forbidden):
        send(world, actor=foreign)
    with pytest.raises(ValidationFailed):  # nor pick this district's streets for his own
        do_send_broadcast(
            actor=foreign,
            district=world.other_district,
            streets=[world.street_a],
            title="t",
            body="b",
            level="red",
        )
    assert not Broadcast.objects.exists()


@pytest.mark.django_db
def test_a_street_that_is_not_a_number_is_refused_not_a_crash(world):
    with pytest.raises(ValidationFailed) as refused:
        send(world, streets=["not-a-street"])
    assert "streets" in refused.value.fields
    assert not Broadcast.objects.exists()


@pytest.mark.django_db
def test_validation_errors_are_bilingual(world):
    with pytest.raises(ValidationFailed) as exc:
        send(world, title=" ", body="", level="purple")
    assert set(exc.value.fields) == {"title", "body", "level"}
    assert all("/" in msg for msg in exc.value.fields.values())
    assert not Broadcast.objects.exists()


@pytest.mark.django_db
def test_acknowledge_is_idempotent_and_counted_on_the_board(client, world):
    broadcast = send(world)
    grid_worker = world.users["grid_worker"]
    first = do_acknowledge(actor=grid_worker, broadcast=broadcast)
    at = first.acknowledged_at
    assert at is not None
    again = do_acknowledge(actor=grid_worker, broadcast=broadcast.pk)
    assert again.acknowledged_at == at
    assert Event.objects.filter(subject_id=broadcast.pk, action="acknowledge").count() == 1
    with pytest.raises(NotFound):
        do_acknowledge(actor=world.users["dispatcher_b"], broadcast=broadcast)

    client.force_login(world.users["coordinator"])
    response = client.get(reverse("platform:board"))
    (row,) = [b for b in response.context["broadcasts"] if b.pk == broadcast.pk]
    assert (row.acknowledged, row.recipients) == (1, len(STREET_A_RECIPIENTS))
    html = response.content.decode()
    assert "发布应急广播" in html or "Send an emergency broadcast" in html
    detail = client.get(reverse("platform:broadcast_detail", args=[broadcast.pk]))
    assert detail.status_code == 200 and detail.context["acknowledged"] == 1


@pytest.mark.django_db
def test_board_form_sends_and_recipient_acknowledges_from_the_banner(client, world):
    client.force_login(world.users["coordinator"])
    response = client.post(
        reverse("platform:send_broadcast"),
        {"title": "山洪预警", "body": "沿河住户立即转移", "level": "orange", "streets": [world.street_a.pk]},
    )
    assert response.status_code == 302
    broadcast = Broadcast.objects.get()
    assert broadcast.receipts.count() == len(STREET_A_RECIPIENTS)
    bad = client.post(
        reverse("platform:send_broadcast"), {"title": "", "body": "", "level": "red"}, follow=True
    )
    assert Broadcast.objects.count() == 1 and bad.status_code == 200

    client.force_login(world.users["grid_worker"])
    home = client.get(reverse("home"))
    assert reverse("platform:broadcast_banner") in home.content.decode()
    banner = client.get(reverse("platform:broadcast_banner"))
    assert "山洪预警" in banner.content.decode()
    ack = reverse("platform:acknowledge_broadcast", args=[broadcast.pk])
    redrawn = client.post(ack, HTTP_HX_REQUEST="true")
    assert redrawn.status_code == 200 and "山洪预警" not in redrawn.content.decode()
    assert client.post(ack).status_code == 302  # again: nothing changes
    assert broadcast.receipts.filter(acknowledged_at__isnull=False).count() == 1
    assert client.get(reverse("platform:broadcast_banner")).content == b""

    client.force_login(world.users["dispatcher_b"])  # not a recipient
    assert client.post(ack).status_code == 404
    assert client.get(reverse("platform:broadcast_detail", args=[broadcast.pk])).status_code == 404
    assert client.get(reverse("platform:broadcast_banner")).content == b""
    client.force_login(world.users["lead_handler"])  # cannot send from the board
    assert (
        client.post(
            reverse("platform:send_broadcast"), {"title": "t", "body": "b", "level": "red"}
        ).status_code
        == 403
    )
    assert Broadcast.objects.count() == 1


@pytest.mark.django_db
def test_sending_query_count_is_bounded(world, django_assert_max_num_queries):
    coordinator = world.users["coordinator"]
    with django_assert_max_num_queries(10) as ctx:
        send(world, actor=coordinator, streets=[])
    few = len(ctx.captured_queries)
    for i in range(40):
        make_user(f"grid{i}", "grid_worker", world.community_a1)
        make_user(f"handler{i}", "unit_handler", world.district, world.lead_unit)
    with django_assert_max_num_queries(few) as ctx:
        broadcast = send(world, actor=coordinator, streets=[])
    assert broadcast.receipts.count() == len(STREET_A_RECIPIENTS) + 1 + 80
    assert Notification.objects.filter(user__username="grid7").count() == 1


@pytest.mark.django_db
def test_board_with_broadcasts_query_count_does_not_grow(client, world, django_assert_max_num_queries):
    send(world)
    client.force_login(world.users["coordinator"])
    client.get(reverse("platform:board"))  # warm the session and the per-user caches
    with django_assert_max_num_queries(22) as ctx:
        client.get(reverse("platform:board"))
    few = len(ctx.captured_queries)
    for _ in range(5):
        send(world, streets=[])
    with django_assert_max_num_queries(few):
        response = client.get(reverse("platform:board"))
    assert len(response.context["broadcasts"]) == 6
