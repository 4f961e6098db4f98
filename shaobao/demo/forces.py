"""Demo forces sent down (issue 11): Pinggu's reserve pool of 500 cadres with skills, cadres of the district's
departments deployed in all six modes over the streets and villages, 51 village posts filled from the pool,
quotas for a few units, a month of presence logs and one assessment round by 滨河街道.

A demo login `cadre` (password as the other demo logins) is a cadre of 区城管执法局 deployed to 滨河街道, with
a task from its dispatcher. Everything is bulk-created; a second load leaves forces as they are. The village
work teams (驻村工作队) are loaded by their own module.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.utils import timezone

from shaobao.core.calendar import is_workday
from shaobao.forces.models import (
    AssessmentRound,
    Assessor,
    Cadre,
    CadreScore,
    CadreTask,
    Deployment,
    DeploymentMode,
    PresenceLog,
    Quota,
    VillagePost,
)
from shaobao.org.models import Division, Membership, Role, Unit, User

SEED = 1117
RESERVE = 500
VILLAGE_POSTS = 51
CADRE_USERNAME = "cadre"
DEMO_STREET = "110117001000"  # 滨河街道
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰建国志红海燕鹏飞宇浩然晨曦文博思远子涵雨欣"
SKILLS = [
    "法律",
    "调解",
    "规划",
    "财务",
    "农业技术",
    "信息化",
    "应急管理",
    "安全生产",
    "城市管理",
    "社会工作",
    "党建",
    "环境保护",
    "医疗卫生",
    "教育",
    "建筑工程",
    "产业发展",
]
TITLES = ["科员", "副主任科员", "主任科员", "副科长", "科长", "四级调研员"]
POST_TITLES = ["村党支部副书记", "村委会主任助理", "第一书记助理"]
# (mode, how many, sending units' codes, host level)
PLAN = [
    (DeploymentMode.ENFORCEMENT, 120, ["CGZF", "STHJ", "SJJ", "YJJ"], "street"),
    (DeploymentMode.KEY_TASK, 40, ["CGW", "ZJW", "FGW", "GHZY"], "street"),
    (DeploymentMode.VILLAGE_HOUSEHOLD, 70, ["NYNC", "MZJ", "RSJ", "WJW"], "community"),
    (DeploymentMode.DEPARTMENT_SERVICE, 60, ["SJJ", "RSJ", "FGW", "JXJ"], "street"),
    (DeploymentMode.COMMUNITY_CHECKIN, 90, ["CGW", "JW", "WJW", "MZJ"], "community"),
]
ENTERPRISES = ["平谷区大桃合作社", "金海湖旅游公司", "马坊物流园", "兴谷开发区某制造企业"]


@dataclass
class ForcesLoad:
    cadres: int = 0
    deployments: int = 0
    posts: int = 0
    presence: int = 0
    skipped: bool = False

    def summary(self) -> str:
        if self.skipped:
            return "下沉干部已存在，未重复加载 / forces already loaded"
        return (
            f"下沉干部 / forces: {self.cadres} cadres ({RESERVE} in the reserve pool), {self.deployments} "
            f"deployments in six modes, {self.posts} village posts, {self.presence} presence logs"
        )


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def load_forces(district: Division, *, today: dt.date | None = None) -> ForcesLoad:
    result = ForcesLoad()
    if Cadre.objects.filter(district=district).exists():
        result.skipped = True
        return result
    rng = random.Random(SEED)
    today = today or timezone.localdate()
    streets = list(Division.objects.filter(parent=district, level="street").order_by("code"))
    communities = list(Division.objects.filter(parent__in=streets, level="community").order_by("code"))
    units = {u.code: u for u in Unit.objects.filter(division=district)}
    # The reserve pool (后备力量库) and each sending unit's cadres.
    cadres = [
        Cadre(
            name=_name(rng),
            district=district,
            in_reserve=True,
            title=rng.choice(TITLES),
            skills=",".join(rng.sample(SKILLS, rng.randint(1, 3))),
            phone=f"139{rng.randint(10_000_000, 99_999_999)}",
        )
        for _ in range(RESERVE)
    ]
    plan_cadres: list[tuple] = []
    for mode, count, codes, level in PLAN:
        present = [units[c] for c in codes if c in units] or list(units.values())[:4]
        for i in range(count):
            unit = present[i % len(present)]
            cadre = Cadre(
                name=_name(rng),
                district=district,
                unit=unit,
                title=rng.choice(TITLES),
                skills=",".join(rng.sample(SKILLS, rng.randint(1, 2))),
            )
            cadres.append(cadre)
            plan_cadres.append((mode, level, cadre))
    Cadre.objects.bulk_create(cadres, batch_size=500)
    result.cadres = len(cadres)
    reserve = cadres[:RESERVE]

    # Village posts: 51 posts over the villages, each filled from the reserve pool.
    villages = [c for c in communities if "村" in c.name] or communities
    posts = [
        VillagePost(
            village=villages[i % len(villages)], title=POST_TITLES[i // len(villages) % len(POST_TITLES)]
        )
        for i in range(VILLAGE_POSTS + 6)
    ]
    VillagePost.objects.bulk_create(posts)
    result.posts = len(posts)

    deployments: list[Deployment] = []

    def period() -> tuple[dt.date, dt.date | None]:
        start = today - dt.timedelta(days=rng.randint(35, 200))
        end = None if rng.random() < 0.9 else today - dt.timedelta(days=rng.randint(1, 30))
        return start, end

    for mode, level, cadre in plan_cadres:
        host = rng.choice(streets if level == "street" else communities)
        start, end = period()
        enterprise = (
            rng.choice(ENTERPRISES)
            if mode == DeploymentMode.DEPARTMENT_SERVICE and rng.random() < 0.3
            else ""
        )
        deployments.append(
            Deployment(
                cadre=cadre,
                unit=cadre.unit,
                mode=mode,
                host=host,
                host_enterprise=enterprise,
                post={
                    "enforcement": "执法队员",
                    "key_task": "攻坚专班成员",
                    "village_household": "驻村包户干部",
                }.get(mode, "服务专员"),
                duties="听从驻地统一指挥调度，参与接诉即办和日常巡查",
                starts_on=start,
                ends_on=end,
            )
        )
    for post, cadre in zip(posts[:VILLAGE_POSTS], reserve[:VILLAGE_POSTS], strict=True):
        deployments.append(
            Deployment(
                cadre=cadre,
                mode=DeploymentMode.VILLAGE_POST,
                host=post.village,
                village_post=post,
                post=post.title,
                duties="到村任职，协助村党组织开展工作",
                starts_on=today - dt.timedelta(days=rng.randint(60, 300)),
            )
        )
    # Some of the reserve pool is out on key tasks too.
    for cadre in reserve[VILLAGE_POSTS : VILLAGE_POSTS + 40]:
        start, end = period()
        deployments.append(
            Deployment(
                cadre=cadre,
                mode=DeploymentMode.KEY_TASK,
                host=rng.choice(streets),
                post="攻坚专班成员",
                starts_on=start,
                ends_on=end,
            )
        )
    # The demo login: a cadre of 区城管执法局 at 滨河街道.
    street = next((s for s in streets if s.code == DEMO_STREET), streets[0])
    template = User.objects.filter(username="dispatcher").first()
    user, _created = User.objects.get_or_create(
        username=CADRE_USERNAME,
        defaults={"first_name": "周文斌", "password": template.password if template else "!"},
    )
    demo_cadre = Cadre.objects.create(
        name="周文斌",
        user=user,
        unit=units.get("CGZF"),
        district=district,
        title="科员",
        skills="城市管理,法律",
    )
    demo = Deployment(
        cadre=demo_cadre,
        unit=demo_cadre.unit,
        mode=DeploymentMode.ENFORCEMENT,
        host=street,
        post="执法队员",
        duties="占道经营、违法建设的现场处置",
        starts_on=today - dt.timedelta(days=45),
    )
    deployments.append(demo)
    Deployment.objects.bulk_create(deployments, batch_size=500)
    result.deployments = len(deployments)
    Membership.objects.get_or_create(user=user, role=Role.DEPLOYED_CADRE, division=street, unit=None)
    dispatcher = template or User.objects.filter(is_superuser=True).first()
    if dispatcher is not None:
        CadreTask.objects.create(
            deployment=demo,
            title="巡查滨河路沿线占道经营",
            details="每天上午、傍晚各一次，发现问题拍照记录",
            assigned_by=dispatcher,
        )

    # A month of presence: each deployment on about 85% of the working days it ran.
    first = today - dt.timedelta(days=30)
    days = [first + dt.timedelta(days=i) for i in range(31) if is_workday(first + dt.timedelta(days=i))]
    notes = ["巡查", "入户走访", "参与接诉即办", "协助处置", "政策宣传", ""]
    logs = []
    for d in deployments:
        if d is demo:
            continue
        for day in days:
            if d.starts_on <= day and (d.ends_on is None or d.ends_on >= day) and rng.random() < 0.85:
                logs.append(PresenceLog(deployment=d, cadre_id=d.cadre_id, day=day, note=rng.choice(notes)))
    for day in days[:-1]:
        if demo.starts_on <= day:
            logs.append(PresenceLog(deployment=demo, cadre_id=demo_cadre.pk, day=day, note="巡查滨河路"))
    PresenceLog.objects.bulk_create(logs, batch_size=2000)
    result.presence = len(logs)

    # Quotas: a share of a few units' staff in the field each working day of this month.
    month_first = today.replace(day=1)
    month_last = (month_first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    Quota.objects.bulk_create(
        Quota(unit=units[code], staff=staff, share=share, starts_on=month_first, ends_on=month_last)
        for code, staff, share in [
            ("CGZF", 60, "0.500"),
            ("STHJ", 40, "0.300"),
            ("SJJ", 50, "0.400"),
            ("NYNC", 30, "0.500"),
        ]
        if code in units
    )

    # One assessment round by 滨河街道 for the last 30 days.
    at_street = [d for d in deployments if d.host_id == street.pk or d.host.parent_id == street.pk]
    if at_street:
        round_ = AssessmentRound.objects.create(
            host=street, title=f"{street.name}下沉干部月度考核", starts_on=first, ends_on=today
        )
        Assessor.objects.bulk_create(
            [
                Assessor(round=round_, name="李春生", kind="village_party_secretary"),
                Assessor(round=round_, name="王桂兰", kind="village_party_secretary"),
                Assessor(round=round_, name="赵德明", kind="peoples_congress_deputy"),
                Assessor(round=round_, name="孙立新", kind="street_official"),
                Assessor(round=round_, name="周海燕", kind="street_official"),
                Assessor(round=round_, name="钱卫东", kind="unit_representative"),
            ]
        )
        CadreScore.objects.bulk_create(
            CadreScore(round=round_, deployment=d, unit_id=d.unit_id, score=rng.randint(70, 98))
            for d in at_street
        )
    return result


def load_forces_in_the_chain(district: Division) -> str:
    """After the simulated month: the forces in the whistle chain, through the real actions. 滨河街道's
    dispatcher gives the demo cadre a demand the street handles itself and a supporting hand on one of its
    open whistles, and 平粮社区 publishes that demand as a need for its checked-in members. Nothing when the
    month left no such demand or whistle; a second load adds nothing."""
    from shaobao.checkin.actions import do_publish_need
    from shaobao.checkin.models import Need, NeedKind
    from shaobao.forces.actions import do_assign_task
    from shaobao.forces.models import TaskKind
    from shaobao.intake.models import Demand, DemandState
    from shaobao.whistles.models import Whistle, WhistleState

    street = Division.objects.filter(code=DEMO_STREET, parent=district).first()
    dispatcher = User.objects.filter(username="dispatcher").first()
    deployment = (
        Deployment.objects.filter(cadre__user__username=CADRE_USERNAME, host=street, ends_on__isnull=True)
        .order_by("-starts_on")
        .first()
    )
    if street is None or dispatcher is None or deployment is None:
        return ""
    if CadreTask.objects.filter(deployment=deployment).exclude(kind=TaskKind.GENERAL).exists():
        return "下沉干部已接入吹哨链条 / forces already in the chain"
    demand = Demand.objects.filter(street=street, state=DemandState.SELF_HANDLING).order_by("id").first()
    whistle = Whistle.objects.filter(street=street).exclude(state=WhistleState.CLOSED).order_by("-id").first()
    done = []
    if demand is not None:
        do_assign_task(
            actor=dispatcher,
            deployment_id=deployment.pk,
            demand_id=demand.pk,
            details="请到现场核实，处理后在任务页报告",
        )
        done.append(f"demand {demand.tracking_code}")
        community = demand.community if demand.community_id else None
        if community is not None and not Need.objects.filter(demand=demand).exists():
            do_publish_need(
                actor=dispatcher,
                community_code=community.code,
                title=f"协助处置：{demand.subject}"[:100],
                kind=NeedKind.SELF_HANDLED_DEMAND,
                places=2,
                demand_id=demand.pk,
            )
            done.append(f"need in {community.name}")
    if whistle is not None:
        do_assign_task(
            actor=dispatcher,
            deployment_id=deployment.pk,
            whistle_id=whistle.pk,
            details="配合牵头部门现场处置",
        )
        done.append(f"whistle #{whistle.pk}")
    return f"下沉干部接入吹哨链条 / forces in the chain: {', '.join(done) or 'nothing to give'}"
