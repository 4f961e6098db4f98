"""A simulated recent month of demands and whistles, driven THROUGH THE REAL do_* ACTIONS.

Time travel: each step runs inside `frozen_at(t)`, which patches `django.utils.timezone.now` (what every
action and `auto_now_add` read), so deadlines, audit events and timestamps are those of the simulated
moment. Columns whose model default captured the real `timezone.now` (Demand.received_at,
ExtensionRequest.requested_at, ProgressNote.at) are set to the simulated time right after the step.
Steps that would lie after the real present are not taken: those demands and whistles stay open.

Handling delays are lognormal with median ≈ 11 days and p90 ≈ 41 days (what the issue observed for real
replies). Every case the evaluation must show appears: late report-in, disputes upheld (with a new lead)
and rejected, extensions granted and refused, failed verification (rework), each satisfaction level,
unsolved callbacks, merged repeats. Notifications are not sent for a simulated past.

`simulate_month(district, month=None, seed=0)` (None: last month) is called by `load_demo`; it takes a few
seconds. Each demand comes with coordinates inside one of its street's grids, so it is placed on a grid.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from unittest import mock
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from shaobao.core.errors import DomainError
from shaobao.demo.month_steps import Later, callback
from shaobao.demo.month_whistle import whistle_chain
from shaobao.org.models import Division, Membership, Unit, User

# Two or three short demand texts per domain, keyed by the matter they are about (demo duty list codes).
SAMPLES: dict[str, list[tuple[str, str]]] = {
    "CJ-001": [
        ("楼顶私搭彩钢房", "小区5号楼楼顶有住户搭建彩钢房，已经施工三天，担心楼板承重，请尽快查处。"),
        ("院内违建扩建", "邻居在院内扩建房屋占用公共通道，消防车进不来，多次劝阻无效。"),
    ],
    "CJ-002": [
        ("早市摊贩占道", "每天早上菜市场门口摊贩占满人行道，行人只能走机动车道，很危险。"),
        ("夜市噪音和占道", "广场夜市摊位越摆越多，堵住小区出入口，晚上十一点还很吵。"),
    ],
    "CJ-004": [("垃圾桶满溢没人收", "小区西门垃圾桶已经三天没人清运，垃圾堆到路边，臭味很大还招苍蝇。")],
    "HB-002": [("饭店油烟直排", "楼下新开的烧烤店油烟直接排到居民楼，窗户都不敢开，请检查是否有净化设备。")],
    "HB-005": [
        ("工地夜间施工扰民", "附近工地每天夜里十二点以后还在打桩，孩子没法睡觉，请核实是否有夜间施工许可。")
    ],
    "JT-001": [
        ("车辆堵塞消防通道", "小区消防通道长期停满私家车，物业不管，万一着火消防车进不来。"),
        ("路口乱停车", "学校门口接送孩子的车辆乱停，早晚高峰堵得水泄不通。"),
    ],
    "JT-004": [("村路坑洼不平", "村口到镇上的路面坑洼严重，下雨积水，电动车已经摔倒好几次。")],
    "LD-001": [
        ("工地拖欠农民工工资", "我们在某工地干了四个月，包工头一直拖着不给工钱，一共二十多人。"),
        ("饭店拖欠工资", "原来打工的饭店关门了，老板还欠我两个月工资，电话也不接。"),
    ],
    "LD-002": [("社保断缴", "公司半年没给我们交社保，说资金紧张，想咨询怎么维权。")],
    "JY-003": [("校外培训机构退费难", "孩子报的培训班突然停课，预交的一万多学费不给退。")],
    "JY-005": [("校门口交通安全", "小学门口没有减速带和护栏，放学时车速很快，担心孩子安全。")],
    "WS-002": [
        ("餐馆卫生差", "小区底商一家快餐店后厨脏乱，有老鼠，吃完拉肚子，请食药部门检查。"),
        ("超市卖过期食品", "在超市买到过期的酸奶，找店家只愿意退钱，怀疑还有很多过期商品。"),
    ],
    "SM-003": [("健身房关门跑路", "办了两年的健身卡，健身房突然关门，几百名会员的预付费找不到人退。")],
    "SM-001": [("无照经营小作坊", "居民楼里有人开小作坊加工食品，没有任何证照，气味很大。")],
    "MZ-002": [("老人助餐点", "社区老人多，希望能开一个老年餐桌，解决老人吃饭难。")],
    "MZ-001": [("低保申请咨询", "家里老人重病，收入很低，想了解低保怎么申请，需要什么材料。")],
    "NY-005": [("山林旁焚烧秸秆", "村后山脚下有人烧秸秆，离林子很近，风大容易引发山火。")],
    "NY-003": [("病死猪乱丢", "村东头沟里扔了几头病死猪，臭味很大，担心传染疫病。")],
    "GT-001": [("占用耕地建房", "村里有人在基本农田上建大棚房，已经打了地基。")],
    "GT-003": [("宅基地建房审批", "想翻建自家老房子，问宅基地审批要到哪里办、要多久。")],
    "ZF-001": [("夜间有人聚众闹事", "小区门口烧烤摊每晚有人喝酒闹事，还打过架，居民很害怕。")],
    "ZF-004": [("邻里漏水纠纷", "楼上卫生间漏水到我家，楼上拒绝维修，协商多次没有结果，请调解。")],
    "JJ-001": [("小作坊安全隐患", "村里一家加工厂私拉电线、堆放易燃物，工人没有防护，担心出事故。")],
    "JJ-003": [("煤改电后暖气不热", "煤改电以后屋里只有十二度，老人受不了，电费也高，请帮忙解决。")],
    "KJ-001": [("手机没信号", "新建小区地下室和电梯里手机完全没有信号，遇到紧急情况没法求救。")],
    "KJ-002": [("线缆乱拉", "楼道外墙各种通信线缆乱拉乱挂，有的已经垂到地面，存在安全隐患。")],
    "DW-001": [("办事来回跑", "办理一个证明在街道和区里来回跑了四趟，材料每次要求都不一样。")],
    "DW-002": [("政策咨询", "想咨询老旧小区加装电梯的补贴政策，社区说不清楚。")],
    "JC-001": [("窗口人员态度差", "到服务大厅办事，工作人员玩手机，态度很不耐烦，请加强管理。")],
    "JC-002": [("反映村干部问题", "反映村里集体土地出租收入去向不明，村干部不公开账目。")],
}
GENERIC = ("关于{name}的问题", "群众反映{name}方面的问题，请相关部门尽快核实处理。")
CHANNELS = [
    ("hotline_12345", 50),
    ("grid_patrol", 20),
    ("resident_web", 10),
    ("community_commissioner", 8),
    ("stationed_cadre", 5),
    ("party_member", 4),
    ("media", 3),
]
KINDS = [("complaint", 45), ("help", 25), ("report", 15), ("consultation", 10), ("suggestion", 5)]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["秀英", "桂兰", "建华", "志强", "丽娟", "海燕", "国庆", "淑珍", "晓东", "春梅", "德明", "玉兰"]
STREET_UNIT_KINDS = ("street_section", "community_committee", "enforcement_team")
# Lognormal handling time: median 11 days, p90 41 days  =>  sigma = ln(41/11) / z(0.9)
MEDIAN_H, SIGMA = 11 * 24, math.log(41 / 11) / 1.2816


@contextlib.contextmanager
def frozen_at(moment: dt.datetime):
    """Every `timezone.now()` inside returns `moment`."""
    with mock.patch("django.utils.timezone.now", new=lambda: moment):
        yield


@dataclass
class SimResult:
    month: str
    demands: int = 0
    whistles: int = 0
    closed_whistles: int = 0
    ratings: int = 0
    surveys: int = 0
    stats: dict = field(default_factory=dict)

    def summary(self) -> str:
        return (
            f"模拟月份 / simulated month {self.month}: {self.demands} demands, {self.whistles} whistles "
            f"({self.closed_whistles} closed), {self.ratings} ratings, {self.surveys} surveys; "
            + ", ".join(f"{k} {v}" for k, v in sorted(self.stats.items()))
        )


class _Sim:
    def __init__(self, district: Division, rng: random.Random, real_now: dt.datetime):
        from shaobao.duties.selectors import duty_list_in_force

        self.rng = rng
        self.real_now = real_now
        self.district = district
        self.streets = list(Division.objects.filter(parent=district, level="street").order_by("code"))
        duty_list = duty_list_in_force(district)
        if duty_list is None or not self.streets:
            raise DomainError(
                "演示区没有现行清单或街乡 / The district has no duty list in force or no streets"
            )
        matters = list(
            duty_list.matters.select_related("domain", "lead_unit").filter(lead_unit__is_active=True)
        )
        sampled = [m for m in matters if m.code in SAMPLES]
        self.matters = sampled or matters
        self.departments = list(
            Unit.objects.filter(
                division=district, is_active=True, kind__in=("department", "stationed_office")
            )
        )
        self.sections = {
            s.id: list(
                Unit.objects.filter(
                    division__code__startswith=s.prefix, kind__in=STREET_UNIT_KINDS, is_active=True
                )
            )
            for s in self.streets
        }
        self.grids = self._grid_shapes()
        # Points drawn by their own generator: the main sequence of draws, hence every figure of the
        # simulated month, stays what it was before demands had coordinates.
        self.place_rng = random.Random(f"{district.code}-places")
        self.simulator = self._simulator()
        self.dispatchers = self._members("street_dispatcher", "division_id")
        self.handlers = self._members("unit_handler", "unit_id")
        coordinator = Membership.objects.filter(
            role="district_coordinator", division__code__startswith=district.prefix
        ).first()
        self.coordinator = coordinator.user if coordinator else self.simulator
        self.stats: dict[str, int] = {}
        self.closed: list = []  # whistles closed in the simulation

    def _grid_shapes(self) -> dict[int, list]:
        """street id -> shapely polygons of its grids (a demand is put at a point inside one of them)."""
        from shapely.geometry import shape

        from shaobao.org.models import Grid

        out: dict[int, list] = {s.id: [] for s in self.streets}
        for grid in Grid.objects.filter(community__parent__in=self.streets).select_related("community"):
            out[grid.community.parent_id].append(shape(grid.geometry))
        return out

    def point_in(self, street_id: int) -> tuple[float | None, float | None]:
        """A random (lat, lng) inside one of the street's grids; (None, None) when it has none."""
        shapes = self.grids.get(street_id)
        if not shapes:
            return None, None
        from shapely.geometry import Point

        polygon = self.place_rng.choice(shapes)
        min_x, min_y, max_x, max_y = polygon.bounds
        for _ in range(20):
            x = self.place_rng.uniform(min_x, max_x)
            y = self.place_rng.uniform(min_y, max_y)
            if polygon.contains(Point(x, y)):
                return round(y, 6), round(x, 6)
        point = polygon.representative_point()
        return round(point.y, 6), round(point.x, 6)

    def _simulator(self) -> User:
        user, _created = User.objects.get_or_create(
            username="simulator",
            defaults={"first_name": "演示模拟", "is_superuser": True, "is_active": False},
        )
        if not user.is_superuser:
            user.is_superuser = True
            user.save(update_fields=["is_superuser"])
        return user

    def _members(self, role: str, attr: str) -> dict[int, User]:
        out: dict[int, User] = {}
        for m in Membership.objects.filter(role=role, user__is_active=True).select_related("user"):
            out.setdefault(getattr(m, attr), m.user)
        return out

    def dispatcher(self, street_id: int) -> User:
        return self.dispatchers.get(street_id, self.simulator)

    def handler(self, unit_id: int) -> User:
        return self.handlers.get(unit_id, self.simulator)

    def count(self, key: str) -> None:
        self.stats[key] = self.stats.get(key, 0) + 1

    def at(self, moment: dt.datetime, fn: Callable, **kwargs):
        if moment >= self.real_now:
            raise Later
        with frozen_at(moment):
            return fn(**kwargs)

    def hours(self, median: float, sigma: float) -> dt.timedelta:
        return dt.timedelta(hours=self.rng.lognormvariate(math.log(median), sigma))

    def pick(self, weighted: list[tuple[str, int]]) -> str:
        return self.rng.choices([w[0] for w in weighted], weights=[w[1] for w in weighted])[0]


