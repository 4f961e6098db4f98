"""Importing duty files: good files become a new draft; a bad file is rejected whole, every error placed."""

from __future__ import annotations

import io

import pytest

from shaobao.duties.actions import ImportRejected, do_import_duty_list
from shaobao.duties.io import export_duty_list, parse_duty_file
from shaobao.duties.models import Domain, DutyList, Matter, MatterOverride
from shaobao.duties.selectors import rule_for
from tests.duties.helpers import (
    MATTER_HEADER,
    csv_bytes,
    matter_row,
    override_row,
    xlsx_bytes,
    xlsx_values,
)

pytestmark = pytest.mark.django_db


def parse(data: bytes, world, fmt="xlsx", overrides=None):
    return parse_duty_file(data, district=world.district, fmt=fmt, overrides=overrides)


def snapshot() -> tuple:
    return (
        DutyList.objects.count(),
        Matter.objects.count(),
        MatterOverride.objects.count(),
        Domain.objects.count(),
    )


def test_good_xlsx_becomes_a_new_draft_with_matters_and_overrides(duty_world):
    data = xlsx_bytes(
        [
            matter_row(code="CG-001", keywords="违建;私搭乱建；加盖"),
            matter_row(
                code="HB-002",
                name="噪声扰民",
                domain_code="HJBH",
                domain_name="环境保护",
                lead_unit="ZJW",
                supporting_units="CGZF、BH-CG",
                time_limit=48,
                time_limit_unit="hours",
                default_urgency="紧急",
                street_may_handle="是",
            ),
        ],
        overrides=[
            override_row(),
            override_row(
                street="110117002",
                lead_unit="XG-CG",
                time_limit=3,
                time_limit_unit="自然日",
                replace_supporting_units="是",
                supporting_units="",
                street_may_handle="true",
            ),
        ],
    )
    parsed = parse(data, duty_world)
    assert parsed.errors == []
    draft = do_import_duty_list(actor=duty_world.users["admin"], district=duty_world.district, parsed=parsed)

    assert draft.status == "draft" and draft.version == 2
    noise = draft.matters.get(code="HB-002")
    assert noise.domain.name == "环境保护"  # a new domain, created because the file names it
    assert noise.lead_unit == duty_world.supporting_unit
    assert {u.code for u in noise.supporting_units.all()} == {"CGZF", "BH-CG"}
    assert (noise.time_limit, noise.time_limit_unit) == (48, "hours")
    assert noise.default_urgency == "urgent" and noise.street_may_handle is True
    assert draft.matters.get(code="CG-001").keywords == ["违建", "私搭乱建", "加盖"]

    violation = draft.matters.get(code="CG-001")
    rule_b = rule_for(violation, duty_world.street_b)
    assert rule_b.lead_unit.code == "XG-CG"
    assert rule_b.supporting_units == ()  # replaced by an empty list
    assert (rule_b.time_limit, rule_b.time_limit_unit, rule_b.street_may_handle) == (3, "calendar_days", True)
    rule_a = rule_for(violation, duty_world.street_a)
    assert [u.code for u in rule_a.supporting_units] == ["ZJW", "BH-CG"]  # added to the list's own


def test_good_csv_with_companion_overrides_file(duty_world):
    data = csv_bytes([matter_row(code="CG-009", time_limit="5", street_may_handle="false")])
    overrides = csv_bytes(
        [override_row(matter="CG-009")],
        header=[c for c in __import__("tests.duties.helpers", fromlist=["x"]).OVERRIDE_HEADER],
    )
    parsed = parse(data, duty_world, fmt="csv", overrides=overrides)
    assert parsed.errors == []
    draft = do_import_duty_list(actor=None, district=duty_world.district, parsed=parsed, publish=True)
    assert draft.status == "published"
    matter = draft.matters.get()
    assert matter.code == "CG-009" and matter.time_limit == 5
    assert matter.overrides.get().street == duty_world.street_a
    duty_world.duty_list.refresh_from_db()
    assert duty_world.duty_list.status == "retired"


def test_csv_saved_by_excel_in_gb18030_and_chinese_only_headers(duty_world):
    header = [h.split("/")[1] for h in MATTER_HEADER]
    parsed = parse(csv_bytes([matter_row()], header=header, encoding="gb18030"), duty_world, fmt="csv")
    assert parsed.errors == []
    assert parsed.matters[0].name == "违法建设"


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_export_import_export_gives_the_same_content(duty_world, fmt):
    from shaobao.duties.models import MatterOverride

    override = MatterOverride.objects.create(
        matter=Matter.objects.create(
            duty_list=DutyList.objects.create(district=duty_world.other_district, name="x", version=1),
            code="X",
            name="x",
            domain=duty_world.matter.domain,
            lead_unit=duty_world.outsider_unit,
            time_limit=1,
            time_limit_unit="hours",
        ),
        street=duty_world.street_a,
    )  # noise in another district's draft: must not leak into the export
    assert override.pk
    source = _rich_published_list(duty_world)

    def export(duty_list) -> tuple[bytes, bytes]:
        out, o_out = io.BytesIO(), io.BytesIO()
        export_duty_list(duty_list, out, fmt=fmt, overrides_out=o_out)
        return out.getvalue(), o_out.getvalue()

    first, first_overrides = export(source)
    parsed = parse(first, duty_world, fmt=fmt, overrides=first_overrides if fmt == "csv" else None)
    assert parsed.errors == []
    copy = do_import_duty_list(actor=None, district=duty_world.district, parsed=parsed)
    second, second_overrides = export(copy)
    if fmt == "xlsx":
        assert xlsx_values(first) == xlsx_values(second)
        assert len(xlsx_values(first)["overrides"]) == 3  # header + 2 overrides
    else:
        assert first == second and first_overrides == second_overrides
        assert first.decode("utf-8-sig").count("\r\n") == 3  # header + 2 matters (one with a line break)


