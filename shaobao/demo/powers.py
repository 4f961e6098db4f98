"""The demo district's list of delegated powers (赋权清单): 431 administrative powers handed from Pinggu's
departments to every street and township on 1 July 2019, as Beijing did, with their legal basis; the
城管执法 penalties cover the duty-list matters they enforce, so demo demands of those matters are proposed
to the street's own enforcement team. Plus stationed staff per street, a few recommendations, and (after
the simulated month) a few proposals and urge notes on open summonses.

Everything is bulk-created; a second load keeps the list that is there.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from shaobao.org.models import Division, Unit, User

TOTAL = 431
EFFECTIVE = dt.date(2019, 7, 1)
PREFIX = {"penalty": "CF", "inspection": "JC", "enforcement_measure": "QZ", "licensing": "XK", "other": "QT"}

# (department, subject, law, matter codes) — the conduct a power is about and the law that grants it.
SUBJECTS: list[tuple[str, str, str, list[str]]] = [
    ("CGZF", "违法建设", "《北京市城乡规划条例》第六十八条", ["CJ-001"]),
    ("CGZF", "占道经营和无照游商", "《北京市市容环境卫生条例》第三十三条", ["CJ-002"]),
    ("CGZF", "运输渣土车辆遗撒", "《北京市市容环境卫生条例》第五十四条", ["CJ-003"]),
    ("CGZF", "未按规定设置户外广告和乱贴小广告", "《北京市户外广告设置管理办法》第二十九条", ["CJ-025"]),
    ("CGZF", "餐饮服务单位油烟直排", "《北京市大气污染防治条例》第一百一十八条", ["HB-002"]),
    ("CGZF", "露天焚烧垃圾和落叶", "《北京市大气污染防治条例》第一百二十二条", ["HB-006"]),
    ("CGZF", "施工工地扬尘未采取防治措施", "《北京市大气污染防治条例》第一百一十四条", ["HB-008"]),
    ("CGZF", "擅自占用挖掘城市道路", "《城市道路管理条例》第四十二条", ["CJ-005"]),
    ("CGZF", "损毁城市绿地和树木", "《北京市绿化条例》第六十一条", ["CJ-024"]),
    ("CGZF", "夜间施工噪声扰民", "《中华人民共和国噪声污染防治法》第七十七条", ["HB-005"]),
    ("CGZF", "生活垃圾未分类投放", "《北京市生活垃圾管理条例》第六十九条", ["CJ-004"]),
    ("CGZF", "共享自行车运营企业未及时清理乱停放车辆", "《北京市非机动车管理条例》第四十八条", ["JT-008"]),
    ("CGZF", "商业经营噪声扰民", "《北京市环境噪声污染防治办法》第四十二条", ["HB-004"]),
    ("CGZF", "擅自设置摊点和店外经营", "《北京市市容环境卫生条例》第六十二条", []),
    ("CGZF", "未按规定清扫保洁门前区域", "《北京市市容环境卫生条例》第五十条", []),
    ("CGZF", "违规堆放物料和乱倒建筑垃圾", "《北京市建筑垃圾处置管理规定》第二十条", []),
    ("CGZF", "擅自拆除或迁移环卫设施", "《北京市市容环境卫生条例》第五十七条", []),
    ("CGZF", "违规设置牌匾标识", "《北京市牌匾标识设置管理规范》", []),
    ("SJJ", "无照经营", "《无证无照经营查处办法》第十三条", []),
    ("SJJ", "不明码标价", "《中华人民共和国价格法》第四十二条", []),
    ("SJJ", "销售过期食品", "《中华人民共和国食品安全法》第一百二十四条", []),
    ("SJJ", "小餐饮未按规定备案", "《北京市小规模食品生产经营管理规定》第四十五条", []),
    ("STHJ", "畜禽养殖场污染物未经处理排放", "《畜禽规模养殖污染防治条例》第三十八条", []),
    ("STHJ", "违规使用高污染燃料", "《北京市大气污染防治条例》第一百零四条", []),
    ("SWJ", "擅自取水和私打水井", "《北京市水资源管理条例》第五十九条", []),
    ("SWJ", "向河道倾倒垃圾渣土", "《北京市河湖保护管理条例》第四十七条", []),
    ("YLLH", "擅自砍伐树木", "《北京市绿化条例》第六十二条", []),
    ("NYNC", "违规占用耕地建窑建坟", "《中华人民共和国土地管理法》第七十五条", []),
    ("GHZY", "未经批准临时用地", "《中华人民共和国土地管理法》第七十七条", []),
    ("ZJW", "物业服务企业未按规定公示服务事项", "《北京市物业管理条例》第九十五条", []),
    ("ZJW", "擅自改变房屋建筑主体和承重结构", "《北京市物业管理条例》第八十八条", []),
    ("JTJ", "占用公路用地摆摊设点", "《公路安全保护条例》第六十二条", []),
    ("WJW", "公共场所未取得卫生许可证经营", "《公共场所卫生管理条例实施细则》第三十五条", []),
    ("WJW", "控烟场所内吸烟", "《北京市控制吸烟条例》第二十九条", []),
    ("YJJ", "生产经营单位未落实安全生产责任", "《中华人民共和国安全生产法》第九十七条", []),
    ("XFZD", "占用堵塞封闭消防通道", "《中华人民共和国消防法》第六十条", []),
    ("XFZD", "电动自行车违规停放充电", "《北京市消防条例》第五十六条", []),
    ("WLJ", "未经许可经营互联网上网服务", "《互联网上网服务营业场所管理条例》第二十七条", []),
    ("MZJ", "殡葬设施违规建设和乱埋乱葬", "《殡葬管理条例》第二十条", []),
    ("RFB", "擅自改变人防工程用途", "《北京市人民防空工程建设与使用管理规定》第三十条", []),
    ("RSJ", "用人单位拖欠劳动者工资", "《保障农民工工资支付条例》第五十四条", []),
]
# How a subject becomes a power of each category.
TEMPLATES = {
    "penalty": "对{s}的行政处罚",
    "inspection": "对{s}的行政检查",
    "enforcement_measure": "对{s}相关物品的查封扣押",
    "licensing": "{s}相关事项的临时许可",
    "other": "对{s}的责令改正",
}
# Shares of the list by category, as in Beijing's: mostly penalties.
MIX = [
    ("penalty", 0.62),
    ("inspection", 0.16),
    ("enforcement_measure", 0.12),
    ("licensing", 0.05),
    ("other", 0.05),
]
STAFF = [
    ("GAFJ", "派出所副所长"),
    ("GAFJ", "社区民警"),
    ("SJJ", "市场监管所所长"),
    ("CGZF", "执法队队长"),
    ("CGZF", "执法队员"),
]
STAFF_NAMES = "王建军 李志刚 张海涛 刘长青 陈晓东 杨卫国 赵立新 黄文斌 周子明 吴国庆 徐振华 孙德胜 马俊峰 朱永强 胡春来 郭庆丰"


def _specs() -> list[tuple[str, str, str, str, str, list[str]]]:
    """(code, name, category, department, legal basis, matters), TOTAL of them."""
    out = []
    counters = {c: 0 for c in PREFIX}
    # Category by category, subject by subject (the 城管执法 penalties with their matters first), then again
    # with the aggravating circumstances that make separate powers in the real lists, until TOTAL.
    categories = [c for c, _ in MIX]
    order = [(s[1], c) for c in categories for s in SUBJECTS]
    by_subject = {s[1]: s for s in SUBJECTS}
    wanted = {c: round(TOTAL * share) for c, share in MIX}
    wanted["penalty"] += TOTAL - sum(wanted.values())
    round_no = 0
    while len(out) < TOTAL:
        for subject_name, category in order:
            if len(out) >= TOTAL or counters[category] >= wanted[category]:
                continue
            dept, subject, law, matters = by_subject[subject_name]
            counters[category] += 1
            suffix = (
                ""
                if round_no == 0
                else [
                    "（情节较重）",
                    "（逾期不改正）",
                    "（拒不执行）",
                    "（再次违法）",
                    "（造成损失）",
                    "（首次轻微）",
                    "（多次违法）",
                    "（经责令仍未改正）",
                ][(round_no - 1) % 8]
            )
            name = TEMPLATES[category].format(s=subject) + suffix
            code = f"{PREFIX[category]}{counters[category]:04d}"
            basis = law + ("" if category == "penalty" else "；《中华人民共和国行政处罚法》第二十四条")
            out.append(
                (
                    code,
                    name,
                    category,
                    dept,
                    basis,
                    matters if category == "penalty" and round_no == 0 else [],
                )
            )
        round_no += 1
    return out


def load_powers(district: Division) -> str:
    """The list, stationed staff and a few recommendations; kept as it is when the district has a list."""
    from shaobao.powers.models import (
        DelegatedPower,
        PowerMatter,
        PowerVersion,
        Recommendation,
        StationedStaff,
    )

    if DelegatedPower.objects.filter(district=district).exists():
        return "已有赋权清单，未改动 / delegated powers already loaded: kept"
    streets = list(Division.objects.filter(parent=district, level="street").order_by("code"))
    units = {u.code: u for u in Unit.objects.filter(division=district)}
    specs = [s for s in _specs() if s[3] in units]
    now = timezone.now()
    with transaction.atomic():
        powers = DelegatedPower.objects.bulk_create(
            [
                DelegatedPower(
                    district=district,
                    code=code,
                    name=name,
                    category=category,
                    legal_basis=basis,
                    department=units[dept],
                    effective_date=EFFECTIVE,
                    created_at=now,
                )  # fmt: skip
                for code, name, category, dept, basis, _m in specs
            ],
            batch_size=500,
        )
        powers = list(DelegatedPower.objects.filter(district=district).order_by("code"))
        by_code = {p.code: p for p in powers}
        Through = DelegatedPower.streets.through
        Through.objects.bulk_create(
            [Through(delegatedpower_id=p.pk, division_id=s.pk) for p in powers for s in streets],
            batch_size=2000,
        )
        PowerMatter.objects.bulk_create(
            [PowerMatter(power=by_code[code], matter_code=m) for code, *_r, matters in specs for m in matters]
        )
        street_codes = sorted(s.code for s in streets)
        unit_codes = {u.pk: code for code, u in units.items()}
        matters_of = {code: sorted(matters) for code, *_r, matters in specs}
        PowerVersion.objects.bulk_create(
            [
                PowerVersion(
                    power=p,
                    version=1,
                    change="imported",
                    at=now,
                    note="演示数据 / demo data",
                    snapshot={
                        "code": p.code,
                        "name": p.name,
                        "category": p.category,
                        "legal_basis": p.legal_basis,
                        "department": unit_codes[p.department_id],
                        "streets": street_codes,
                        "effective_date": p.effective_date.isoformat(),
                        "matters": matters_of.get(p.code, []),
                        "status": "in_force",
                        "withdrawn_on": None,
                        "withdrawal_reason": "",
                    },
                )  # fmt: skip
                for p in powers
            ],
            batch_size=500,
        )
        # one power withdrawn, to show the history
        withdrawn = powers[-1]
        withdrawn.status, withdrawn.withdrawn_on = "withdrawn", dt.date(2024, 1, 1)
        withdrawn.withdrawal_reason, withdrawn.version = "职能调整，收回区级部门行使", 2
        withdrawn.save()
        PowerVersion.objects.create(
            power=withdrawn, version=2, change="withdrawn", note=withdrawn.withdrawal_reason,
            snapshot={**PowerVersion.objects.get(power=withdrawn, version=1).snapshot, "status": "withdrawn",
                      "withdrawn_on": "2024-01-01", "withdrawal_reason": withdrawn.withdrawal_reason},
        )  # fmt: skip

        rng = random.Random(12)
        names = STAFF_NAMES.split()
        staff = []
        for i, street in enumerate(streets):
            # the demo street (the first) has every kind, so its recommendations reach the demo unit (CGZF)
            for j, (dept, position) in enumerate(STAFF if i == 0 else STAFF[: 3 + i % 3]):
                if dept in units:
                    staff.append(
                        StationedStaff(
                            street=street,
                            department=units[dept],
                            name=names[(i * 3 + j) % len(names)],
                            position=position,
                            since=dt.date(2019 + rng.randint(0, 5), rng.randint(1, 12), 1),
                        )  # fmt: skip
                    )
        StationedStaff.objects.bulk_create(staff)
        leader = User.objects.filter(username="streetleader").first()
        answerer = User.objects.filter(username="unitleader").first()
        demo_street = streets[0] if streets else None
        recs = []
        if leader and demo_street:
            # the demo unit's (区城管执法局) staff first: one recommendation answered by `unitleader`, one
            # waiting for that login, one for another department
            mine = sorted(
                StationedStaff.objects.filter(street=demo_street).select_related("department"),
                key=lambda s: (s.department.code != "CGZF", s.pk),
            )
            for k, (s, kind, reason) in enumerate(
                zip(
                    mine,
                    ["removal", "appointment", "transfer"],
                    [
                        "多次接到吹哨后未按时报到，群众反映推诿",
                        "熟悉辖区情况，建议任执法队副队长",
                        "建议轮岗交流",
                    ],
                    strict=False,
                )
            ):
                done = k == 0 and answerer is not None and s.department.code == "CGZF"
                recs.append(
                    Recommendation(
                        staff=s,
                        street=demo_street,
                        department=s.department,
                        kind=kind,
                        reason=reason,
                        filed_by=leader,
                        filed_at=now - dt.timedelta(days=20 - k * 5),
                        state="accepted" if done else "filed",
                        answer="同意，已调整岗位" if done else "",
                        answered_by=answerer if done else None,
                        answered_at=now - dt.timedelta(days=10) if done else None,
                    )  # fmt: skip
                )
        Recommendation.objects.bulk_create(recs)
    linked = sum(len(m) for *_r, m in specs)
    return (
        f"赋权清单 / delegated powers: {len(specs)} powers to {len(streets)} streets ({linked} matter links), "
        f"{len(staff)} stationed staff, {len(recs)} recommendations"
    )


def load_street_notes(district: Division) -> str:
    """After the simulated month: a few proposals and urge notes on the demo street's open summonses."""
    from shaobao.powers.models import StreetNote
    from shaobao.whistles.models import Summons

    if StreetNote.objects.filter(street__parent=district).exists():
        return ""
    leader = User.objects.filter(username="streetleader").first()
    dispatcher = User.objects.filter(username="dispatcher").first()
    if leader is None or dispatcher is None:
        return ""
    open_summonses = list(
        Summons.objects.filter(whistle__street__parent=district, state__in=["summoned", "reported_in"])
        .select_related("whistle")
        .order_by("whistle__street__code", "-summoned_at")[:12]
    )
    texts = {
        "urge": [
            "请于两个工作日内报到并反馈进展",
            "群众反复来电，请加快处置",
            "该问题已超期，请主要负责人督办",
        ],
        "proposal": [
            "建议与街道综合执法队联合执法",
            "建议先行设置围挡，确保安全",
            "建议约谈物业公司限期整改",
        ],
    }
    now = timezone.now()
    notes = []
    for i, s in enumerate(open_summonses):
        kind = "urge" if i % 2 == 0 else "proposal"
        answered = i % 3 == 0
        notes.append(
            StreetNote(
                kind=kind,
                summons=s,
                street_id=s.whistle.street_id,
                unit_id=s.unit_id,
                text=texts[kind][i % 3],
                author=leader if kind == "urge" else dispatcher,
                created_at=now - dt.timedelta(hours=6 + i * 5),
                state="answered" if answered else "open",
                answer="已收到，正在处置" if answered else "",
                answered_at=now - dt.timedelta(hours=2 + i) if answered else None,
            )  # fmt: skip
        )
    StreetNote.objects.bulk_create(notes)
    return f"街乡处置建议与督促 / street notes: {len(notes)}"
