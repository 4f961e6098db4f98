"""The 双报到 reports: person-times and hours per community and organisation over a period (the daily roll-up),
the members with the most person-times and the members who served in the month where the period ends (the
monthly roll-up), coverage per community; for the page (with its ECharts chart) and as an xlsx workbook
(formula-safe, `core.xlsx`). See `checkin.rollup`."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _

from shaobao.checkin import selectors
from shaobao.checkin.privacy import mask_name
from shaobao.core.xlsx import append_row

TOP = 20


def report_context(user, period, *, street: str = "", top: int | None = TOP) -> dict:
    filters = {"street": street} if street else {}
    by_community = selectors.person_times_by(user, period, "community", **filters)
    by_org = selectors.person_times_by(user, period, "organisation", limit=top, **filters)
    month = period.last.replace(day=1)
    by_member = selectors.members_of_month(user, month, limit=top, **filters)
    _mask_members(user, by_member)
    coverage = selectors.coverage(user, street=street)
    chart = {
        "communities": [r["name"] for r in by_community[:30]],
        "person_times": [r["person_times"] for r in by_community[:30]],
        "hours": [float(r["hours"]) for r in by_community[:30]],
    }
    return {
        "period": period,
        "totals": selectors.totals(user, period, **filters),
        "month": month,
        "members_who_served": selectors.members_who_served(user, month, **filters),
        "by_community": by_community,
        "by_organisation": by_org,
        "by_member": by_member,
        "coverage": coverage,
        "covered": sum(1 for c in coverage if c["organisations"] or c["members"]),
        "chart": chart,
    }


def _mask_members(user, rows: list[dict]) -> None:
    """Members' names only for those who may see them (the managers of their community)."""
    from shaobao.checkin.models import MemberCheckin
    from shaobao.checkin.privacy import shows_name

    members = {
        m.pk: m
        for m in MemberCheckin.objects.filter(pk__in=[r["id"] for r in rows]).select_related("community")
    }
    for r in rows:
        m = members.get(r["id"])
        if m is not None and not shows_name(user, m):
            r["name"] = mask_name(r["name"])


def export_xlsx(user, period, *, street: str = "") -> bytes:
    from openpyxl import Workbook

    ctx = report_context(user, period, street=street, top=None)
    wb = Workbook()
    ws = wb.active
    ws.title = _("Communities")[:31]
    append_row(ws, [_("Period"), period.label])
    append_row(ws, [])
    append_row(
        ws,
        [
            _("community/village"),
            _("street/township"),
            _("person-times"),
            _("hours"),
        ],
    )
    for r in ctx["by_community"]:
        append_row(ws, [r["name"], r["where"], r["person_times"], float(r["hours"])])
    sheets = (
        (_("Organisations"), ctx["by_organisation"], _("organisation"), period.label),
        (_("Members"), ctx["by_member"], _("member"), ctx["month"].strftime("%Y-%m")),
    )
    for title, rows, label, when in sheets:
        sheet = wb.create_sheet(str(title)[:31])
        append_row(sheet, [_("Period"), when])
        append_row(sheet, [label, _("community/village"), _("person-times"), _("hours")])
        for r in rows:
            append_row(sheet, [r["name"], r["where"], r["person_times"], float(r["hours"])])
    cov = wb.create_sheet(str(_("Coverage"))[:31])
    append_row(
        cov,
        [
            _("community/village"),
            _("street/township"),
            _("organisations"),
            _("members"),
            _("new employment groups"),
            _("open needs"),
            _("service posts"),
        ],
    )
    for c in ctx["coverage"]:
        append_row(
            cov,
            [
                c["name"],
                c["street"],
                c["organisations"],
                c["members"],
                c["new_employment"],
                c["open_needs"],
                c["posts"],
            ],
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
