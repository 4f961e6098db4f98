"""The forces report (coverage, presence, assessment results) as page data and as an xlsx workbook.

Sheet and column titles follow the active language; names typed by people go through core.xlsx
(formula-like text is written as text)."""

from __future__ import annotations

import datetime as dt
import io

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from shaobao.forces import selectors


def build_report(user, first: dt.date, last: dt.date) -> dict:
    return {
        "coverage": selectors.coverage(user, min(last, timezone.localdate())),
        "presence": selectors.presence_rates(user, first, last),
        "assessments": selectors.assessment_results(user, first, last),
    }


def _tables(report: dict) -> list[dict]:
    cov, pres, ass = report["coverage"], report["presence"], report["assessments"]
    present_by_street = {r["street"].pk: r for r in pres["by_street"]}
    return [
        {
            "title": _("Coverage by street"),
            "head": [_("street/township"), _("cadres deployed"), _("presence rate")],
            "pct": {2},
            "rows": [
                [
                    r["street"].name,
                    r["count"],
                    (present_by_street.get(r["street"].pk) or {}).get("rate"),
                ]
                for r in cov["by_street"]
            ],
        },
        {
            "title": _("Coverage by mode"),
            "head": [_("mode"), _("code"), _("cadres deployed")],
            "pct": set(),
            "rows": [[str(r["label"]), r["mode"], r["count"]] for r in cov["by_mode"]],
        },
        {
            "title": _("Presence by unit"),
            "head": [_("unit"), _("days expected"), _("days present"), _("presence rate")],
            "pct": {3},
            "rows": [
                [r["unit"].name if r["unit"] else _("reserve pool"), r["expected"], r["present"], r["rate"]]
                for r in pres["by_unit"]
            ],
        },
        {
            "title": _("Assessment results"),
            "head": [_("title"), _("host"), _("from"), _("until"), _("cadres"), _("average score")],
            "pct": set(),
            "rows": [
                [
                    r.title,
                    r.host.name,
                    r.starts_on,
                    r.ends_on,
                    r.cadres,
                    float(r.average) if r.average is not None else None,
                ]
                for r in ass["rounds"]
            ],
        },
    ]


def to_xlsx(report: dict, first: dt.date, last: dt.date) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from shaobao.core.xlsx import append_row

    wb = Workbook()
    wb.remove(wb.active)
    for table in _tables(report):
        ws = wb.create_sheet(str(table["title"])[:31])
        append_row(ws, [f"{table['title']} · {first:%Y-%m-%d} ~ {last:%Y-%m-%d}"])
        ws["A1"].font = Font(bold=True, size=13)
        append_row(ws, [str(h) for h in table["head"]])
        for cell in ws[2]:
            cell.font = Font(bold=True)
        for row in table["rows"]:
            append_row(ws, row)
        for col in table["pct"]:
            for cells in ws.iter_rows(min_row=3, min_col=col + 1, max_col=col + 1):
                cells[0].number_format = "0.0%"
        ws.column_dimensions["A"].width = 28
        ws.freeze_panes = "A3"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def xlsx_response(user, first: dt.date, last: dt.date) -> HttpResponse:
    report = build_report(user, first, last)
    response = HttpResponse(
        to_xlsx(report, first, last),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="forces-{first:%Y%m%d}-{last:%Y%m%d}.xlsx"'
    return response
