"""The admission reports as .xlsx: requests by department, refusals, the catalogue per community.

Every text cell goes through `core.xlsx.append_row`, so a name or a reason typed as `=…` stays text.
Headers are in the language of the page that asked for the file.
"""

from __future__ import annotations

from io import BytesIO

from django.utils.translation import gettext as _

from shaobao.admission.models import EntryKind
from shaobao.core.xlsx import append_row


def reports_workbook(district, *, by_department: list, refusals: list, per_community: list) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = _("By department")[:31]
    append_row(ws, [_("unit code"), _("department"), _("filed"), _("pending"), _("approved"), _("refused")])
    for r in by_department:
        append_row(
            ws, [r["unit__code"], r["unit__name"], r["total"], r["pending"], r["approved"], r["refused"]]
        )

    ws = wb.create_sheet(_("Refusals")[:31])
    append_row(ws, [_("no."), _("department"), _("kind"), _("what"), _("filed"), _("decided"), _("reason")])
    for req in refusals:
        append_row(
            ws,
            [
                req.pk,
                req.unit.name,
                req.get_kind_display(),
                req.name,
                req.filed_at.date() if req.filed_at else None,
                req.decided_at.date() if req.decided_at else None,
                req.decision_note,
            ],
        )

    ws = wb.create_sheet(_("Catalogue per community")[:31])
    append_row(
        ws,
        [_("code"), _("street/township"), _("community/village")]
        + [str(label) for _code, label in EntryKind.choices]
        + [_("outside signboards"), _("total")],
    )
    for c in per_community:
        append_row(
            ws,
            [c["code"], c["street"], c["name"]]
            + [c["kinds"][code] for code in EntryKind.values]
            + [c["outside_signboards"], c["total"]],
        )
    for sheet in wb.worksheets:
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
