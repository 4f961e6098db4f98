"""12345 work orders from a spreadsheet (.xlsx): the first sheet, a header row, one order per row.

Headers in Chinese or English (`orders.ALIASES`: 工单编号 / order_no, 来电时间 / time, ...); unknown
columns are ignored, blank rows skipped. Errors name the spreadsheet row and column letter.
"""

from __future__ import annotations

import io
import zipfile

from openpyxl.utils import get_column_letter

from shaobao.hotline.actions import RowError
from shaobao.hotline.orders import HEADERS_ZH, field_of

REQUIRED = ("order_no", "content")


def read_orders(data: bytes) -> tuple[list[dict], list[int], dict[str, str], list[RowError]]:
    """(rows keyed by field, their spreadsheet row numbers, field → column letter, file errors)."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        return [], [], {}, [RowError(0, "file", "不是有效的 xlsx 文件 / Not a valid .xlsx file")]
    try:
        sheet = wb.worksheets[0]
        rows_iter = sheet.iter_rows(values_only=True)
        header = next(rows_iter, None) or ()
        columns: dict[str, str] = {}
        positions: dict[int, str] = {}
        for i, cell in enumerate(header):
            name = field_of(cell)
            if name and name not in columns:
                columns[name] = get_column_letter(i + 1)
                positions[i] = name
        missing = [f for f in REQUIRED if f not in columns]
        if missing:
            return (
                [],
                [],
                columns,
                [RowError(1, f, f"缺少“{HEADERS_ZH[f]}”列 / Missing column '{f}'") for f in missing],
            )
        rows, numbers = [], []
        for number, values in enumerate(rows_iter, start=2):
            if all(v is None or str(v).strip() == "" for v in values):
                continue
            rows.append({positions[i]: v for i, v in enumerate(values) if i in positions})
            numbers.append(number)
        return rows, numbers, columns, []
    finally:
        wb.close()


def template_bytes() -> bytes:
    """An empty spreadsheet with the headers and one example row (the upload page offers it)."""
    from openpyxl import Workbook

    from shaobao.core.xlsx import append_row, secure_workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "12345"
    append_row(ws, [HEADERS_ZH[f] for f in HEADERS_ZH])
    append_row(
        ws,
        ["GD2024050100001", "2024-05-01 09:30", "张先生", "13800000000", "滨河街道承平里3号楼",
         "楼顶私搭乱建，影响邻居采光", "违法建设", "2024-05-08 18:00", "否"],
    )  # fmt: skip
    secure_workbook(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