def _rich_published_list(w) -> DutyList:
    """The world's list plus a second matter and two overrides, via import so it is a real version."""
    data = xlsx_bytes(
        [
            matter_row(description="未经批准的建设，含\n多行说明", keywords="违建、私搭乱建"),
            matter_row(
                code="SZ-010",
                name="路面积水",
                domain_code="SZ",
                domain_name="市政设施",
                lead_unit="ZJW",
                supporting_units="CGZF;BH-CG",
                time_limit=24,
                time_limit_unit="小时",
                default_urgency="特急",
                street_may_handle="是",
                keywords="",
            ),
        ],
        overrides=[
            override_row(),
            override_row(
                street="110117002000",
                matter="SZ-010",
                lead_unit="XG-CG",
                replace_supporting_units="是",
                time_limit=2,
                time_limit_unit="工作日",
                street_may_handle="否",
            ),
        ],
    )
    parsed = parse(data, w)
    assert parsed.errors == []
    return do_import_duty_list(actor=None, district=w.district, parsed=parsed, publish=True)


# --- bad files ----------------------------------------------------------------------------------------


def rejected(data: bytes, world, fmt="xlsx", overrides=None) -> list[str]:
    """Import a bad file: it must be refused whole, the database untouched; the messages come back."""
    before = snapshot()
    parsed = parse(data, world, fmt=fmt, overrides=overrides)
    assert parsed.errors, "the file should have been rejected"
    with pytest.raises(ImportRejected) as exc:
        do_import_duty_list(actor=None, district=world.district, parsed=parsed)
    assert snapshot() == before
    assert exc.value.issues == parsed.errors
    return [str(e) for e in parsed.errors]


def test_unknown_unit_is_reported_with_row_and_column(duty_world):
    errors = rejected(
        xlsx_bytes([matter_row(), matter_row(code="CG-002"), matter_row(code="CG-003", lead_unit="XYZ")]),
        duty_world,
    )
    assert errors == [
        "工作表 matters 第4行 G列(lead_unit): 单位 XYZ 不存在 / Sheet 'matters' row 4 column G (lead_unit): unknown unit XYZ"
    ]


def test_every_error_of_the_file_is_listed_not_just_the_first(duty_world):
    data = xlsx_bytes(
        [
            matter_row(lead_unit="XYZ", supporting_units="ZJW、NOPE"),
            matter_row(code="CG-002", time_limit="七天", time_limit_unit="周"),
            matter_row(code="CG-001", name=""),
            matter_row(code="CG-004", lead_unit="CY-CG", supporting_units="OLD"),
        ],
        overrides=[override_row(street="110105001000"), override_row(matter="NONE")],
    )
    errors = rejected(data, duty_world)
    places = [e.split(":")[0] for e in errors]
    assert places == [
        "工作表 matters 第2行 G列(lead_unit)",
        "工作表 matters 第2行 H列(supporting_units)",
        "工作表 matters 第3行 I列(time_limit)",
        "工作表 matters 第3行 J列(time_limit_unit)",
        "工作表 matters 第4行 A列(code)",
        "工作表 matters 第4行 B列(name)",
        "工作表 matters 第5行 G列(lead_unit)",
        "工作表 matters 第5行 H列(supporting_units)",
        "工作表 overrides 第2行 A列(street)",
        "工作表 overrides 第3行 B列(matter)",
    ]
    assert "duplicate code CG-001 (also on row 2)" in errors[4]
    assert "required cell is empty" in errors[5]
    assert "unit CY-CG is not a unit of 平谷区" in errors[6]
    assert "unit OLD is inactive" in errors[7]


def test_duplicate_code_names_both_rows(duty_world):
    errors = rejected(xlsx_bytes([matter_row(), matter_row(name="重复")]), duty_world)
    assert errors == [
        "工作表 matters 第3行 A列(code): 事项编码 CG-001 重复（与第2行） / "
        "Sheet 'matters' row 3 column A (code): duplicate code CG-001 (also on row 2)"
    ]