def _month_bounds(month: str | None, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    today = timezone.localdate()
    if month:
        year, mon = (int(x) for x in month.split("-")[:2])
    else:
        last = today.replace(day=1) - dt.timedelta(days=1)
        year, mon = last.year, last.month
    start = dt.datetime(year, mon, 1, tzinfo=tz)
    end = dt.datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=tz)
    return start, end


def simulate_month(
    district: Division, *, month: str | None = None, seed: int = 0, per_day: int = 6
) -> SimResult:
    """Create a month of demands (default: last month) and play their chains through the actions."""
    from shaobao.evaluation.rollup import rollup_days

    tz = ZoneInfo(settings.TIME_ZONE)
    start, end = _month_bounds(month, tz)
    real_now = timezone.now()
    rng = random.Random(seed)
    sim = _Sim(district, rng, real_now)
    result = SimResult(month=f"{start:%Y-%m}")
    with _quiet_actions():
        day = start
        while day < end and day < real_now:
            for _i in range(rng.randint(max(1, per_day - 3), per_day + 3)):
                received = day + dt.timedelta(hours=rng.uniform(7, 21))
                if received >= real_now:
                    continue
                try:
                    with transaction.atomic():
                        _one_demand(sim, received, result)
                except DomainError:
                    # An action refused a step the simulation did not foresee: that demand is left out.
                    sim.count("refused")
            day += dt.timedelta(days=1)
        with transaction.atomic():
            _bottom_up(sim, result, start, end)
    result.stats = sim.stats
    rollup_days(
        (start - dt.timedelta(days=62)).date(), (real_now + dt.timedelta(days=62)).date(), as_of=real_now
    )
    return result


