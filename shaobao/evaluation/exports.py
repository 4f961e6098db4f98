"""A month's rankings and indicators as .xlsx (openpyxl, one sheet per table) and .pdf (reportlab).

The PDF's Chinese font comes from core.pdf_fonts: a TrueType CJK font embedded when one is found, else
reportlab's built-in CID font STSong-Light.
"""

from __future__ import annotations

import io

from django.utils import timezone
from django.utils.translation import gettext as _

from shaobao.evaluation import extras, selectors
from shaobao.evaluation.indicators import INDICATORS, Period

RATE_COLUMNS = [
    "response_rate",
    "on_time_rate",
    "resolution_rate",
    "satisfaction_rate",
    "rework_rate",
    "dispute_rate",
    "upheld_dispute_rate",
    "extension_rate",
]
HOUR_COLUMNS = ["avg_report_hours", "p90_report_hours", "avg_finish_hours", "p90_finish_hours"]


def _rate(ind: dict, code: str):
    f = ind.get(code) or {}
    return f.get("value") if isinstance(f, dict) else None


def _fmt_pct(v) -> str:
    return "—" if v is None else f"{v * 100:.1f}%"


def _fmt_num(v, digits: int = 1) -> str:
    return "—" if v is None else f"{v:.{digits}f}"


def build_report(user, period: Period) -> dict:
    """Plain tables (header + rows of Python values) for the user's scope."""
    ranking = selectors.ranking_for(user, period)
    extra_figures, extra_values = extras.unit_extras(ranking["units"], period)
    rate_heads = [str(INDICATORS[c][0]) for c in RATE_COLUMNS]
    hour_heads = [str(INDICATORS[c][0]) for c in HOUR_COLUMNS]

    def indicator_cells(ind: dict) -> list:
        overdue = (ind.get("overdue_count") or {}).get("numerator")
        overdue = None if overdue is None else int(overdue)
        return [_rate(ind, c) for c in RATE_COLUMNS] + [overdue] + [ind.get(c) for c in HOUR_COLUMNS]

    tables = []
    tables.append(
        {
            "title": _("Street ranking"),
            "head": [_("Rank"), _("Rank change"), _("Street"), _("Composite")]
            + rate_heads
            + [_("Overdue")]
            + hour_heads,
            "rate_cols": range(4, 4 + len(RATE_COLUMNS)),
            "decimal_cols": range(5 + len(RATE_COLUMNS), 5 + len(RATE_COLUMNS) + len(HOUR_COLUMNS)),
            "name_col": 2,
            "rows": [
                [r["rank"], r.get("change"), r["name"], r["composite"]] + indicator_cells(r["indicators"])
                for r in ranking["streets"]
            ],
        }
    )
    tables.append(
        {
            "title": _("Unit ranking"),
            "head": [_("Rank"), _("Rank change"), _("Unit"), _("Composite"), _("Bottom-up"), _("Objective")]
            + rate_heads
            + [_("Overdue")]
            + hour_heads
            + [str(f.label) for f in extra_figures],
            "rate_cols": range(6, 6 + len(RATE_COLUMNS)),
            "decimal_cols": range(7 + len(RATE_COLUMNS), 7 + len(RATE_COLUMNS) + len(HOUR_COLUMNS)),
            "name_col": 2,
            "rows": [
                [r["rank"], r.get("change"), r["name"], r["composite"], r["bottom_up"], r["objective"]]
                + indicator_cells(r["indicators"])
                + extra_values.get(r["id"], [])
                for r in ranking["units"]
            ],
        }
    )
    matters = selectors.matter_indicators(user, period)
    if matters:
        tables.append(
            {
                "title": _("Matters"),
                "head": [_("Code"), _("Matter")] + rate_heads + [_("Overdue")] + hour_heads,
                "rate_cols": range(2, 2 + len(RATE_COLUMNS)),
                "decimal_cols": range(3 + len(RATE_COLUMNS), 3 + len(RATE_COLUMNS) + len(HOUR_COLUMNS)),
                "name_col": 1,
                "rows": [[m["code"], m["name"]] + indicator_cells(m["indicators"]) for m in matters],
            }
        )
    return {
        "period": period.label,
        "weight_version": ranking["weight_version"],
        "published_at": ranking.get("published_at"),
        "generated_at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
        "tables": tables,
    }


def to_xlsx(report: dict) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    from shaobao.core.xlsx import append_row

    wb = Workbook()
    wb.remove(wb.active)
    head_fill = PatternFill("solid", fgColor="C0392B")
    for table in report["tables"]:
        ws = wb.create_sheet(str(table["title"])[:31])
        # append_row: unit and matter names are typed by administrators; formula-like text stays text.
        append_row(ws, [f"{table['title']} · {report['period']} · 权重 v{report['weight_version']}"])
        ws["A1"].font = Font(bold=True, size=13)
        append_row(ws, [str(h) for h in table["head"]])
        for cell in ws[2]:
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = head_fill
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        for row in table["rows"]:
            append_row(ws, row)
        # Each table names its columns (0-based): rates as percentages, hours and scores with one decimal.
        for cols, number_format in ((table["rate_cols"], "0.0%"), (table.get("decimal_cols", ()), "0.0")):
            for col in cols:
                for cell in ws.iter_rows(min_row=3, min_col=col + 1, max_col=col + 1):
                    cell[0].number_format = number_format
        for index, head in enumerate(table["head"], start=1):
            ws.column_dimensions[get_column_letter(index)].width = max(8, min(28, len(str(head)) * 2 + 2))
        ws.freeze_panes = "A3"
        ws.row_dimensions[2].height = 32
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def to_pdf(report: dict) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from shaobao.core.pdf_fonts import pdf_font_name

    font = pdf_font_name()
    title = ParagraphStyle("t", fontName=font, fontSize=15, leading=20)
    small = ParagraphStyle("s", fontName=font, fontSize=6.5, leading=8)
    note = ParagraphStyle("n", fontName=font, fontSize=8, leading=11, textColor=colors.grey)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=10 * mm,
        rightMargin=10 * mm,
        topMargin=10 * mm,
        bottomMargin=10 * mm,
    )
    story = []
    for n, table in enumerate(report["tables"]):
        if n:
            story.append(PageBreak())
        story.append(Paragraph(f"哨报 | {table['title']} | {report['period']}", title))
        story.append(
            Paragraph(
                f"权重版本 v{report['weight_version']} | "
                + (
                    f"已发布 {report['published_at'][:16]}"
                    if report["published_at"]
                    else "实时数据（未发布）"
                )
                + f" | 生成于 {report['generated_at']}",
                note,
            )
        )
        story.append(Spacer(1, 4 * mm))
        rate_cols = set(table["rate_cols"])
        data = [[Paragraph(str(h), small) for h in table["head"]]]
        for row in table["rows"]:
            cells = []
            for i, v in enumerate(row):
                if i in rate_cols:
                    cells.append(_fmt_pct(v))
                elif isinstance(v, float):
                    cells.append(_fmt_num(v))
                else:
                    cells.append(Paragraph("—" if v is None else str(v), small))
            data.append(cells)
        name_col = table.get("name_col", 0)
        width = landscape(A4)[0] - 20 * mm
        name_w = 42 * mm
        other_w = (width - name_w) / (len(table["head"]) - 1)
        widths = [name_w if i == name_col else other_w for i in range(len(table["head"]))]
        t = Table(data, repeatRows=1, colWidths=widths)
        t.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), font, 6.5),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f2d7d5")),
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f7f7f7")]),
                ]
            )
        )
        story.append(t)
    doc.build(story)
    return buffer.getvalue()