def test_missing_column_is_named(duty_world):
    header = [h for h in MATTER_HEADER if not h.startswith("lead_unit")]
    rows = [[v for i, v in enumerate(matter_row()) if not MATTER_HEADER[i].startswith("lead_unit")]]
    errors = rejected(xlsx_bytes(rows, header=header), duty_world)
    assert errors == [
        "工作表 matters 第1行 (lead_unit): 缺少必需的列 lead_unit/主责单位 / "
        "Sheet 'matters' row 1 (lead_unit): missing required column lead_unit/主责单位"
    ]


@pytest.mark.parametrize(
    "value, message",
    [
        ("3.5", "bad time limit '3.5'"),
        (0, "bad time limit 0: must be above zero"),
        (-2, "bad time limit -2: must be above zero"),
        ("", "required cell is empty"),
        (2.5, "bad time limit 2.5"),
    ],
)
def test_bad_time_limit(duty_world, value, message):
    (error,) = rejected(xlsx_bytes([matter_row(time_limit=value)]), duty_world)
    assert error.startswith("工作表 matters 第2行 I列(time_limit)")
    assert message in error


def test_wrong_type_cells(duty_world):
    import datetime as dt

    data = xlsx_bytes([matter_row(time_limit=dt.datetime(2026, 1, 1), street_may_handle="也许", code=True)])
    errors = rejected(data, duty_world)
    assert [e.split(":")[0] for e in errors] == [
        "工作表 matters 第2行 A列(code)",
        "工作表 matters 第2行 I列(time_limit)",
        "工作表 matters 第2行 L列(street_may_handle)",
    ]
    assert "wrong type: expected text, got boolean" in errors[0]
    assert "wrong type: expected a whole number, got date/time" in errors[1]
    assert "expected yes/no" in errors[2]


def test_bad_csv_time_limit_and_unknown_unit(duty_world):
    data = csv_bytes([matter_row(time_limit="abc"), matter_row(code="X2", supporting_units="ZJW NOPE")])
    errors = rejected(data, duty_world, fmt="csv")
    assert [e.split(":")[0] for e in errors] == [
        "工作表 matters 第2行 I列(time_limit)",
        "工作表 matters 第3行 H列(supporting_units)",
    ]


def test_unknown_domain_without_a_name_is_refused_and_a_renamed_domain_too(duty_world):
    errors = rejected(
        xlsx_bytes(
            [matter_row(domain_code="NEW", domain_name=""), matter_row(code="C2", domain_name="城管")]
        ),
        duty_world,
    )
    assert "unknown domain NEW; give its name (domain_name) to create it" in errors[0]
    assert "C列(domain_code)" in errors[0]
    assert "domain CSGL is named '城市管理', not '城管'" in errors[1]


def test_not_a_spreadsheet_and_an_empty_one(duty_world):
    assert "not a valid .xlsx file" in rejected(b"hello", duty_world)[0]
    assert "the file has no matters" in rejected(xlsx_bytes([]), duty_world)[0]


def test_headers_in_any_order_and_extra_columns_are_fine(duty_world):
    header = list(reversed(MATTER_HEADER)) + ["备注"]
    parsed = parse(xlsx_bytes([list(reversed(matter_row())) + ["随便写"]], header=header), duty_world)
    assert parsed.errors == []
    assert parsed.matters[0].lead_unit == duty_world.lead_unit


def test_codes_typed_as_numbers_in_excel_are_read_as_text(duty_world):
    from tests.factories import UnitFactory

    UnitFactory(code="1001", division=duty_world.district)
    parsed = parse(
        xlsx_bytes(
            [matter_row(code=2001, lead_unit=1001, supporting_units=1001.0, time_limit=3.0)],
            overrides=[override_row(street=110117001000, matter=2001, lead_unit=1001, supporting_units="")],
        ),
        duty_world,
    )
    assert [str(e) for e in parsed.errors] == [
        "工作表 matters 第2行 H列(supporting_units): 主责单位 1001 不能同时是配合单位 / "
        "Sheet 'matters' row 2 column H (supporting_units): the lead unit 1001 cannot also be a supporting unit"
    ]
    parsed = parse(
        xlsx_bytes(
            [matter_row(code=2001, lead_unit=1001, time_limit=3.0)],
            overrides=[override_row(street=110117001000, matter=2001, lead_unit=1001, supporting_units="")],
        ),
        duty_world,
    )
    assert parsed.errors == []
    assert (parsed.matters[0].code, parsed.matters[0].lead_unit.code, parsed.matters[0].time_limit) == (
        "2001",
        "1001",
        3,
    )
    assert parsed.overrides[0].street == duty_world.street_a


def test_a_rejected_file_creates_no_domain_either(duty_world):
    errors = rejected(
        xlsx_bytes(
            [matter_row(domain_code="NEW", domain_name="新领域"), matter_row(code="C2", lead_unit="NOPE")]
        ),
        duty_world,
    )
    assert len(errors) == 1 and "unknown unit NOPE" in errors[0]
    assert not Domain.objects.filter(code="NEW").exists()
