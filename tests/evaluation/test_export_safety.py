"""The evaluation workbook writes unit and matter names as text, never as formulas."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from tests.core.test_xlsx import sheet_xml


def test_evaluation_workbook_writes_names_as_text():
    from shaobao.evaluation.exports import to_xlsx

    report = {
        "period": "2026-10",
        "weight_version": 1,
        "tables": [
            {
                "title": "=1+1",
                "head": ["名次", "单位"],
                "rows": [[1, '=HYPERLINK("http://evil.example","x")']],
                "rate_cols": [],
            }
        ],
    }
    data = to_xlsx(report)
    assert "<f>" not in sheet_xml(data)
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    assert ws["B3"].value == '=HYPERLINK("http://evil.example","x")' and ws["B3"].data_type == "s"
    assert ws["A3"].value == 1
