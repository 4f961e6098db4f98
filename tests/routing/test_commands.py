"""train_router and eval_router: a version is stored and used; the last line of eval_router is JSON."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

from shaobao.routing.models import RouterModel
from tests.routing.conftest import make_demand

ROWS = [
    ("楼顶私搭乱建", "小区楼顶有人私搭乱建彩钢房", "建设"),
    ("违章建筑", "邻居院子里加盖违建", "建设"),
    ("违法建设", "绿地上盖了违法建筑", "建设"),
    ("夜间施工噪音", "工地晚上施工噪音太大", "环境"),
    ("广场舞扰民", "广场舞噪声扰民到深夜", "环境"),
    ("废气污染", "工厂排放废气有刺鼻气味", "环境"),
]


@pytest.fixture
def small_csv(tmp_path):
    path = tmp_path / "train.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "subject", "body", "label"])
        for i, row in enumerate(ROWS * 2):
            w.writerow([i, *row])
    return path


def _run(*args) -> list[str]:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue().strip().splitlines()


def test_train_then_eval_the_model_in_use(db, small_csv, tmp_path):
    lines = _run("train_router", "--csv", str(small_csv), "--folds", "2", "--prior", "none")
    assert "v1" in lines[0]
    row = RouterModel.objects.get(is_active=True)
    assert row.labels == ["建设", "环境"] and row.figures["samples"] == 12 and "macro_f1" in row.figures
    out = tmp_path / "eval.json"
    lines = _run("eval_router", "--csv", str(small_csv), "--out", str(out))
    last = json.loads(lines[-1])
    assert set(last) >= {"accuracy", "macro_f1", "top3_accuracy"}
    assert last["accuracy"] == 1.0  # it has seen these very texts
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert saved["confusion"]["labels"] == ["建设", "环境"] and saved["model_version"] == 1


def test_cross_validation_prints_the_tables_and_ends_with_json(db, small_csv, tmp_path):
    lines = _run(
        "eval_router",
        "--csv",
        str(small_csv),
        "--folds",
        "2",
        "--prior",
        "none",
        "--out",
        str(tmp_path / "e.json"),
    )
    assert any("confusion matrix" in line for line in lines)
    assert any(line.startswith("建设") for line in lines)
    assert 0.0 <= json.loads(lines[-1])["macro_f1"] <= 1.0


def test_eval_without_a_model_and_bad_files_are_refused(db, small_csv, tmp_path):
    with pytest.raises(CommandError):
        _run("eval_router", "--csv", str(small_csv), "--out", str(tmp_path / "e.json"))
    with pytest.raises(CommandError):
        _run("train_router", "--csv", str(small_csv), "--label", "nope", "--prior", "none")
    with pytest.raises(CommandError):
        _run("train_router", "--csv", str(tmp_path / "missing.csv"), "--prior", "none")


def test_train_from_closed_demands_and_recorded_choices(world, duty_list):
    matters = {m.code: m for m in duty_list.matters.all()}
    for i in range(3):
        make_demand(world, subject=f"楼顶违建{i}", body="私搭乱建", state="closed", matter=matters["CG-001"])
        make_demand(
            world, subject=f"噪音扰民{i}", body="施工噪声", state="called_back", matter=matters["HJ-001"]
        )
    make_demand(world, subject="仍在办理", body="不计入", state="whistled", matter=matters["JT-001"])
    lines = _run("train_router", "--from-db", "--folds", "0")
    row = RouterModel.objects.get(is_active=True)
    assert row.labels == ["CG-001", "HJ-001"] and row.samples == 6
    assert "duty-list prior" in row.method  # the duty list in force is the prior by default
    assert "6 texts" in lines[0]