@contextlib.contextmanager
def _quiet_actions():
    """The actions imported notify_on_commit by name: silence it where they look it up."""
    patches = [
        mock.patch(f"{module}.notify_on_commit", new=lambda *a, **k: None)
        for module in ("shaobao.intake.actions", "shaobao.whistles.actions")
    ]
    with contextlib.ExitStack() as stack:
        for p in patches:
            with contextlib.suppress(AttributeError):
                stack.enter_context(p)
        yield


def _text(sim: _Sim, matter) -> tuple[str, str]:
    samples = SAMPLES.get(matter.code)
    if samples:
        return sim.rng.choice(samples)
    return GENERIC[0].format(name=matter.name), GENERIC[1].format(name=matter.name)


def _one_demand(sim: _Sim, received: dt.datetime, result: SimResult) -> None:
    from shaobao.intake import actions as intake
    from shaobao.intake.models import Demand

    rng = sim.rng
    street = rng.choice(sim.streets)
    matter = rng.choice(sim.matters)
    subject, body = _text(sim, matter)
    dispatcher = sim.dispatcher(street.id)
    lat, lng = sim.point_in(street.id)
    demand = sim.at(
        received,
        intake.do_receive_demand,
        actor=dispatcher,
        channel=sim.pick(CHANNELS),
        kind=sim.pick(KINDS),
        subject=subject,
        body=body,
        reporter_name=rng.choice(SURNAMES) + rng.choice(GIVEN),
        reporter_phone=f"1{rng.choice('3578')}{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}",
        address=f"{street.name}{rng.randint(1, 40)}号",
        lat=lat,
        lng=lng,
        street_code=street.code,
        matter_code=matter.code,
    )
    Demand.objects.filter(pk=demand.pk).update(received_at=received)
    result.demands += 1
    triage = received + sim.hours(2, 0.8)
    roll = rng.random()
    try:
        if roll < 0.05:
            earlier = (
                Demand.objects.filter(street=street, received_at__lt=received)
                .exclude(state="merged")
                .exclude(pk=demand.pk)
                .order_by("-received_at")
                .first()
            )
            if earlier is not None:
                sim.at(triage, intake.do_merge, actor=dispatcher, demand_id=demand.pk, into_id=earlier.pk)
                sim.count("merged")
                return
        sections = sim.sections.get(street.id) or []
        if roll < 0.55 and sections:
            _self_handled(sim, demand, triage, rng.choice(sections), dispatcher)
        else:
            whistle_chain(sim, demand, street, matter, triage, dispatcher, result)
    except Later:
        sim.count("still_open")


