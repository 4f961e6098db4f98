"""The demand ledger (台账): the filtered staff list as xlsx and CSV, for dispatchers, coordinators and
administrators; names and phones masked, typed formulas written as text, headers in the page's language."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.api.conftest import api_as  # noqa: F401  (fixture)
from tests.core.test_xlsx import sheet_xml
from tests.intake.flow import new_demand

pytestmark = pytest.mark.django_db

ATTACK = '=HYPERLINK("http://evil.example","点我")'


@pytest.fixture
def two(world):
    a = new_demand(world, subject=ATTACK, reporter_name="欧阳娜娜", reporter_phone="13900004321")
    b = new_demand(world, subject="路灯不亮", street_code=world.street_b.code)
    return a, b


def xlsx_rows(data: bytes) -> list[list]:
    return [list(r) for r in load_workbook(io.BytesIO(data)).worksheets[0].iter_rows(values_only=True)]


def test_dispatcher_exports_the_filtered_list_as_xlsx_masked_and_formula_safe(client, world, two):
    a, _b = two
    client.force_login(world.users["dispatcher"])
    response = client.get(reverse("intake:ledger", args=["xlsx"]), {"q": a.tracking_code[-5:]})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="demand-ledger-')
    data = b"".join(response.streaming_content) if response.streaming else response.content
    rows = xlsx_rows(data)
    assert rows[0][0] == "查询码" and len(rows) == 2  # header in the page's language + the one match
    row = rows[1]
    assert row[0] == a.tracking_code
    assert ATTACK in row and "<f>" not in sheet_xml(data)  # the typed formula is text
    assert "欧***" in row and "139****4321" in row
    assert "欧阳娜娜" not in str(rows) and "13900004321" not in str(rows)


def test_csv_is_streamed_masked_and_formula_safe_with_english_headers(client, world, two):
    a, _b = two
    client.force_login(world.users["coordinator"])
    response = client.get(reverse("intake:ledger", args=["csv"]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and response.streaming
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][0] == "tracking code"
    assert len(rows) == 3  # the coordinator sees both streets
    mine = next(r for r in rows if r[0] == a.tracking_code)
    assert "'" + ATTACK in mine and ATTACK not in mine
    assert "13900004321" not in text and "139****4321" in text


def test_the_ledger_follows_the_list_filters_and_the_viewers_scope(client, world, two):
    a, b = two
    client.force_login(world.users["dispatcher_b"])
    rows = xlsx_rows(client.get(reverse("intake:ledger", args=["xlsx"])).content)
    assert [r[0] for r in rows[1:]] == [b.tracking_code]
    client.force_login(world.users["coordinator"])
    rows = xlsx_rows(
        client.get(reverse("intake:ledger", args=["xlsx"]), {"street": world.street_a.code}).content
    )
    assert [r[0] for r in rows[1:]] == [a.tracking_code]


@pytest.mark.parametrize("who", ["street_leader", "grid_worker", "lead_handler", "resident"])
def test_other_roles_may_not_export(client, world, two, who):
    client.force_login(world.users[who])
    assert client.get(reverse("intake:ledger", args=["csv"])).status_code == 403


def test_the_list_offers_the_export_with_its_filters_to_those_who_may(client, world, two):
    client.force_login(world.users["dispatcher"])
    page = client.get(reverse("intake:demand_list"), {"q": "路灯"}).content.decode()
    assert reverse("intake:ledger", args=["xlsx"]) + "?q=" in page
    client.force_login(world.users["street_leader"])
    assert (
        reverse("intake:ledger", args=["xlsx"])
        not in client.get(reverse("intake:demand_list")).content.decode()
    )


def test_too_large_an_export_asks_to_narrow_the_filters(client, world, two, settings):
    settings.LEDGER_MAX_ROWS = 1
    client.force_login(world.users["coordinator"])
    response = client.get(reverse("intake:ledger", args=["xlsx"]), follow=True)
    assert response.redirect_chain and "缩小筛选范围" in response.content.decode()


def test_the_api_exports_the_ledger_with_the_same_rules(world, two, api_as, settings):  # noqa: F811
    a, _b = two
    response = api_as("dispatcher").get("/api/v1/demands/ledger", {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8")
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    assert a.tracking_code in cells and "13900004321" not in text and "'" + ATTACK in cells
    xlsx = api_as("coordinator").get(
        "/api/v1/demands/ledger", {"format": "xlsx", "street": world.street_a.code}
    )
    assert [r[0] for r in xlsx_rows(xlsx.content)[1:]] == [a.tracking_code]
    denied = api_as("street_leader").get("/api/v1/demands/ledger")
    assert denied.status_code == 403 and " / " in denied.json()["error"]["message"]
    settings.LEDGER_MAX_ROWS = 1
    refused = api_as("coordinator").get("/api/v1/demands/ledger")
    assert refused.status_code == 400 and refused.json()["error"]["fields"] == {"filters": "too_many_rows"}
