"""Health check and uploaded files (the home page is the to-do dashboard in `whistles.views_home`)."""

from __future__ import annotations

import mimetypes

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.db import connection
from django.http import FileResponse, Http404, JsonResponse
from django.views.decorators.http import require_GET

from shaobao.core import media as owners
from shaobao.core.errors import Forbidden, NotAuthenticated, NotFound


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


@require_GET
def media(request, name: str):
    """An uploaded file, to a signed-in user who may see what it belongs to (core.media)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    try:
        owners.check_access(request.user, name)
    except NotAuthenticated:
        return redirect_to_login(request.get_full_path())
    except Forbidden as exc:
        raise PermissionDenied(exc.message) from exc
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if not default_storage.exists(name):
        raise Http404("文件不存在 / File not found")
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(default_storage.open(name, "rb"), content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"  # never in a shared cache
    response["X-Content-Type-Options"] = "nosniff"
    return response