def _self_handled(sim: _Sim, demand, t: dt.datetime, unit: Unit, dispatcher) -> None:
    from shaobao.intake import actions as intake

    sim.at(t, intake.do_self_handle, actor=dispatcher, demand_id=demand.pk, unit_code=unit.code)
    sim.count("self_handled")
    t += sim.hours(MEDIAN_H, SIGMA)
    sim.at(
        t,
        intake.do_finish_self_handling,
        actor=sim.handler(unit.id),
        demand_id=demand.pk,
        note="已现场处置完毕",
    )
    t += sim.hours(20, 0.6)
    if sim.rng.random() < 0.08:
        sim.at(
            t,
            intake.do_verify_self_handling,
            actor=dispatcher,
            demand_id=demand.pk,
            passed=False,
            note="现场核查未整改到位",
        )
        sim.count("self_rework")
        t += sim.hours(72, 0.5)
        sim.at(
            t,
            intake.do_finish_self_handling,
            actor=sim.handler(unit.id),
            demand_id=demand.pk,
            note="已返工整改",
        )
        t += sim.hours(20, 0.6)
    sim.at(
        t, intake.do_verify_self_handling, actor=dispatcher, demand_id=demand.pk, passed=True, note="核查通过"
    )
    callback(sim, demand, t + sim.hours(30, 0.5), dispatcher)


