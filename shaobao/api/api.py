"""The NinjaAPI instance: auth, error handlers, docs served from our own static files, routers."""

from __future__ import annotations

from django.conf import settings
from ninja import NinjaAPI, Swagger

from shaobao.api import errors
from shaobao.api.auth import API_AUTH
from shaobao.api.renderers import RENDERER
from shaobao.api.routers import (
    admission,
    checkin,
    demands,
    evaluation,
    forces,
    hotline,
    households,
    inbox,
    keytasks,
    levels,
    powers,
    reference,
    sms,
    webhooks,
    whistles,
    workteams,
)

DESCRIPTION = """
哨报 Shaobao JSON API —「街乡吹哨、部门报到」.

**Authentication / 认证**: send `Authorization: Bearer <token>`; a token is issued with
`python manage.py api_token USERNAME [--name NAME]` and shown once. A logged-in browser session also
works (unsafe methods then need the CSRF token in `X-CSRFToken`).

**Errors / 错误**: every error is `{"error": {"code", "message", "fields"}}` with status 400 (invalid
input; `fields` names each bad input), 401 (no or bad token), 403 (not allowed), 404 (not found or
outside your organisation), 405 (wrong method), 409 (illegal state transition; nothing was changed),
429 (too many public tracking look-ups) or 500.

**Lists / 列表**: `?page=1&page_size=20` (≤ 100) → `{"count", "next", "previous", "results"}`.
"""


api = NinjaAPI(
    title="哨报 Shaobao API",
    version=getattr(settings, "VERSION", "0.1.0"),
    description=DESCRIPTION,
    auth=API_AUTH,
    renderer=RENDERER,
    urls_namespace="api",
    # Swagger UI from the files bundled with django-ninja, served as our static files (no CDN).
    # validatorUrl null: Swagger UI would otherwise fetch a badge from the public validator service.
    docs=Swagger(settings={"persistAuthorization": True, "validatorUrl": None}),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
errors.install(api)
api.add_decorator(errors.reject_nul_characters)

api.add_router("", reference.router)
api.add_router("", demands.router)
api.add_router("", whistles.router)
api.add_router("", inbox.router)
api.add_router("", inbox.public_router)
api.add_router("", evaluation.router)
api.add_router("", admission.router)
api.add_router("", forces.router)
api.add_router("", workteams.router)
api.add_router("", powers.router)
api.add_router("", keytasks.router)
api.add_router("", checkin.router)
api.add_router("", households.router)
api.add_router("", webhooks.router)
api.add_router("", hotline.router)
api.add_router("", sms.router)
api.add_router("", levels.router)
