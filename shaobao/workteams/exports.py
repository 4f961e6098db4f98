"""The work-team report as .xlsx: teams, villages by kind, streets, overdue measures (formula-safe cells).

Household visits are counted, never listed: their households are private to the street, the district and
the team, and an export leaves the system."""

from __future__ import annotations

from io import BytesIO

from django.utils import timezone
from django.utils.translation import gettext as _

from shaobao.core.xlsx import append_row
from shaobao.workteams import selectors


def workbook(user) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    now = timezone.now()
    figures = selectors.report(user, now)
    wb = Workbook()
    bold = Font(bold=True)

    ws = wb.active
    ws.title = _("Teams")[:31]
    append_row(
        ws,
        [
            _("team"),
            _("village"),
            _("street/township"),
            _("village kind"),
            _("from"),
            _("members"),
            _("measures"),
            _("done"),
            _("overdue measures"),
            _("last review"),
            _("overdue for review"),
        ],
    )
    teams = selectors.with_figures(selectors.teams_for(user).filter(is_active=True), now).order_by(
        "street__code", "village__code", "id"
    )
    for t in teams:
        append_row(
            ws,
            [
                t.name,
                t.village.name,
                t.street.name,
                t.get_kind_display(),
                t.starts_on,
                t.member_count,
                t.measure_count,
                t.measures_done,
                t.measures_overdue,
                timezone.localtime(t.last_reviewed_at).date() if t.last_reviewed_at else None,
                _("yes") if t.review_overdue else _("no"),
            ],
        )

    ws = wb.create_sheet(_("Village kinds")[:31])
    append_row(ws, [_("village kind"), _("code"), _("villages with a team"), _("teams")])
    for k in figures["by_kind"]:
        append_row(ws, [str(k["label"]), k["code"], k["villages"], k["teams"]])

    ws = wb.create_sheet(_("Streets")[:31])
    append_row(
        ws,
        [
            _("street/township"),
            _("teams"),
            _("overdue for review"),
            _("measures"),
            _("done"),
            _("overdue measures"),
            _("household visits"),
        ],
    )
    for s in figures["streets"]:
        append_row(
            ws,
            [
                s["name"],
                s["teams"],
                s["review_overdue"],
                s["measures"],
                s["done"],
                s["measures_overdue"],
                s["visits"],
            ],
        )

    ws = wb.create_sheet(_("Overdue measures")[:31])
    append_row(ws, [_("team"), _("measure"), _("owner"), _("deadline"), _("working days late")])
    today = selectors.local_today(now)
    for m in selectors.overdue_measures(user, now):
        append_row(
            ws,
            [
                m.team.name,
                m.title,
                m.owner.cadre.name,
                m.due_on,
                selectors.working_days_late(m.due_on, today),
            ],
        )

    for sheet in wb.worksheets:
        for cell in sheet[1]:
            cell.font = bold
        sheet.freeze_panes = "A2"
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