def _bottom_up(sim: _Sim, result: SimResult, start: dt.datetime, end: dt.datetime) -> None:
    """下评上: the street rates most closed whistles' units; each street fills in the month's survey."""
    from shaobao.evaluation.actions import do_rate_unit, do_submit_survey
    from shaobao.whistles.models import Summons

    rng = sim.rng
    for whistle, closed_at in sim.closed:
        if rng.random() > 0.75:
            continue
        for s in Summons.objects.filter(whistle=whistle).exclude(state="withdrawn"):
            base = 4 if s.finished_at and s.finished_at <= s.finish_due else 3
            scores = [max(1, min(5, base + rng.choice((-1, 0, 0, 1)))) for _i in range(3)]
            moment = closed_at + sim.hours(24, 0.5)
            if moment >= sim.real_now:
                continue
            try:
                do_rate_unit(
                    actor=sim.dispatcher(whistle.street_id),
                    whistle_id=whistle.pk,
                    unit_id=s.unit_id,
                    cooperation=scores[0],
                    initiative=scores[1],
                    quality=scores[2],
                    comment=rng.choice(["配合积极，处置及时", "响应较快", "需加强沟通", ""]),
                    now=moment,
                )
                result.ratings += 1
            except DomainError:
                continue
    month = f"{start:%Y-%m}"
    for street in sim.streets:
        units = set(
            Summons.objects.filter(whistle__street=street, summoned_at__gte=start, summoned_at__lt=end)
            .exclude(state="withdrawn")
            .values_list("unit_id", flat=True)
        )
        for unit_id in sorted(units):
            scores = [rng.choice((3, 4, 4, 5)) for _i in range(3)]
            with frozen_at(min(end + dt.timedelta(days=2), sim.real_now)):
                do_submit_survey(
                    actor=sim.dispatcher(street.id),
                    street_id=street.id,
                    unit_id=unit_id,
                    month=month,
                    cooperation=scores[0],
                    initiative=scores[1],
                    quality=scores[2],
                )
            result.surveys += 1
