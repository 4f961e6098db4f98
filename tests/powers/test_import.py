"""Import and export of the list as xlsx: errors placed by row and column, nothing written on any error."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from shaobao.powers.io import parse_powers_file
from shaobao.powers.models import DelegatedPower, PowerVersion
from tests.powers.conftest import xlsx

pytestmark = pytest.mark.django_db

GOOD = [
    "CF-0001",
    "对违法建设的行政处罚",
    "行政处罚",
    "《北京市城乡规划条例》第六十八条",
    "CGZF",
    "全部",
    dt.date(2019, 7, 1),
    "CG-001",
    "否",
    None,
]


def test_a_file_with_errors_names_row_and_column_and_writes_nothing(world):
    data = xlsx(
        [
            GOOD,
            [
                "CF-0002",
                "对占道经营的处罚",
                "罚款类",
                None,
                "NOPE",
                "110117009",
                "七月一日",
                "ZZ-9",
                None,
                None,
            ],
            GOOD,  # duplicate code
        ]
    )
    parsed = parse_powers_file(data, district=world.district, name="powers.xlsx")
    where = {(e.row, e.column, e.field) for e in parsed.errors}
    assert (3, "C", "category") in where
    assert (3, "D", "legal_basis") in where
    assert (3, "E", "department") in where
    assert (3, "F", "streets") in where
    assert (3, "G", "effective_date") in where
    assert (3, "H", "matters") in where
    assert (4, "A", "code") in where
    assert not any(e.row == 2 for e in parsed.errors)


def test_the_import_page_shows_the_errors_and_writes_nothing(world, login):
    client = login("coordinator")
    bad = xlsx(
        [
            GOOD,
            ["CF-0002", "对占道经营的处罚", "行政处罚", "", "CGZF", "全部", dt.date(2019, 7, 1), "", "", ""],
        ]
    )
    response = client.post(reverse("powers:power_import"), {"file": SimpleUploadedFile("p.xlsx", bad)})
    assert response.status_code == 400
    html = response.content.decode()
    assert "第3行" in html and "D列(legal_basis)" in html
    assert not DelegatedPower.objects.exists() and not PowerVersion.objects.exists()


def test_import_creates_then_versions_then_withdraws_and_export_round_trips(world, login):
    client = login("coordinator")
    url = reverse("powers:power_import")
    response = client.post(url, {"file": SimpleUploadedFile("p.xlsx", xlsx([GOOD]))})
    assert response.status_code == 302
    power = DelegatedPower.objects.get()
    assert set(power.streets.values_list("code", flat=True)) == {world.street_a.code, world.street_b.code}
    assert list(power.matters.values_list("matter_code", flat=True)) == ["CG-001"]
    # the same file again: unchanged, no new version
    client.post(url, {"file": SimpleUploadedFile("p.xlsx", xlsx([GOOD]))})
    assert power.versions.count() == 1
    changed = [*GOOD[:5], "110117001", *GOOD[6:]]
    client.post(url, {"file": SimpleUploadedFile("p.xlsx", xlsx([changed]))})
    power.refresh_from_db()
    assert power.version == 2 and list(power.streets.values_list("code", flat=True)) == [world.street_a.code]
    withdrawn = [*changed[:8], "是", "职能调整"]
    client.post(url, {"file": SimpleUploadedFile("p.xlsx", xlsx([withdrawn]))})
    power.refresh_from_db()
    assert power.status == "withdrawn" and power.withdrawal_reason == "职能调整"

    exported = client.get(reverse("powers:power_export"))
    ws = load_workbook(io.BytesIO(exported.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[1][:6] == ("CF-0001", "对违法建设的行政处罚", "行政处罚", GOOD[3], "CGZF", "110117001")
    assert rows[1][8] == "是"
    # the export reads back without errors
    assert parse_powers_file(exported.content, district=world.district, name="x.xlsx").errors == []


def test_only_the_district_imports(world, login):
    for role in ("dispatcher", "lead_leader"):
        response = login(role).post(
            reverse("powers:power_import"), {"file": SimpleUploadedFile("p.xlsx", xlsx([GOOD]))}
        )
        assert response.status_code == 403
    assert not DelegatedPower.objects.exists()


def test_formula_like_text_is_exported_as_text(world, login):
    client = login("coordinator")
    evil = [*GOOD[:1], '=HYPERLINK("http://x")', *GOOD[2:]]
    client.post(reverse("powers:power_import"), {"file": SimpleUploadedFile("p.xlsx", xlsx([evil]))})
    ws = load_workbook(io.BytesIO(client.get(reverse("powers:power_export")).content)).active
    cell = ws.cell(row=2, column=2)
    assert cell.data_type == "s" and cell.value.startswith("=")
