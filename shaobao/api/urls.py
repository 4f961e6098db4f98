"""The JSON API (mounted at /api/v1/); unknown paths below it answer a JSON 404 too."""

from django.http import JsonResponse
from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt

from shaobao.api.api import api
from shaobao.api.errors import error_body


@csrf_exempt
def not_found(request, rest: str = ""):
    return JsonResponse(
        error_body("not_found", "未找到 / Not found"), status=404, json_dumps_params={"ensure_ascii": False}
    )


urlpatterns = [
    path("", api.urls),
    re_path(r"^(?P<rest>.*)$", not_found),
]
