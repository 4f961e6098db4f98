"""The 12345 gateway: orders in (API single or batch, xlsx page, command), a tracking code per order,
idempotent on the order number, a batch all or nothing with each bad row named, results back by webhook."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.test import Client
from openpyxl import Workbook

from shaobao.hotline import actions
from shaobao.hotline.models import CategoryMapping, HotlineOrder
from shaobao.intake import actions as intake
from shaobao.intake.models import Demand
from shaobao.webhooks import actions as webhooks
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/hotline/orders"


def order(i: int, **kw) -> dict:
    values = {
        "order_no": f"GD20240501{i:05d}",
        "time": "2024-05-01T09:30:00+08:00",
        "caller": "王女士",
        "phone": "13900001111",
        "address": "滨河街道承平里3号楼",
        "content": f"楼顶私搭乱建第{i}处，影响采光",
        "category": "违法建设",
        "deadline": "2024-05-08T18:00:00+08:00",
        "urgent": i % 10 == 0,
    }
    values.update(kw)
    return values


@pytest.fixture
def mapping(world):
    return CategoryMapping.objects.create(
        category="违法建设", matter_code=world.matter.code, kind="complaint"
    )


@pytest.fixture
def gateway(world, api_as):
    """The platform's own account: no staff role, the gateway's permission only."""
    from shaobao.api.actions import do_issue_token
    from tests.api.conftest import ApiClient

    user = UserFactory(username="gw12345")
    user.user_permissions.add(Permission.objects.get(codename="post_orders"))
    _, raw = do_issue_token(user=user, name="12345")
    return ApiClient(raw)


def test_one_order_answers_our_tracking_code(gateway, world, mapping):
    r = gateway.post(URL, order(1))
    assert r.status_code == 201, r.content
    (answer,) = r.json()["results"]
    demand = Demand.objects.get(tracking_code=answer["tracking_code"])
    assert answer["status"] == "created" and answer["order_no"] == "GD2024050100001"
    assert answer["tracking_url"].endswith(f"/demands/track/{demand.tracking_code}/")
    assert demand.channel == "hotline_12345" and demand.street == world.street_a  # placed from its words
    assert demand.matter == world.matter and answer["matter"] == world.matter.code
    assert demand.reporter_phone == "13900001111" and demand.due_at is not None
    # The same order again: the same tracking code, no second demand.
    again = gateway.post(URL, order(1, content="重复推送"))
    assert again.status_code == 200
    assert again.json()["results"][0] == {**answer, "status": "existing"}
    assert Demand.objects.count() == 1 and HotlineOrder.objects.count() == 1


def test_a_batch_of_1000_with_bad_rows_writes_nothing_then_goes_in_once(gateway, world, mapping):
    rows = [order(i) for i in range(1, 1001)]
    rows[9]["phone"] = "call me"  # row 10
    rows[499]["content"] = ""  # row 500
    rows[999]["deadline"] = "2024-04-01T00:00:00+08:00"  # row 1000: before the call
    del rows[776]["order_no"]  # row 777
    r = gateway.post(URL, {"orders": rows})
    assert r.status_code == 400
    err = r.json()["error"]
    assert [(e["row"], e["field"]) for e in err["rows"]] == [
        (10, "phone"),
        (500, "content"),
        (777, "order_no"),
        (1000, "deadline"),
    ]
    assert "orders[10].phone" in err["fields"]
    assert Demand.objects.count() == 0 and HotlineOrder.objects.count() == 0  # nothing half-written
    rows = [order(i) for i in range(1, 1001)]
    r = gateway.post(URL, rows)  # a JSON array works too
    assert r.status_code == 201
    body = r.json()
    assert body["created"] == 1000 and body["existing"] == 0
    codes = [a["tracking_code"] for a in body["results"]]
    assert len(set(codes)) == 1000 and [a["row"] for a in body["results"]] == list(range(1, 1001))
    assert Demand.objects.filter(channel="hotline_12345").count() == 1000
    # Replayed (the platform did not get our answer): the same codes, nothing new.
    replay = gateway.post(URL, {"orders": rows[:500] + [order(1001)]})
    assert replay.status_code == 201
    out = replay.json()
    assert out["created"] == 1 and out["existing"] == 500
    assert [a["tracking_code"] for a in out["results"][:500]] == codes[:500]
    assert Demand.objects.count() == 1001 and HotlineOrder.objects.count() == 1001


def test_the_same_order_twice_in_one_batch_is_one_demand(gateway, world):
    r = gateway.post(URL, {"orders": [order(1), order(1)]})
    assert r.status_code == 201
    first, second = r.json()["results"]
    assert first["tracking_code"] == second["tracking_code"] and Demand.objects.count() == 1


def test_intake_refusal_is_reported_with_its_row_and_nothing_is_written(gateway, world, monkeypatch):
    from shaobao.core.errors import ValidationFailed

    real = intake.do_receive_demand

    def picky(**kw):
        if "第3处" in kw["body"]:
            raise ValidationFailed("bad", fields={"street_code": "未知街乡 / Unknown street"})
        return real(**kw)

    monkeypatch.setattr(intake, "do_receive_demand", picky)
    r = gateway.post(URL, [order(1), order(2), order(3)])
    assert r.status_code == 400
    assert [(e["row"], e["field"]) for e in r.json()["error"]["rows"]] == [(3, "street_code")]
    assert Demand.objects.count() == 0 and HotlineOrder.objects.count() == 0


def test_unmapped_categories_are_received_without_a_matter(gateway, world):
    r = gateway.post(URL, order(1, category="其他"))
    answer = r.json()["results"][0]
    assert r.status_code == 201 and answer["matter"] is None and answer["category_mapped"] is False


@pytest.mark.parametrize("persona", ["dispatcher", "lead_handler", "resident", "nobody"])
def test_who_may_post_orders(api_as, persona):
    assert api_as(persona).post(URL, order(1)).status_code == 403
    assert Demand.objects.count() == 0


def test_coordinators_may_post_and_anonymous_may_not(api_as, anon, world):
    assert api_as("coordinator").post(URL, order(1)).status_code == 201
    assert anon.post(URL, order(2)).status_code == 401


def test_bad_json_is_400(gateway):
    r = gateway.client.post(URL, b"{not json", content_type="application/json", headers=gateway.headers)
    assert r.status_code == 400 and "body" in r.json()["error"]["fields"]
    assert gateway.post(URL, {"orders": "x"}).status_code == 400


def workbook(
    rows,
    header=(
        "工单编号",
        "来电时间",
        "来电人",
        "联系电话",
        "地址",
        "诉求内容",
        "诉求分类",
        "办理时限",
        "是否紧急",
    ),
):
    wb = Workbook()
    ws = wb.active
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    out.name = "orders.xlsx"
    return out


def xrow(i, **kw):
    o = order(i, **kw)
    return [
        o["order_no"],
        "2024-05-01 09:30",
        o["caller"],
        o["phone"],
        o["address"],
        o["content"],
        o["category"],
        "2024-05-08 18:00",
        "是" if o["urgent"] else "否",
    ]


def test_xlsx_upload_reports_row_and_column_and_writes_nothing(world, client):
    client.force_login(world.users["coordinator"])
    bad = xrow(2)
    bad[3] = "not a phone"
    r = client.post("/hotline/import/", {"file": workbook([xrow(1), bad, xrow(3)])})
    assert r.status_code == 400
    assert r.context["errors"] == [
        {"row": 3, "column": "D", "field": "phone", "message": "电话号码格式不正确"}
    ]
    assert Demand.objects.count() == 0
    r = client.post("/hotline/import/", {"file": workbook([xrow(1), xrow(2), xrow(3)])})
    assert r.status_code == 200 and r.context["result"].created == 3
    r = client.post("/hotline/import/", {"file": workbook([xrow(1)])})
    assert r.context["result"].existing == 1 and Demand.objects.count() == 3
    assert HotlineOrder.objects.filter(source="xlsx").count() == 3


def test_upload_page_permissions(world):
    c = Client()
    c.force_login(world.users["dispatcher"])
    assert c.get("/hotline/import/").status_code == 403
    c.force_login(world.users["coordinator"])
    assert c.get("/hotline/import/").status_code == 200
    assert c.get("/hotline/import/template.xlsx").status_code == 200


def test_xlsx_missing_column_and_not_a_workbook(world, client):
    client.force_login(world.users["coordinator"])
    r = client.post("/hotline/import/", {"file": workbook([["x"]], header=("工单编号",))})
    assert r.status_code == 400 and r.context["errors"][0]["field"] == "content"
    junk = io.BytesIO(b"not a zip")
    junk.name = "x.xlsx"
    r = client.post("/hotline/import/", {"file": junk})
    assert r.status_code == 400 and r.context["errors"][0]["field"] == "file"


def test_management_command(world, tmp_path, capsys):
    path = tmp_path / "orders.xlsx"
    path.write_bytes(workbook([xrow(1), xrow(2)]).getvalue())
    call_command("import_hotline_orders", str(path), "--user", "coordinator")
    assert "2 new" in capsys.readouterr().out
    bad = tmp_path / "bad.xlsx"
    row = xrow(3)
    row[5] = ""
    bad.write_bytes(workbook([row]).getvalue())
    with pytest.raises(SystemExit):
        call_command("import_hotline_orders", str(bad), "--user", "coordinator")
    assert "row 2 column F (content)" in capsys.readouterr().err
    assert Demand.objects.count() == 2


def test_results_go_back_to_the_platform_by_webhook(
    gateway, world, receiver, django_capture_on_commit_callbacks
):
    r12345 = receiver()
    webhooks.do_create_subscription(
        actor=world.users["admin"],
        name="12345",
        url=r12345.url,
        events=[actions.ORDER_UPDATED],
        channel="hotline_12345",
    )
    code = gateway.post(URL, order(7)).json()["results"][0]["tracking_code"]
    demand = Demand.objects.get(tracking_code=code)
    u = world.users
    with django_capture_on_commit_callbacks(execute=True):
        intake.do_self_handle(actor=u["dispatcher"], demand_id=demand.pk, unit_code=world.section_a.code)
        intake.do_finish_self_handling(actor=u["section_handler"], demand_id=demand.pk, note="已拆除")
        intake.do_verify_self_handling(
            actor=u["dispatcher"], demand_id=demand.pk, passed=True, note="已拆除违建"
        )
        intake.do_callback_unreachable(actor=u["dispatcher"], demand_id=demand.pk, note="无人接听")
        intake.do_callback(actor=u["dispatcher"], demand_id=demand.pk, solved=True, satisfaction="satisfied")
        new_demand_elsewhere = intake.do_receive_demand(
            actor=u["grid_worker"], channel="grid_patrol", kind="complaint", subject="s", body="b"
        )
    assert new_demand_elsewhere.pk
    sent = [x.json()["data"] for x in r12345.requests]
    assert [(d["order_no"], d["status"]) for d in sent] == [
        ("GD2024050100007", "replied"),  # the street's report, as the tracking page shows it
        ("GD2024050100007", "closed"),
        ("GD2024050100007", "callback_failed"),
        ("GD2024050100007", "called_back"),
    ]
    assert sent[0]["reply"] == "已拆除"
    assert sent[1]["result"] == "已拆除违建" and sent[3]["satisfaction"] == "satisfied"
