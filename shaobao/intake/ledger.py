"""The demand ledger (台账): the staff demand list, with its current filters, as an xlsx or CSV file.

- Who: street dispatchers, district coordinators and administrators (`access_ledger`); others get 403.
  Rows are those the viewer may see (`Demand.objects.visible_to`) after the list's filters.
- Personal data: the reporter's name and phone are always masked in the file, for every role. A file
  travels (e-mail, USB sticks) and cannot be un-shared; the roles that must call a resident back reveal
  the number on the demand's page, where each reveal is logged. So exporting never unmasks, and needs no
  reveal log.
- Formulas: every text cell goes through `core.xlsx` (formula-like text written as text, `'=` in CSV).
- Language: headers and choice labels in the active language (the page's, or the API's Accept-Language).
- Size: at most LEDGER_MAX_ROWS rows (setting, default 20,000; beyond it the export is refused with a
  request to narrow the filters). The CSV is streamed row by row from a server-side cursor; the xlsx is
  built with openpyxl's write-only (streaming) workbook, so memory stays flat.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _

from shaobao.core.errors import Forbidden
from shaobao.core.xlsx import csv_row, is_formula_like
from shaobao.intake import people
from shaobao.intake.errors import refusal
from shaobao.intake.models import Demand
from shaobao.intake.privacy import mask_name, mask_phone
from shaobao.intake.selectors import OPEN_STATES

LEDGER_ROLES = frozenset({"street_dispatcher", "district_coordinator", "administrator"})
LEDGER_MAX_ROWS = 20_000
FORMATS = ("xlsx", "csv")


def access_ledger(user) -> None:
    if not may_export(user):
        raise refusal(
            lambda: _("Only dispatchers, coordinators and administrators may export the ledger."),
            "",
            "forbidden",
            Forbidden,
        )


def _field(name: str) -> str:
    return str(Demand._meta.get_field(name).verbose_name)


def headers() -> list[str]:
    return [
        _field("tracking_code"),
        _field("received_at"),
        _field("channel"),
        _field("kind"),
        _field("urgency"),
        _field("state"),
        _("street/township"),
        _("community/village"),
        _("matter code"),
        _("matter"),
        _("assigned unit"),
        _field("subject"),
        _field("address"),
        _field("reporter_name"),
        _field("reporter_phone"),
        _field("due_at"),
        _field("closed_at"),
        _("overdue"),
    ]


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _row(d: Demand, now) -> list:
    late = d.state in OPEN_STATES and d.due_at is not None and d.due_at <= now  # as the list's filter
    return [
        d.tracking_code,
        _when(d.received_at),
        str(d.get_channel_display()),
        str(d.get_kind_display()),
        str(d.get_urgency_display()),
        str(d.get_state_display()),
        d.street.name if d.street_id else "",
        d.community.name if d.community_id else "",
        d.matter.code if d.matter_id else "",
        d.matter.name if d.matter_id else "",
        d.assigned_unit.name if d.assigned_unit_id else "",
        d.subject,
        d.address,
        mask_name(d.reporter_name),
        mask_phone(d.reporter_phone),
        _when(d.due_at),
        _when(d.closed_at),
        _("yes") if late else _("no"),
    ]


def bounded(qs: QuerySet) -> QuerySet:
    """The ledger's rows, newest first; refused (ValidationFailed) when more than LEDGER_MAX_ROWS."""
    limit = getattr(settings, "LEDGER_MAX_ROWS", LEDGER_MAX_ROWS)
    count = qs.count()
    if count > limit:
        raise refusal(
            lambda: (
                _("%(count)d demands match; the ledger exports at most %(limit)d. Narrow the filters.")
                % {"count": count, "limit": limit}
            ),
            "filters",
            "too_many_rows",
        )
    return qs.select_related("street", "community", "matter", "assigned_unit").order_by("-received_at", "-id")


def rows(qs: QuerySet) -> Iterator[list]:
    now = timezone.now()
    for d in qs.iterator(chunk_size=500):
        yield _row(d, now)


def csv_stream(qs: QuerySet) -> Iterator[bytes]:
    """UTF-8 with a BOM (Excel reads Chinese correctly), one chunk per row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(values) -> bytes:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(csv_row(values))
        return buffer.getvalue().encode("utf-8")

    yield "\ufeff".encode() + line(headers())
    for row in rows(qs):
        yield line(row)


def xlsx_bytes(qs: QuerySet) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Demand ledger")[:31])
    ws.freeze_panes = "A2"

    def cells(values, *, bold=False):
        out = []
        for value in values:
            cell = WriteOnlyCell(ws, value=value)
            if is_formula_like(value):  # typed text stays text (see core.xlsx)
                cell.data_type = "s"
                cell.quotePrefix = True
            if bold:
                cell.font = Font(bold=True)
            out.append(cell)
        return out

    ws.append(cells(headers(), bold=True))
    for row in rows(qs):
        ws.append(cells(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def filename(fmt: str) -> str:
    return f"demand-ledger-{timezone.localtime().strftime('%Y%m%d-%H%M')}.{fmt}"


def may_export(user) -> bool:
    return people.has_role(user, LEDGER_ROLES)


def response(qs: QuerySet, fmt: str) -> HttpResponseBase:
    """The file as an HTTP response (CSV streamed); `qs` already `bounded`."""
    if fmt == "csv":
        answer: HttpResponseBase = StreamingHttpResponse(
            csv_stream(qs), content_type="text/csv; charset=utf-8"
        )
    else:
        answer = HttpResponse(
            xlsx_bytes(qs), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    answer["Content-Disposition"] = f'attachment; filename="{filename(fmt)}"'
    answer["Cache-Control"] = "no-store"
    return answer
