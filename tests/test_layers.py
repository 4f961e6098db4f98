"""The apps import downward only and no two modules import each other (issue 15, section 9).

Runs import-linter with the contracts of pyproject.toml (`[tool.importlinter]`): the `layers` contract
(core → org → duties → intake → routing → whistles → evaluation | platform → api | demo, imports inside
functions included) and `acyclic_siblings` (no cycle between sibling modules or packages, at any depth:
a pair of modules importing each other is one). `make test` runs `lint-imports` first as well.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECK = (
    "from importlinter.cli import lint_imports; "
    "raise SystemExit(lint_imports(config_filename='pyproject.toml', no_cache=True, no_logo=True))"
)


def _lint(root: Path) -> subprocess.CompletedProcess:
    # A fresh interpreter started in `root`, so that `shaobao` is that tree's package.
    return subprocess.run(
        [sys.executable, "-c", CHECK], cwd=root, capture_output=True, text=True, timeout=120
    )


def test_apps_import_downward_only_and_no_module_cycle():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def _copy_of_project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    for path in (ROOT / "shaobao").rglob("*.py"):
        target = tmp_path / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(path.read_text())
    return tmp_path


def test_an_upward_import_inside_a_function_breaks_the_check(tmp_path):
    root = _copy_of_project(tmp_path)
    with (root / "shaobao/core/calendar.py").open("a") as f:
        f.write("\n\ndef _upward():\n    from shaobao.org.models import Unit  # noqa: F401\n")
    result = _lint(root)
    assert result.returncode == 1
    assert "shaobao.core is not allowed to import shaobao.org" in result.stdout


def test_two_modules_importing_each_other_break_the_check(tmp_path):
    root = _copy_of_project(tmp_path)
    (root / "shaobao/demo/month_steps.py").write_text(
        (root / "shaobao/demo/month_steps.py").read_text() + "\nfrom shaobao.demo import month  # noqa\n"
    )
    result = _lint(root)
    assert result.returncode == 1
    assert "No cycles are allowed in shaobao.demo" in result.stdout
