"""The staff's upload page for a spreadsheet of 12345 work orders (thin: the rules are in actions)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from shaobao.hotline import actions, xlsx
from shaobao.hotline.access import require_gateway
from shaobao.hotline.forms import UploadForm
from shaobao.hotline.models import OrderSource
from shaobao.intake.views import web_view

MAX_UPLOAD = 10 * 1024 * 1024


def _in_language(message: str, zh: bool) -> str:
    """Our messages are "中文 / English": the page's language only."""
    head, sep, tail = message.partition(" / ")
    return (head if zh else tail) if sep else message


@web_view
def upload(request):
    require_gateway(request.user)
    form = UploadForm(request.POST or None, request.FILES or None)
    zh = (request.LANGUAGE_CODE or "").startswith("zh")
    errors, answers, status = [], None, 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            upload_file = form.cleaned_data["file"]
            if upload_file.size > MAX_UPLOAD:
                problems = [actions.RowError(0, "file", "文件超过10MB / The file is over 10 MB")]
            else:
                rows, numbers, columns, problems = xlsx.read_orders(upload_file.read())
            if not problems:
                try:
                    result = actions.do_receive_orders(
                        actor=request.user,
                        rows=rows,
                        source=OrderSource.XLSX,
                        row_numbers=numbers,
                        columns=columns,
                    )
                    answers, status = result, 200
                except actions.BatchInvalid as exc:
                    problems = exc.rows
            errors = [
                {
                    "row": e.row or "",
                    "column": e.column,
                    "field": e.field,
                    "message": _in_language(e.message, zh),
                }
                for e in problems
            ]
    response = render(request, "hotline/upload.html", {"form": form, "errors": errors, "result": answers})
    response.status_code = status
    return response


@web_view
def template(request):
    require_gateway(request.user)
    response = HttpResponse(
        xlsx.template_bytes(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="12345-orders.xlsx"'
    return response
