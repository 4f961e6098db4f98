"""The duty-list export writes typed formulas as text (xlsx and CSV) and imports them back unchanged."""

from __future__ import annotations

import csv
import io

import pytest

from tests.core.test_xlsx import ATTACKS, sheet_xml


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_duty_list_export_writes_typed_formulas_as_text_and_imports_them_back(duty_world, fmt):
    from shaobao.duties.actions import do_import_duty_list
    from shaobao.duties.io import export_duty_list, parse_duty_file
    from tests.duties.helpers import csv_bytes, matter_row

    attack = ATTACKS[1]
    parsed = parse_duty_file(
        csv_bytes([matter_row(description=attack, keywords='=HYPERLINK("x")')]),  # typed as plain text
        district=duty_world.district,
        fmt="csv",
    )
    assert parsed.errors == []
    duty_list = do_import_duty_list(actor=None, district=duty_world.district, parsed=parsed)
    out, overrides = io.BytesIO(), io.BytesIO()
    export_duty_list(duty_list, out, fmt=fmt, overrides_out=overrides)
    data = out.getvalue()
    if fmt == "xlsx":
        assert "<f>" not in sheet_xml(data)
    else:
        cells = [c for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for c in row]
        assert "'" + attack in cells and attack not in cells
    again = parse_duty_file(
        data, district=duty_world.district, fmt=fmt, overrides=overrides.getvalue() if fmt == "csv" else None
    )
    assert again.errors == []
    copy = do_import_duty_list(actor=None, district=duty_world.district, parsed=again)
    assert copy.matters.get().description == attack
