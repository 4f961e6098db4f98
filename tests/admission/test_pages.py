"""The admission pages through the web client: who may open them, filing and deciding through the forms,
the confirmation, the marks, the reports and their xlsx export."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import pytest
from django.test import Client

from shaobao.admission.models import AdmissionRequest, CatalogueEntry, NotAdmittedMark
from tests.admission.conftest import today

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_catalogue_filters_by_kind_department_force_community_and_words(world, add_entry):
    add_entry(name="协助开展人口普查", kind="assisting_duty")
    add_entry(name="居民死亡证明", kind="certificate_abolished", unit=world.lead_unit)
    add_entry(
        name="旧台账",
        kind="ledger",
        valid_from=today() - dt.timedelta(days=90),
        valid_until=today() - dt.timedelta(days=1),
    )
    add_entry(name="兴谷专用牌", kind="signboard", outside=True, communities=[world.community_b1])
    client = client_for(world.users["dispatcher"])
    page = client.get("/admission/").content.decode()
    assert "协助开展人口普查" in page and "居民死亡证明" in page and "兴谷专用牌" in page
    only = client.get("/admission/", {"kind": "certificate_abolished"}).content.decode()
    assert "居民死亡证明" in only and "协助开展人口普查" not in only
    assert "居民死亡证明" in client.get("/admission/", {"unit": "CGZF"}).content.decode()
    in_force = client.get("/admission/", {"in_force": "yes"}).content.decode()
    assert "旧台账" not in in_force and "协助开展人口普查" in in_force
    a1 = client.get("/admission/", {"community": world.community_a1.code}).content.decode()
    assert "兴谷专用牌" not in a1 and "协助开展人口普查" in a1
    assert "人口普查" in client.get("/admission/", {"q": "普查"}).content.decode()
    assert "居民死亡证明" not in client.get("/admission/", {"q": "普查"}).content.decode()


def test_residents_and_role_less_users_get_403(world):
    for persona in ("resident", "nobody"):
        client = client_for(world.users[persona])
        for url in ("/admission/", "/admission/requests/", "/admission/marks/", "/admission/reports/"):
            assert client.get(url).status_code == 403, (persona, url)


def test_streets_cannot_open_requests_and_units_cannot_mark(world):
    dispatcher, handler = client_for(world.users["dispatcher"]), client_for(world.users["lead_handler"])
    assert dispatcher.get("/admission/requests/").status_code == 403
    assert dispatcher.get("/admission/requests/new/").status_code == 403
    assert handler.get("/admission/marks/new/").status_code == 403
    assert client_for(world.users["coordinator"]).get("/admission/requests/new/").status_code == 403


def test_a_department_files_and_the_coordinator_decides_with_confirmation(world):
    handler = client_for(world.users["lead_handler"])
    assert handler.get("/admission/requests/new/").status_code == 200
    form = {
        "unit": "CGZF",
        "kind": "meeting",
        "name": "每周违建巡查例会",
        "basis": "区委办文件",
        "reason": "需要社区书记参加",
        "communities": [world.community_a1.code],
        "valid_from": today().isoformat(),
        "valid_until": (today() - dt.timedelta(days=1)).isoformat(),
    }
    response = handler.post("/admission/requests/new/", form)
    assert response.status_code == 400 and not AdmissionRequest.objects.exists()
    form["valid_until"] = ""
    response = handler.post("/admission/requests/new/", form)
    req = AdmissionRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/admission/requests/{req.pk}/"
    assert "每周违建巡查例会" in handler.get("/admission/requests/").content.decode()
    assert "Record the decision" not in handler.get(f"/admission/requests/{req.pk}/").content.decode()

    coordinator = client_for(world.users["coordinator"])
    coordinator.cookies.load({"django_language": "en"})
    page = coordinator.get(f"/admission/requests/{req.pk}/").content.decode()
    assert 'name="confirm"' in page and "data-confirm" in page
    url = f"/admission/requests/{req.pk}/decide/"
    assert coordinator.post(url, {"decision": "approve"}).status_code == 400  # not confirmed
    assert coordinator.post(url, {"decision": "refuse", "confirm": "on"}).status_code == 400  # no reason
    assert AdmissionRequest.objects.get().state == "pending"
    response = coordinator.post(url, {"decision": "approve", "confirm": "on"})
    assert response.status_code == 302
    assert CatalogueEntry.objects.get(request=req).kind == "meeting"
    again = coordinator.post(url, {"decision": "refuse", "note": "x", "confirm": "on"}, follow=True)
    assert "already decided" in again.content.decode()
    assert AdmissionRequest.objects.get().state == "approved"


def test_the_outsider_gets_404_on_a_request(world, file_request):
    req = file_request()
    assert client_for(world.users["outsider"]).get(f"/admission/requests/{req.pk}/").status_code == 404
    assert (
        client_for(world.users["supporting_handler"]).get(f"/admission/requests/{req.pk}/").status_code == 404
    )


def test_a_community_marks_and_the_department_acknowledges(world, add_entry):
    entry = add_entry(name="无犯罪记录证明", kind="certificate_abolished")
    dispatcher = client_for(world.users["dispatcher"])
    assert dispatcher.get("/admission/marks/new/").status_code == 200
    response = dispatcher.post(
        "/admission/marks/new/",
        {
            "community": world.community_a1.code,
            "unit": "CGZF",
            "task": "要求社区开具无犯罪记录证明",
            "received_on": today().isoformat(),
            "ground": "abolished",
            "entry": str(entry.pk),
        },
    )
    assert response.status_code == 302
    mark = NotAdmittedMark.objects.get()
    handler = client_for(world.users["lead_handler"])
    page = handler.get("/admission/marks/").content.decode()
    assert "要求社区开具无犯罪记录证明" in page and f"/admission/marks/{mark.pk}/acknowledge/" in page
    assert (
        "要求社区开具无犯罪记录证明"
        not in client_for(world.users["supporting_handler"]).get("/admission/marks/").content.decode()
    )
    handler.post(f"/admission/marks/{mark.pk}/acknowledge/", {"answer": "已改为部门自行核查"})
    mark.refresh_from_db()
    assert mark.acknowledged_by == world.users["lead_handler"] and mark.answer == "已改为部门自行核查"


def test_reports_and_their_xlsx(world, add_entry, file_request):
    from openpyxl import load_workbook

    from shaobao.admission import actions

    add_entry(kind="duty")
    req = file_request(name='=HYPERLINK("http://x")')
    actions.do_decide_request(
        actor=world.users["coordinator"], request_id=req.pk, approve=False, note="无依据"
    )
    coordinator = client_for(world.users["coordinator"])
    page = coordinator.get("/admission/reports/").content.decode()
    assert "chart-departments" in page and "无依据" in page and "承平里社区" in page
    response = coordinator.get("/admission/reports/export.xlsx")
    assert response.status_code == 200
    wb = load_workbook(BytesIO(response.content))
    assert len(wb.worksheets) == 3
    refusals = list(wb.worksheets[1].iter_rows(min_row=2, values_only=True))
    assert refusals[0][3] == '=HYPERLINK("http://x")' and refusals[0][6] == "无依据"
    assert wb.worksheets[1].cell(row=2, column=4).data_type == "s"
    per_community = {row[2]: row for row in wb.worksheets[2].iter_rows(min_row=2, values_only=True)}
    assert per_community["承平里社区"][3] == 1  # one duty by law
    assert client_for(world.users["dispatcher"]).get("/admission/reports/").status_code == 403


def test_the_coordinator_adds_an_entry_and_a_seventh_outside_signboard_is_refused(world, add_entry):
    for i in range(6):
        add_entry(name=f"牌子{i}", kind="signboard", outside=True)
    coordinator = client_for(world.users["coordinator"])
    assert "/admission/entries/new/" in coordinator.get("/admission/").content.decode()
    form = {
        "kind": "signboard",
        "name": "第七块牌子",
        "basis": "区文件",
        "outside": "on",
        "valid_from": today().isoformat(),
    }
    response = coordinator.post("/admission/entries/new/", form)
    assert response.status_code == 400 and "6" in response.content.decode()
    assert not CatalogueEntry.objects.filter(name="第七块牌子").exists()
    form.update(kind="duty", name="组织开展邻里节", outside="", unit="CGZF")
    response = coordinator.post("/admission/entries/new/", form)
    assert response.status_code == 302
    assert CatalogueEntry.objects.get(name="组织开展邻里节").code == "LZ-001"
    for persona in ("lead_handler", "dispatcher"):
        assert client_for(world.users[persona]).get("/admission/entries/new/").status_code == 403
