"""Health check (the home page is the to-do dashboard in `whistles.views_home`)."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET


@require_GET
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # the check must answer even when the database does not
        return JsonResponse(
            {"status": "error", "database": connection.vendor, "detail": str(exc)}, status=503
        )
    return JsonResponse({"status": "ok", "database": connection.vendor, "version": settings.VERSION})
