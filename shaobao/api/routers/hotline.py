"""The 12345 hotline gateway: work orders in, one or a batch (issue 14, part 2).

Results go back by webhook: the platform subscribes to `hotline.order.updated` (docs/integration.md).
"""

import json

from django.http import HttpRequest, HttpResponse
from ninja import Router

from shaobao.api.errors import error_body
from shaobao.api.renderers import RENDERER
from shaobao.api.schemas import error_responses
from shaobao.api.schemas_integration import OrderBatchIn, OrderBatchOut
from shaobao.core.errors import ValidationFailed
from shaobao.hotline import actions
from shaobao.hotline.access import require_gateway
from shaobao.hotline.models import OrderSource

router = Router(tags=["hotline 12345 工单"])

DESCRIPTION = """
Send one work order (a JSON object), or a batch (`{"orders": [...]}` or a JSON array, at most 5,000).

- **201** when at least one order was new, **200** when all were already received: one answer per order,
  in order, with our `tracking_code` (`status`: `created`, or `existing` for an order number received
  before — the same tracking code, no second demand).
- **400**: nothing was written; `error.rows` lists each bad order's `row` (its position, from 1) and
  `field`, and `error.fields` the same as `orders[ROW].FIELD`.

Who: the gateway's account (permission `hotline.post_orders`), district coordinators and administrators.
"""


def _respond(request, status: int, body) -> HttpResponse:
    response = HttpResponse(status=status, content_type="application/json; charset=utf-8")
    response.content = RENDERER.render(request, body, response_status=status)
    return response


@router.post(
    "/hotline/orders",
    response={201: OrderBatchOut, 200: OrderBatchOut, **error_responses(400, 401, 403)},
    summary="12345 工单 / Receive 12345 work orders",
    description=DESCRIPTION,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": OrderBatchIn.model_json_schema()}},
        }
    },
)
def receive_orders(request: HttpRequest):
    require_gateway(request.user)
    try:
        data = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed(
            "请求体须为 JSON / The body must be JSON", fields={"body": "invalid_json"}
        ) from None
    if isinstance(data, dict) and "orders" in data:
        rows = data["orders"]
    elif isinstance(data, dict):
        rows = [data]
    else:
        rows = data
    if not isinstance(rows, list):
        raise ValidationFailed("orders 须为数组 / orders must be a list", fields={"orders": "invalid"})
    try:
        result = actions.do_receive_orders(actor=request.user, rows=rows, source=OrderSource.API)
    except actions.BatchInvalid as exc:
        body = error_body(exc.code, exc.message, {k: str(v) for k, v in exc.fields.items()})
        body["error"]["rows"] = [e.as_dict() for e in exc.rows]
        return _respond(request, 400, body)
    out = {
        "created": result.created,
        "existing": result.existing,
        "results": [a.as_dict() for a in result.answers],
    }
    return _respond(request, 201 if result.created else 200, out)
