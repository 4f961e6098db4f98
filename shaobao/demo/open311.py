"""Demo Open311 service attributes (docs/open311.md): a street light's pole number, a road defect's size, a
manhole cover's state. The models belong to the api app, a sibling layer: they are looked up by name."""

from __future__ import annotations

from django.apps import apps

ATTRIBUTES = [
    # service code, code, datatype, required, order, description, values
    ("CJ-006", "pole", "string", True, 1, "灯杆编号（灯杆上的喷涂编号）", []),
    ("CJ-006", "lamps", "number", False, 2, "不亮的路灯数量", []),
    (
        "CJ-005",
        "size",
        "singlevaluelist",
        True,
        1,
        "破损大小",
        [("small", "小于脸盆"), ("medium", "约一米"), ("large", "大于一米")],
    ),
    (
        "CJ-005",
        "where",
        "multivaluelist",
        False,
        2,
        "破损位置",
        [("road", "机动车道"), ("walk", "人行道"), ("bike", "非机动车道")],
    ),
    (
        "CJ-007",
        "state",
        "singlevaluelist",
        True,
        1,
        "井盖情况",
        [("missing", "缺失"), ("broken", "破损"), ("loose", "松动或下陷")],
    ),
]


def load_open311_attributes() -> str:
    attribute_model = apps.get_model("api", "ServiceAttribute")
    value_model = apps.get_model("api", "ServiceAttributeValue")
    for service_code, code, datatype, required, order, description, values in ATTRIBUTES:
        attribute, _ = attribute_model.objects.update_or_create(
            service_code=service_code,
            code=code,
            defaults={"datatype": datatype, "required": required, "order": order, "description": description},
        )
        for i, (key, name) in enumerate(values):
            value_model.objects.update_or_create(
                attribute=attribute, key=key, defaults={"name": name, "order": i}
            )
    return f"Open311: {len(ATTRIBUTES)} service attributes"
