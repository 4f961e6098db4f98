"""Health check and the home page (which sends each role to its own work)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
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


@login_required
def home(request):
    return render(request, "core/home.html")
