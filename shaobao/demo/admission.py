"""The demo district's task admission (村（社区）事务准入): the catalogue of Yunnan's guiding list — 52 duties by
law, 54 duties assisted with, 2 certificates kept, 34 kinds of certificate no longer issued — and 6 outside
signboards; a few admission requests decided both ways and some pending; a couple of not-admitted marks.

Bulk inserts, no notifications; a second run leaves an existing catalogue alone (idempotent).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from shaobao.admission.actions import CODE_PREFIX
from shaobao.admission.models import (
    AdmissionRequest,
    CatalogueEntry,
    EntryKind,
    MarkGround,
    NotAdmittedMark,
)
from shaobao.demo.users import handler_username
from shaobao.org.models import Division, Unit, User

SINCE = dt.date(2024, 1, 1)
LAW = "《中华人民共和国村民委员会组织法》《中华人民共和国城市居民委员会组织法》"
GUIDE = "《村级组织工作事务、机制牌子和证明事项指导目录》"
ASSIST = "《村（社区）协助政府工作事项清单》"
CERTS = "《关于改进和规范基层群众性自治组织出具证明工作的指导意见》（民发〔2020〕125号）"

# (name, department code)
DUTIES = [
    ("召集村（居）民会议和村（居）民代表会议", "MZJ"),
    ("落实村（居）务公开和财务公开", "MZJ"),
    ("制定和修订村规民约、居民公约", "MZJ"),
    ("管理村（社区）集体资产和资源", "NYNC"),
    ("办理本村（社区）公共事务和公益事业", "MZJ"),
    ("调解民间纠纷", "SFJ"),
    ("组织开展群众性自治活动", "MZJ"),
    ("向基层政府反映村（居）民意见和建议", "MZJ"),
    ("开展法治宣传教育", "SFJ"),
    ("组织村（居）民参与爱国卫生运动", "WJW"),
    ("推进移风易俗和文明村（社区）创建", "WLJ"),
    ("组织群众性文化体育活动", "TYJ"),
    ("管理村（社区）综合服务设施", "MZJ"),
    ("开展邻里互助和志愿服务", "MZJ"),
    ("关爱留守儿童、妇女和老年人", "MZJ"),
    ("组织村（居）民议事协商", "MZJ"),
    ("监督村（居）务决策执行", "JJW"),
    ("组织村（居）民委员会换届选举", "MZJ"),
    ("管理村（社区）档案", "MZJ"),
    ("开展村（社区）环境卫生整治", "CGW"),
    ("组织防灾减灾和群众自救互救", "YJJ"),
    ("巡查报告安全生产隐患", "YJJ"),
    ("开展消防安全宣传和隐患排查", "XFZD"),
    ("组织森林防火巡护", "YLLH"),
    ("维护村（社区）道路、路灯等公益设施", "CGW"),
    ("掌握农村宅基地使用情况", "NYNC"),
    ("组织土地承包经营和流转服务", "NYNC"),
    ("发展壮大村级集体经济", "NYNC"),
    ("组织村级公益事业“一事一议”", "NYNC"),
    ("管理使用村级财务", "CZJ"),
    ("开展村（社区）网格化服务管理", "MZJ"),
    ("排查化解矛盾纠纷", "SFJ"),
    ("开展平安村（社区）创建", "GAFJ"),
    ("做好退役军人服务站日常服务", "TYJR"),
    ("做好残疾人关爱服务", "CL"),
    ("管理村（社区）公共空间和停车秩序", "CGW"),
    ("开展垃圾分类宣传和桶前值守", "CGW"),
    ("指导业主委员会和监督物业服务", "ZJW"),
    ("巡查饮用水水源地", "SWJ"),
    ("开展村级河长巡河", "SWJ"),
    ("开展健康教育宣传", "WJW"),
    ("走访困难群众并反映诉求", "MZJ"),
    ("登记流动人口服务信息", "GAFJ"),
    ("开展禁毒宣传教育", "GAFJ"),
    ("开展防范电信网络诈骗宣传", "GAFJ"),
    ("开展国家安全和保密宣传", "SFJ"),
    ("运行村（社区）党群服务中心", "MZJ"),
    ("办理接诉即办诉求并回访", "XFB"),
    ("召开社区协商议事会", "MZJ"),
    ("维护联系群众的线上渠道", "MZJ"),
    ("组织节日慰问和敬老活动", "MZJ"),
    ("建设村（社区）志愿者队伍", "MZJ"),
]

ASSISTING = [
    ("协助开展人口普查和统计调查", "FGW"),
    ("协助城乡居民基本养老保险参保登记", "RSJ"),
    ("协助城乡居民基本医疗保险参保缴费", "YBJ"),
    ("协助最低生活保障申请受理和入户调查", "MZJ"),
    ("协助特困人员供养认定", "MZJ"),
    ("协助临时救助申请受理", "MZJ"),
    ("协助高龄津贴发放核查", "MZJ"),
    ("协助残疾人两项补贴审核", "CL"),
    ("协助就业登记和失业登记", "RSJ"),
    ("协助职业技能培训宣传", "RSJ"),
    ("协助征兵宣传和兵役登记", "TYJR"),
    ("协助优抚对象走访慰问", "TYJR"),
    ("协助计划生育家庭奖励扶助", "WJW"),
    ("协助疫苗接种宣传和组织", "WJW"),
    ("协助传染病防控", "WJW"),
    ("协助病媒生物防制", "WJW"),
    ("协助食品安全宣传和隐患报告", "SJJ"),
    ("协助农产品质量安全监管", "NYNC"),
    ("协助动物防疫和强制免疫", "NYNC"),
    ("协助耕地保护和违法用地巡查", "GHZY"),
    ("协助违法建设巡查报告", "CGZF"),
    ("协助燃气安全入户宣传", "CGW"),
    ("协助自建房安全排查", "ZJW"),
    ("协助保障性住房申请受理", "ZFBZ"),
    ("协助地质灾害隐患巡查", "GHZY"),
    ("协助汛期转移避险", "YJJ"),
    ("协助生态环境问题巡查", "STHJ"),
    ("协助秸秆禁烧和大气污染防治宣传", "STHJ"),
    ("协助校外培训机构巡查", "JW"),
    ("协助适龄儿童入学动员", "JW"),
    ("协助控辍保学", "JW"),
    ("协助社区矫正对象日常管理", "SFJ"),
    ("协助安置帮教", "SFJ"),
    ("协助法律援助申请受理", "SFJ"),
    ("协助出租房屋登记", "GAFJ"),
    ("协助重点人员服务管理", "GAFJ"),
    ("协助信访矛盾化解", "XFB"),
    ("协助应急广播和预警信息传递", "YJJ"),
    ("协助税费政策宣传", "SWU"),
    ("协助普法宣传进村入户", "SFJ"),
    ("协助文物安全巡查", "WLJ"),
    ("协助维护旅游市场秩序", "WLJ"),
    ("协助全民健身设施管护", "TYJ"),
    ("协助园林绿化养护监督", "YLLH"),
    ("协助林木采伐巡查", "YLLH"),
    ("协助节水宣传", "SWJ"),
    ("协助农村供水设施管护", "SWJ"),
    ("协助道路交通安全劝导", "JGZD"),
    ("协助农村公路管护", "JTJ"),
    ("协助人防知识宣传", "RFB"),
    ("协助防范非法集资宣传", "JRB"),
    ("协助企业服务和营商环境宣传", "SWGL"),
    ("协助政务服务事项代办", "ZWFW"),
    ("协助医疗救助申请受理", "YBJ"),
]

CERTIFICATES = [
    ("居民在家中正常死亡且无医疗机构证明的死亡证明", "WJW"),
    ("无其他途径证明的亲属关系证明", "GAFJ"),
]

ABOLISHED = [
    ("出生证明", "WJW"),
    ("户口迁移证明", "GAFJ"),
    ("无犯罪记录证明", "GAFJ"),
    ("婚姻状况证明", "MZJ"),
    ("个人收入证明", "RSJ"),
    ("房屋产权证明", "ZJW"),
    ("健康状况证明", "WJW"),
    ("学历证明", "JW"),
    ("工作经历证明", "RSJ"),
    ("居民身份证遗失证明", "GAFJ"),
    ("退休证明", "RSJ"),
    ("残疾证明", "CL"),
    ("家庭经济困难证明", "MZJ"),
    ("独生子女证明", "WJW"),
    ("住址变更证明", "GAFJ"),
    ("曾用名证明", "GAFJ"),
    ("机动车所有权证明", "JGZD"),
    ("企业经营场所证明", "SJJ"),
    ("个体工商户经营证明", "SJJ"),
    ("纳税情况证明", "SWU"),
    ("社会保险缴纳证明", "RSJ"),
    ("医疗费用证明", "YBJ"),
    ("预防接种证明", "WJW"),
    ("犬只饲养证明", "NYNC"),
    ("土地承包经营权证明", "NYNC"),
    ("宅基地使用权证明", "NYNC"),
    ("征地补偿证明", "GHZY"),
    ("拆迁安置证明", "ZJW"),
    ("退役军人身份证明", "TYJR"),
    ("见义勇为证明", "SFJ"),
    ("失业证明", "RSJ"),
    ("子女抚养关系证明", "MZJ"),
    ("火灾事故证明", "XFZD"),
    ("交通事故证明", "JGZD"),
]

SIGNBOARDS = [
    ("中国共产党村（社区）委员会", None),
    ("村（居）民委员会", "MZJ"),
    ("村（社区）党群服务中心", "MZJ"),
    ("村务（居务）监督委员会", "JJW"),
    ("新时代文明实践站", "WLJ"),
    ("退役军人服务站", "TYJR"),
]

# (department, kind, name, basis, reason, decision, note, communities: "street"/"all")
REQUESTS = [
    (
        "CGZF",
        "ledger",
        "违法建设巡查日报台账",
        "《城乡规划法》第六十四条；区违法建设治理工作方案",
        "需社区每日报送辖区新增违建线索",
        "approved",
        "同意，限每周汇总一次，不得要求每日报送",
        "street",
    ),
    (
        "STHJ",
        "task",
        "秸秆禁烧网格巡查拍照打卡",
        "区大气污染防治工作方案",
        "秋收期间需每日巡查并上传照片",
        "refused",
        "属于部门执法职责，不得以属地管理名义转嫁村（社区）",
        "all",
    ),
    (
        "WJW",
        "task",
        "家庭医生签约入户核实",
        "《关于推进家庭医生签约服务的指导意见》",
        "需社区协助核实签约居民的联系方式",
        "approved",
        "同意，纳入协助事项，期限一年",
        "street",
    ),
    (
        "SJJ",
        "meeting",
        "食品安全协管员月度例会",
        "区食品安全委员会工作规则",
        "要求社区书记每月参会",
        "refused",
        "可改为线上会议，不再要求社区书记参会",
        "all",
    ),
    (
        "YJJ",
        "signboard",
        "应急物资储备点（室内标识）",
        "区应急物资储备管理办法",
        "在社区储备点内悬挂标识",
        "approved",
        "同意室内悬挂，不计入对外标牌",
        "all",
    ),
    (
        "JW",
        "ledger",
        "校外培训机构周报表",
        "《关于进一步减轻义务教育阶段学生作业负担和校外培训负担的意见》",
        "需社区每周报送辖区机构变化",
        "pending",
        "",
        "all",
    ),
    (
        "MZJ",
        "task",
        "养老服务需求入户调查",
        "《北京市居家养老服务条例》",
        "开展一次性入户调查，掌握老年人服务需求",
        "pending",
        "",
        "street",
    ),
]


def load_admission(district: Division, communities: list[Division]) -> str:
    """The demo catalogue, requests and marks; nothing if the district already has a catalogue."""
    if CatalogueEntry.objects.filter(district=district).exists():
        return "事务准入目录已存在 / admission catalogue kept"
    units = {u.code: u for u in Unit.objects.filter(division__code__startswith=district.prefix)}
    entries: list[CatalogueEntry] = []
    groups = [
        (EntryKind.DUTY, DUTIES, f"{LAW}；{GUIDE}"),
        (EntryKind.ASSISTING_DUTY, ASSISTING, ASSIST),
        (EntryKind.CERTIFICATE, CERTIFICATES, f"{CERTS}；{GUIDE}"),
        (EntryKind.CERTIFICATE_ABOLISHED, ABOLISHED, CERTS),
        (EntryKind.SIGNBOARD, SIGNBOARDS, GUIDE),
    ]
    for kind, rows, basis in groups:
        for i, (name, unit_code) in enumerate(rows, start=1):
            entries.append(
                CatalogueEntry(
                    district=district,
                    code=f"{CODE_PREFIX[kind]}-{i:03d}",
                    name=name,
                    kind=kind,
                    outside=kind == EntryKind.SIGNBOARD,
                    basis=basis,
                    unit=units.get(unit_code) if unit_code else None,
                    valid_from=SINCE,
                    origin="seeded",
                )
            )
    CatalogueEntry.objects.bulk_create(entries)
    requests = _load_requests(district, units, communities)
    marks = _load_marks(district, units, communities)
    return f"事务准入 / task admission: {len(entries)} catalogue entries, {requests} requests, {marks} marks"


def _load_requests(district: Division, units: dict, communities: list[Division]) -> int:
    now = timezone.now()
    users = {
        u.username: u for u in User.objects.filter(username__in=[handler_username(r[0]) for r in REQUESTS])
    }
    coordinator = User.objects.filter(username="coordinator").first()
    first_street = communities[0].parent_id if communities else None
    street_communities = [c for c in communities if c.parent_id == first_street]
    created = []
    for i, (unit_code, kind, name, basis, reason, state, note, scope) in enumerate(REQUESTS):
        filer = users.get(handler_username(unit_code)) or coordinator
        if unit_code not in units or filer is None:
            continue
        filed = now - dt.timedelta(days=20 - 2 * i, hours=3)
        decided = state != "pending"
        req = AdmissionRequest(
            district=district,
            unit=units[unit_code],
            kind=kind,
            name=name,
            basis=basis,
            reason=reason,
            all_communities=scope == "all",
            valid_from=SINCE.replace(year=now.year),
            valid_until=SINCE.replace(year=now.year + 1) - dt.timedelta(days=1) if kind == "task" else None,
            state=state,
            filed_by=filer,
            filed_at=filed,
            decided_by=coordinator if decided else None,
            decided_at=filed + dt.timedelta(days=3) if decided else None,
            decision_note=note,
        )
        created.append((req, scope))
    AdmissionRequest.objects.bulk_create([r for r, _s in created])
    through = AdmissionRequest.communities.through
    through.objects.bulk_create(
        [
            through(admissionrequest_id=r.pk, division_id=c.pk)
            for r, scope in created
            if scope == "street"
            for c in street_communities
        ]
    )
    entry_kind = {
        "task": EntryKind.ASSISTING_DUTY,
        "ledger": EntryKind.LEDGER,
        "meeting": EntryKind.MEETING,
        "signboard": EntryKind.SIGNBOARD,
        "certificate": EntryKind.CERTIFICATE,
    }
    counters: dict[str, int] = {"assisting_duty": len(ASSISTING), "signboard": len(SIGNBOARDS)}
    approved = []
    for req, _scope in created:
        if req.state != "approved":
            continue
        kind = entry_kind[req.kind]
        counters[kind] = counters.get(kind, 0) + 1
        approved.append(
            CatalogueEntry(
                district=district,
                code=f"{CODE_PREFIX[kind]}-{counters[kind]:03d}",
                name=req.name,
                kind=kind,
                outside=False,
                basis=req.basis,
                unit=req.unit,
                valid_from=req.valid_from,
                valid_until=req.valid_until,
                origin="request",
                request=req,
            )
        )
    CatalogueEntry.objects.bulk_create(approved)
    entry_through = CatalogueEntry.communities.through
    entry_through.objects.bulk_create(
        [
            entry_through(catalogueentry_id=e.pk, division_id=c.pk)
            for e in approved
            if not e.request.all_communities
            for c in street_communities
        ]
    )
    return len(created)


def _load_marks(district: Division, units: dict, communities: list[Division]) -> int:
    marker = User.objects.filter(username="dispatcher").first()
    if marker is None or not communities:
        return 0
    abolished = CatalogueEntry.objects.filter(district=district, name="无犯罪记录证明").first()
    today = timezone.localdate()
    specs = [
        (
            communities[0],
            "GAFJ",
            "要求社区为辖区居民开具无犯罪记录证明",
            MarkGround.ABOLISHED,
            abolished,
            "居民被派出所要求回社区开证明",
            True,
        ),
        (
            communities[min(1, len(communities) - 1)],
            "STHJ",
            "要求社区每日上传秸秆禁烧巡查照片",
            MarkGround.ABSENT,
            None,
            "该事项的准入申请已被区里驳回",
            False,
        ),
        (
            communities[0],
            "CGZF",
            "要求社区每日报送违法建设巡查日报",
            MarkGround.ABSENT,
            None,
            "目录只准入每周汇总的巡查台账，每日报送不在目录中",
            False,
        ),
    ]
    marks = []
    for i, (community, unit_code, task, ground, entry, note, acknowledged) in enumerate(specs):
        if unit_code not in units or (ground != MarkGround.ABSENT and entry is None):
            continue
        marked = timezone.now() - dt.timedelta(days=6 - 2 * i)
        handler = User.objects.filter(username=handler_username(unit_code)).first()
        marks.append(
            NotAdmittedMark(
                community=community,
                unit=units[unit_code],
                task=task,
                received_on=today - dt.timedelta(days=7 - 2 * i),
                ground=ground,
                entry=entry,
                note=note,
                marked_by=marker,
                marked_at=marked,
                acknowledged_by=handler if acknowledged and handler else None,
                acknowledged_at=marked + dt.timedelta(days=1) if acknowledged and handler else None,
                answer="已告知派出所改为部门内部核查，不再要求社区开具" if acknowledged and handler else "",
            )
        )
    NotAdmittedMark.objects.bulk_create(marks)
    return len(marks)
