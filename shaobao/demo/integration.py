"""The demo district's connections outside (docs/integration.md): the 12345 category → matter table, SMS
templates in both languages, an (inactive) webhook subscription for the 12345 platform, and a dozen work
orders received through the gateway, so the admin pages and the upload page's results show real rows."""

from __future__ import annotations

from shaobao.duties.models import Matter
from shaobao.hotline.actions import ORDER_UPDATED, do_receive_orders
from shaobao.hotline.models import CategoryMapping, HotlineOrder
from shaobao.org.models import Division, Membership, Role
from shaobao.sms.models import SmsTemplate
from shaobao.webhooks.models import WebhookSubscription

# The platform's category → words of our matter's name (the first matter whose name contains them).
CATEGORIES = [
    ("违法建设", "违法建设"),
    ("占道经营", "占道"),
    ("噪音扰民", "噪声"),
    ("环境卫生", "垃圾"),
    ("违规停车", "停车"),
    ("供暖", "供热"),
]
TEMPLATES = [
    ("receipt", "zh-hans", "【哨报】您的诉求已受理，受理编号{tracking_code}，进度查询：{link}。回复TD退订。"),
    (
        "receipt",
        "en",
        "[Shaobao] Your demand was received: {tracking_code}. Follow it at {link}. Reply TD to stop.",
    ),
    ("closed", "zh-hans", "【哨报】您的诉求{tracking_code}已办结：{result}。回复1满意、2基本满意、3不满意。"),
    (
        "closed",
        "en",
        "[Shaobao] Your demand {tracking_code} is handled: {result}. Reply 1, 2 or 3 to rate it.",
    ),
    (
        "callback_failed",
        "zh-hans",
        "【哨报】就诉求{tracking_code}回访未能联系到您，回复1/2/3评价或查看{link}。",
    ),
    (
        "callback_failed",
        "en",
        "[Shaobao] We could not reach you about {tracking_code}. Reply 1/2/3 or see {link}.",
    ),
]
ORDERS = [
    ("承平里小区3号楼楼顶私搭乱建，影响邻居采光", "违法建设", "滨河街道承平里3号楼"),
    ("早市摊贩占道经营，堵塞消防通道", "占道经营", "兴谷街道兴谷社区东门"),
    ("夜间施工噪音扰民，持续到凌晨", "噪音扰民", "渔阳地区"),
    ("小区垃圾桶满溢无人清运", "环境卫生", "王辛庄镇"),
    ("路口长期违规停车，影响通行", "违规停车", "金海湖镇政府附近"),
    ("暖气不热，室温只有十四度", "供暖", "滨河街道"),
]


def load_integration(district: Division) -> str:
    matters = list(Matter.objects.filter(duty_list__district=district).values_list("code", "name"))
    mapped = 0
    for category, words in CATEGORIES:
        code = next((c for c, name in matters if words in name), "")
        _, created = CategoryMapping.objects.get_or_create(category=category, defaults={"matter_code": code})
        mapped += created
    for key, language, text in TEMPLATES:
        SmsTemplate.objects.get_or_create(key=key, language=language, defaults={"text": text})
    WebhookSubscription.objects.get_or_create(
        name="12345 市民服务热线平台（演示）",
        defaults={
            "url": "https://12345.example.gov.cn/shaobao/callback",
            "events": [ORDER_UPDATED],
            "district": district,
            "channel": "hotline_12345",
            "is_active": False,  # no such receiver: turn on with a real URL
        },
    )
    received = 0
    coordinator = (
        Membership.objects.filter(role=Role.DISTRICT_COORDINATOR, division=district)
        .select_related("user")
        .first()
    )
    if coordinator is not None and not HotlineOrder.objects.exists():
        rows = [
            {
                "order_no": f"GD{20260501000 + i}",
                "time": "2026-05-01 09:30",
                "caller": "市民",
                "phone": f"1390000{i:04d}",
                "address": address,
                "content": content,
                "category": category,
                "urgent": i % 4 == 0,
            }
            for i, (content, category, address) in enumerate(ORDERS * 2, start=1)
        ]
        received = do_receive_orders(actor=coordinator.user, rows=rows, source="command").created
    return f"12345: {mapped} categories mapped, {received} work orders; SMS templates in 2 languages"
