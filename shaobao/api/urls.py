"""The JSON API (mounted at /api/v1/). Unknown paths and wrong methods below it answer JSON errors too."""

from functools import wraps

from django.http import HttpResponseNotAllowed, JsonResponse
from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt

from shaobao.api.api import api
from shaobao.api.errors import error_body


def _json(body: dict, status: int) -> JsonResponse:
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def _json_405(view):
    """ninja answers a wrong method with a plain-text 405; give it our error shape (and keep `Allow`)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            response = _json(error_body("method_not_allowed", "不支持该请求方法 / Method not allowed"), 405)
            response["Allow"] = allowed
        return response

    return wrapper


@csrf_exempt
def not_found(request, rest: str = ""):
    return _json(error_body("not_found", "未找到 / Not found"), 404)


api_patterns, app_name_, namespace = api.urls
for pattern in api_patterns:
    pattern.callback = _json_405(pattern.callback)

urlpatterns = [
    path("", (api_patterns, app_name_, namespace)),
    re_path(r"^(?P<rest>.*)$", not_found),
]
