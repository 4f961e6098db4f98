"""import_duties / export_duties: the operator's path, through the real command line entry point."""

from __future__ import annotations

import pytest
from django.core.management import ManagementUtility, call_command

from shaobao.duties.models import DutyList, Matter
from tests.duties.helpers import OVERRIDE_HEADER, csv_bytes, matter_row, override_row, xlsx_bytes, xlsx_values

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def keep_test_connection(monkeypatch):
    # run_from_argv closes every connection when it ends, which would drop the test transaction.
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)


def run(*argv: str) -> int:
    """Run `manage.py <argv>` in-process, as from the shell; its exit status (0 when it returns)."""
    try:
        ManagementUtility(["manage.py", *argv]).execute()
    except SystemExit as e:
        return int(e.code or 0)
    return 0


def test_import_creates_a_draft_and_publish_puts_it_in_force(world, tmp_path, capsys):
    path = tmp_path / "duties.xlsx"
    path.write_bytes(xlsx_bytes([matter_row(), matter_row(code="CG-002", name="占道经营")]))
    assert run("import_duties", str(path), "--district", "110117", "--name", "2027版") == 0
    draft = DutyList.objects.get(version=2)
    assert (draft.name, draft.status, draft.matters.count()) == ("2027版", "draft", 2)
    assert run("import_duties", str(path), "--district", "110117000000", "--publish") == 0
    assert DutyList.objects.in_force(world.district).version == 3
    assert "published" in capsys.readouterr().out


def test_a_bad_file_prints_every_error_and_exits_non_zero(world, tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes([matter_row(lead_unit="XYZ"), matter_row(code="CG-002", time_limit="x")]))
    before = (DutyList.objects.count(), Matter.objects.count())
    assert run("import_duties", str(path), "--district", "110117") == 1
    err = capsys.readouterr().err
    assert (
        "第2行 G列(lead_unit): 单位 XYZ 不存在 / Sheet 'matters' row 2 column G (lead_unit): unknown unit XYZ"
        in err
    )
    assert "Sheet 'matters' row 3 column I (time_limit): bad time limit 'x'" in err
    assert "2 error(s)" in err
    assert (DutyList.objects.count(), Matter.objects.count()) == before


def test_dry_run_writes_nothing(world, tmp_path):
    path = tmp_path / "duties.xlsx"
    path.write_bytes(xlsx_bytes([matter_row()]))
    assert run("import_duties", str(path), "--district", "110117", "--dry-run") == 0
    assert DutyList.objects.count() == 1


def test_unknown_extension_and_missing_file_exit_non_zero(world, tmp_path):
    (tmp_path / "duties.txt").write_text("x")
    assert run("import_duties", str(tmp_path / "duties.txt"), "--district", "110117") == 1
    assert run("import_duties", str(tmp_path / "nope.xlsx")) == 1
    assert run("import_duties", str(tmp_path / "duties.txt"), "--district", "999999") == 1
    assert run("export_duties", str(tmp_path / "out.xlsx"), "--district", "110117", "--version", "9") == 1


def test_csv_export_and_import_carry_overrides_in_a_companion_file(world, tmp_path):
    source = tmp_path / "in.csv"
    source.write_bytes(csv_bytes([matter_row()]))
    (tmp_path / "in.overrides.csv").write_bytes(csv_bytes([override_row()], header=OVERRIDE_HEADER))
    assert run("import_duties", str(source), "--district", "110117", "--publish") == 0
    assert Matter.objects.get(duty_list__status="published").overrides.count() == 1

    out = tmp_path / "out.csv"
    call_command("export_duties", str(out), "--district", "110117")
    assert (tmp_path / "out.overrides.csv").read_text(encoding="utf-8-sig").count("110117001000") == 1
    assert run("import_duties", str(out), "--district", "110117", "--publish") == 0
    again = tmp_path / "again.csv"
    call_command("export_duties", str(again), "--district", "110117")
    assert again.read_bytes() == out.read_bytes()
    assert (tmp_path / "again.overrides.csv").read_bytes() == (tmp_path / "out.overrides.csv").read_bytes()


def test_export_a_given_version_as_xlsx(world, tmp_path):
    path = tmp_path / "v1.xlsx"
    call_command("export_duties", str(path), "--district", "110117", "--version", "1")
    sheets = xlsx_values(path.read_bytes())
    assert sheets["matters"][1] == (
        "CG-001", "违法建设", "CSGL", "城市管理", None, "违建、私搭乱建", "CGZF", "ZJW", 7, "工作日", "一般", "否",
    )  # fmt: skip
    assert sheets["overrides"] == [tuple(OVERRIDE_HEADER)]
