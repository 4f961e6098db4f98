"""The demo city (docs/levels.md): Beijing's city level above Pinggu, a second, generated district (密云区,
four of its streets with three communities each, its departments, a published duty list and three weeks of
demands) and the calls up the levels (乡呼县应) in different states.

Logins (password `shaobao-demo`): `citycoord` (city coordinator; also a district coordinator of both
districts: the top bar's picker), `miyuncoord`, `miyundispatcher` (鼓楼街道), `twocounties` (a handler of
the water authorities of both districts), and `h-<unit code>` for every new department (e.g.
`h-city-swj`, `h-my-swj`). Everything is bulk-created; the calls go through the real actions (a dozen),
once: a second load leaves them as they are. Five of them are played in the last weeks (`frozen_at`, as the
simulated month does) with the real sweep run whenever a deadline fell due: an extension request pending,
one granted, one refused, and two departments overdue with their supervision orders.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from unittest import mock

from django.utils import timezone

from shaobao.core.calendar import is_workday, local_tz
from shaobao.demo.users import DEMO_PASSWORD, handler_username
from shaobao.org.divisions import read_district
from shaobao.org.models import Division, Membership, Unit, User

CITY_NAME = "北京市"
MIYUN = "110118"
MIYUN_STREETS = 4
COMMUNITIES_PER_STREET = 3
DEMAND_DAYS = 21
DEMANDS = 36

CITY_DEPARTMENTS = [
    ("CITY-ZJW", "北京市住房和城乡建设委员会"),
    ("CITY-SWJ", "北京市水务局"),
    ("CITY-STHJ", "北京市生态环境局"),
    ("CITY-JTW", "北京市交通委员会"),
]
MIYUN_DEPARTMENTS = [
    ("MY-CGW", "密云区城市管理委员会"),
    ("MY-SWJ", "密云区水务局"),
    ("MY-ZJW", "密云区住房和城乡建设委员会"),
    ("MY-STHJ", "密云区生态环境局"),
]
# (code, name, domain code, lead unit code, working days) of Miyun's duty list.
MIYUN_MATTERS = [
    ("MY-CG-001", "违法建设", "CXJS", "MY-CGW", 7),
    ("MY-SW-001", "河道垃圾和排污", "HJBH", "MY-SWJ", 7),
    ("MY-ZJ-001", "老旧小区房屋安全", "CXJS", "MY-ZJW", 15),
    ("MY-HB-001", "餐饮油烟扰民", "HJBH", "MY-STHJ", 7),
]
SUBJECTS = ["楼道堆物", "河道漂浮垃圾", "路灯不亮", "餐饮油烟扰民", "私搭乱建", "小区积水", "噪声扰民"]


def load_levels(pinggu: Division) -> str:
    """Load (or refresh) the city level, Miyun and the demo calls; returns the summary line."""
    city = pinggu.parent
    if city is None or city.level != "city":
        return "无市级区划，跳过多级演示 / no city above the district: levels demo skipped"
    if city.name != CITY_NAME:
        city.name = CITY_NAME  # the statistical name of Beijing's city level is "市辖区"
        city.save(update_fields=["name"])
    miyun, streets, communities = _load_miyun(city)
    units = _upsert_units(
        [(c, n, "city_department", city) for c, n in CITY_DEPARTMENTS]
        + [(c, n, "department", miyun) for c, n in MIYUN_DEPARTMENTS]
    )
    matters = _load_duty_list(miyun, units)
    users = _load_users(city, pinggu, miyun, streets[0], units)
    demands = _load_demands(streets, communities, matters)
    calls = _load_calls(city, pinggu, miyun, streets)
    return (
        f"多级演示 / levels demo: {CITY_NAME} + {miyun.name} ({len(streets)} streets, {len(communities)} "
        f"communities, {len(units)} departments, {matters and len(matters)} matters, {users} users, "
        f"{demands} demands, {calls})"
    )


def _load_miyun(city: Division):
    rows = read_district(MIYUN)
    streets = [r for r in rows if r[2] == "street"][:MIYUN_STREETS]
    keep = {r[0] for r in streets}
    communities = []
    for s in streets:
        communities += [r for r in rows if r[2] == "community" and r[3] == s[0]][:COMMUNITIES_PER_STREET]
    district_row = next(r for r in rows if r[2] == "district")
    wanted = [district_row, *streets, *communities]
    existing = {d.code: d for d in Division.objects.filter(code__in=[r[0] for r in wanted])}
    for level in ("district", "street", "community"):
        new = []
        for code, name, lvl, parent_code in wanted:
            if lvl != level or code in existing:
                continue
            parent = city if level == "district" else existing[parent_code]
            new.append(Division(code=code, name=name, level=lvl, parent=parent))
        Division.objects.bulk_create(new)
        for d in Division.objects.filter(code__in=[d.code for d in new]):
            existing[d.code] = d
    miyun = existing[district_row[0]]
    return (
        miyun,
        [existing[r[0]] for r in streets if r[0] in keep],
        [existing[r[0]] for r in communities],
    )


def _upsert_units(specs) -> dict[str, Unit]:
    have = {u.code: u for u in Unit.objects.filter(code__in=[s[0] for s in specs])}
    Unit.objects.bulk_create(
        [Unit(code=c, name=n, kind=k, division=d) for c, n, k, d in specs if c not in have]
    )
    return {u.code: u for u in Unit.objects.filter(code__in=[s[0] for s in specs])}


def _load_duty_list(miyun: Division, units: dict[str, Unit]):
    from shaobao.duties.models import Domain, DutyList, Matter

    if DutyList.objects.filter(district=miyun, status="published").exists():
        return list(Matter.objects.filter(duty_list__district=miyun, duty_list__status="published"))
    duty_list = DutyList.objects.create(district=miyun, name="密云区街乡吹哨事项清单", version=1)
    domains = {d.code: d for d in Domain.objects.all()}
    for code, name in (("CXJS", "城乡建设"), ("HJBH", "环境保护")):
        if code not in domains:
            domains[code] = Domain.objects.create(code=code, name=name)
    Matter.objects.bulk_create(
        [
            Matter(
                duty_list=duty_list,
                code=code,
                name=name,
                domain=domains[domain],
                lead_unit=units[lead],
                time_limit=days,
                time_limit_unit="working_days",
                keywords=[name],
            )
            for code, name, domain, lead, days in MIYUN_MATTERS
        ]
    )
    duty_list.status, duty_list.published_at = "published", timezone.now()
    duty_list.save(update_fields=["status", "published_at"])
    return list(duty_list.matters.all())


def _load_users(city, pinggu, miyun, gulou, units: dict[str, Unit]) -> int:
    from django.contrib.auth.hashers import make_password

    swj = Unit.objects.filter(code="SWJ", division=pinggu).first()
    specs = [
        ("citycoord", "周建华", [("city_coordinator", city, None), ("district_coordinator", pinggu, None),
                                ("district_coordinator", miyun, None)]),
        ("miyuncoord", "吴静", [("district_coordinator", miyun, None)]),
        ("miyundispatcher", "郑磊", [("street_dispatcher", gulou, None)]),
        ("twocounties", "冯涛", [("unit_handler", miyun, units["MY-SWJ"])]
         + ([("unit_handler", pinggu, swj)] if swj else [])),
    ]  # fmt: skip
    specs += [
        (handler_username(u.code), f"{u.name}承办人", [("unit_handler", u.division, u)])
        for u in units.values()
    ]
    existing = {u.username: u for u in User.objects.filter(username__in=[s[0] for s in specs])}
    password = next((u.password for u in existing.values() if u.password), None) or make_password(
        DEMO_PASSWORD
    )
    User.objects.bulk_create(
        [User(username=n, first_name=f, password=password) for n, f, _m in specs if n not in existing]
    )
    ids = dict(User.objects.filter(username__in=[s[0] for s in specs]).values_list("username", "pk"))
    have = set(
        Membership.objects.filter(user_id__in=ids.values()).values_list(
            "user_id", "role", "division_id", "unit_id"
        )
    )
    new = []
    for name, _first, memberships in specs:
        for role, division, unit in memberships:
            key = (ids[name], role, division.pk, unit.pk if unit else None)
            if key not in have:
                new.append(Membership(user_id=ids[name], role=role, division=division, unit=unit))
    Membership.objects.bulk_create(new)
    return len(specs)


def _load_demands(streets, communities, matters) -> int:
    from shaobao.intake.models import Demand

    if Demand.objects.filter(street__in=streets).exists():
        return Demand.objects.filter(street__in=streets).count()
    rng = random.Random(118)
    now = timezone.now()
    by_street = {s.pk: [c for c in communities if c.parent_id == s.pk] for s in streets}
    rows = []
    for n in range(DEMANDS):
        street = streets[n % len(streets)]
        received = now - dt.timedelta(days=rng.uniform(0.2, DEMAND_DAYS))
        age = (now - received).days
        state = (
            "called_back"
            if age > 10
            else ("closed" if age > 4 else rng.choice(["received", "self_handling"]))
        )
        matter = rng.choice(matters) if matters else None
        done = state in ("closed", "called_back")
        rows.append(
            Demand(
                tracking_code=f"MY{received:%y%m%d}{n:04d}",
                channel=rng.choice(["hotline_12345", "grid_patrol", "resident_web"]),
                kind=rng.choice(["complaint", "help", "report"]),
                subject=rng.choice(SUBJECTS),
                body="密云区演示诉求",
                street=street,
                community=rng.choice(by_street[street.pk]) if by_street[street.pk] else None,
                placement_source="street_code",
                matter=matter,
                state=state,
                received_at=received,
                due_at=received + dt.timedelta(days=7),
                closed_at=received + dt.timedelta(days=rng.uniform(1, 4)) if done else None,
                called_back_at=received + dt.timedelta(days=5) if state == "called_back" else None,
                satisfaction=rng.choice(["satisfied", "satisfied", "basically_satisfied", "unsatisfied"])
                if state == "called_back"
                else "",
            )
        )
    Demand.objects.bulk_create(rows)
    return len(rows)


CALL_USERS = ["dispatcher", "coordinator", "citycoord", "miyuncoord", "miyundispatcher", "h-cgzf", "h-zjw",
              "h-swj", "h-city-swj", "h-city-sthj", "h-my-swj", "h-my-cgw", "h-my-zjw", "h-my-sthj"]  # fmt: skip
FIRST_KEY, CLOCK_KEY = "demo-1", "demo-8"  # the first call of each group: loaded, the group is left as it is


def _load_calls(city, pinggu, miyun, miyun_streets) -> str:
    """A dozen calls through the real actions, in every state a board shows; returns the summary's part."""
    from shaobao.calls.models import Call

    users = {u.username: u for u in User.objects.filter(username__in=CALL_USERS)}
    if len(users) < len(CALL_USERS):
        return "0 calls"
    pinggu_street = Division.objects.filter(parent=pinggu, level="street").order_by("code").first()
    if not Call.objects.filter(idempotency_key=FIRST_KEY).exists():
        _calls_in_every_state(users, city, pinggu_street, miyun, miyun_streets)
    if not Call.objects.filter(idempotency_key=CLOCK_KEY).exists():
        _calls_on_the_clock(users, pinggu_street, miyun_streets[0])
    return _calls_summary()


def _calls_summary() -> str:
    from django.db.models import Count, Q

    from shaobao.calls.models import Call, CallExtensionRequest, CallSupervisionOrder

    calls = Call.objects.filter(
        Q(idempotency_key__startswith="demo-") | Q(parent__idempotency_key__startswith="demo-")
    )
    ext = dict(
        CallExtensionRequest.objects.filter(assignment__call__in=calls)
        .order_by()
        .values_list("state")
        .annotate(n=Count("id"))
    )
    orders = dict(
        CallSupervisionOrder.objects.filter(assignment__call__in=calls)
        .order_by()
        .values_list("kind")
        .annotate(n=Count("id"))
    )
    return (
        f"{calls.count()} calls, {sum(ext.values())} extension requests ({ext.get('pending', 0)} pending, "
        f"{ext.get('granted', 0)} granted, {ext.get('refused', 0)} refused), "
        f"{orders.get('supervision', 0)} supervision orders and {orders.get('warning', 0)} warnings"
    )


def _calls_in_every_state(users, city, pinggu_street, miyun, miyun_streets) -> None:
    from shaobao.calls import actions as a
    from shaobao.calls.models import Call
    from shaobao.org import acting

    city_user = users["citycoord"]
    acting.request_area(city_user, city.code[:4])

    def call(key, who, caller, subject, body, type="routine"):
        return a.do_raise_call(actor=users[who], caller_code=caller.code, subject=subject, body=body, type=type,
                               idempotency_key=f"demo-{key}")  # fmt: skip

    def assign(c, who, lead, supporting=()):
        actor = city_user if who == "citycoord" else users[who]
        a.do_assign(actor=actor, call_id=c.pk, lead_unit_code=lead, supporting_unit_codes=list(supporting))
        return {x.unit.code: x for x in c.assignments.select_related("unit")}

    def finish(assignment, who, note):
        a.do_report_in(actor=users[who], assignment_id=assignment.pk)
        a.do_finish(actor=users[who], assignment_id=assignment.pk, note=note)

    # Pinggu: one waiting at the county centre, one in hand, one closed and rated.
    call(
        1,
        "dispatcher",
        pinggu_street,
        "泃河滨河段跨街道排污",
        "排污口位于上游，街道执法力量无法查处源头",
        "priority",
    )
    c = call(2, "dispatcher", pinggu_street, "老旧小区外墙脱落隐患", "需区住建委组织鉴定，街道无鉴定资质")
    got = assign(c, "coordinator", "ZJW")
    a.do_report_in(actor=users["h-zjw"], assignment_id=got["ZJW"].pk)
    c = call(3, "dispatcher", pinggu_street, "主干道违建广告牌", "涉及多个街道，需区城管执法局统一拆除")
    got = assign(c, "coordinator", "CGZF")
    finish(got["CGZF"], "h-cgzf", "已统一拆除广告牌12处")
    a.do_verify(actor=users["dispatcher"], call_id=c.pk, passed=True, ratings={"CGZF": 5})
    # Pinggu → county → city: the city's water authority answers, the county verifies, the street has to verify.
    c = call(4, "dispatcher", pinggu_street, "跨区河道上游来水污染", "污染来自区外上游，区属单位无法处置")
    a.do_call_up(actor=users["coordinator"], call_id=c.pk, note="上游在区外，需市级协调")
    child = Call.objects.get(parent=c)
    got = assign(child, "citycoord", "CITY-SWJ", ["CITY-STHJ"])
    finish(got["CITY-STHJ"], "h-city-sthj", "已完成水质监测")
    finish(got["CITY-SWJ"], "h-city-swj", "已协调上游关闭排污口")
    a.do_verify(
        actor=users["coordinator"], call_id=child.pk, passed=True, ratings={"CITY-SWJ": 4, "CITY-STHJ": 5}
    )
    # Miyun: fed back to verify, closed with a middling rating, and a call up to the city waiting there.
    c = call(5, "miyundispatcher", miyun_streets[0], "水库周边私设渔具", "涉及水务执法，街道无执法权")
    got = assign(c, "miyuncoord", "MY-SWJ")
    finish(got["MY-SWJ"], "h-my-swj", "已清理渔具并巡查")
    c = call(6, "miyundispatcher", miyun_streets[0], "背街小巷违法建设", "占压管线，需区城管委协调")
    got = assign(c, "miyuncoord", "MY-CGW")
    finish(got["MY-CGW"], "h-my-cgw", "已拆除")
    a.do_verify(actor=users["miyundispatcher"], call_id=c.pk, passed=True, ratings={"MY-CGW": 3})
    call(7, "miyuncoord", miyun, "跨区公交线路调整", "涉及两区公交线路，需市交通委决定")


def _workdays_ago(today: dt.date, days: int) -> dt.date:
    day = today
    while days > 0:
        day -= dt.timedelta(days=1)
        days -= is_workday(day)
    return day


@contextlib.contextmanager
def _quiet_calls():
    """No bell nor e-mail for a simulated past (as in the simulated month): the actions and the sweep
    imported notify_on_commit by name, so it is silenced where they look it up."""
    with (
        mock.patch("shaobao.calls.actions.notify_on_commit", new=lambda *a, **k: None),
        mock.patch("shaobao.calls.supervision.notify_on_commit", new=lambda *a, **k: None),
    ):
        yield


def _calls_on_the_clock(users, pinggu_street, miyun_street) -> None:
    """Five calls of the last weeks, each step at its own moment (working days ago, office hours) through the
    real actions; before each step, and up to now, the real sweep runs a minute after every warning time
    and deadline that fell due (as the periodic task would have): the supervision orders are its own."""
    from shaobao.calls import actions as a
    from shaobao.calls import supervision
    from shaobao.calls.models import Call, CallAssignment, CallExtensionRequest
    from shaobao.demo.month import frozen_at

    tz = local_tz()
    today = timezone.localdate()

    def at(days_ago: int, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(_workdays_ago(today, days_ago), dt.time(hour, minute), tzinfo=tz)

    got: dict = {}

    def raise_call(key, who, caller, subject, body):
        def step(moment):
            c = a.do_raise_call(
                actor=users[who],
                caller_code=caller.code,
                subject=subject,
                body=body,
                idempotency_key=f"demo-{key}",
            )
            Call.objects.filter(pk=c.pk).update(raised_at=moment)  # its default is the real clock
            got[key] = c

        return step

    def assign(key, who, lead):
        def step(moment):
            a.do_assign(actor=users[who], call_id=got[key].pk, lead_unit_code=lead)
            got[key, "a"] = got[key].assignments.get()

        return step

    def report_in(key, who):
        return lambda moment: a.do_report_in(actor=users[who], assignment_id=got[key, "a"].pk)

    def ask(key, who, days, reason):
        def step(moment):
            ext = a.do_request_extension(
                actor=users[who], assignment_id=got[key, "a"].pk, days=days, reason=reason
            )
            CallExtensionRequest.objects.filter(pk=ext.pk).update(requested_at=moment)
            got[key, "ext"] = ext

        return step

    def decide(key, who, grant, note):
        return lambda moment: a.do_decide_extension(
            actor=users[who], extension_id=got[key, "ext"].pk, grant=grant, note=note
        )

    steps = [
        # Pinggu's water authority reports in but has not finished: overdue to finish (supervised).
        (at(12, 9, 10), raise_call(8, "dispatcher", pinggu_street, "镇域河道淤积清理", "清淤需区水务局专业力量，街道无设备")),
        (at(12, 9, 40), assign(8, "coordinator", "SWJ")),
        (at(12, 10, 30), report_in(8, "h-swj")),
        # Pinggu's housing commission asks for more time: pending at the county centre.
        (at(3, 9), raise_call(9, "dispatcher", pinggu_street, "农村危房安全鉴定", "需区住建委出具鉴定意见，街道无鉴定资质")),
        (at(3, 10), assign(9, "coordinator", "ZJW")),
        (at(3, 11), report_in(9, "h-zjw")),
        (at(1, 15), ask(9, "h-zjw", 5, "需委托第三方鉴定机构，鉴定报告约需一周出具")),
        # Miyun's water authority never reports in: warned, then overdue to report in (supervised).
        (at(3, 14), raise_call(10, "miyundispatcher", miyun_street, "水库上游非法采砂", "涉及水务执法，街道无执法权")),
        (at(3, 14, 30), assign(10, "miyuncoord", "MY-SWJ")),
        # Miyun's housing commission: an extension granted (the finish deadline moves by 5 working days).
        (at(8, 9), raise_call(11, "miyundispatcher", miyun_street, "老旧小区楼体裂缝", "需区住建委组织房屋安全鉴定")),
        (at(8, 9, 30), assign(11, "miyuncoord", "MY-ZJW")),
        (at(8, 11), report_in(11, "h-my-zjw")),
        (at(3, 10), ask(11, "h-my-zjw", 5, "沉降观测需连续记录，数据尚未完整")),
        (at(2, 16), decide(11, "miyuncoord", True, "同意延期5个工作日，请按新期限办结")),
        # Miyun's environment bureau: an extension refused (the deadline stands).
        (at(4, 9), raise_call(12, "miyundispatcher", miyun_street, "餐饮油烟扰民", "涉及环保执法，街道无检测手段")),
        (at(4, 9, 30), assign(12, "miyuncoord", "MY-STHJ")),
        (at(4, 10), report_in(12, "h-my-sthj")),
        (at(2, 10), ask(12, "h-my-sthj", 10, "需等待第三方油烟检测报告")),
        (at(1, 10), decide(12, "miyuncoord", False, "检测可加急办理，请在原期限内办结")),
    ]  # fmt: skip
    steps.sort(key=lambda s: s[0])
    swept = steps[0][0]

    def sweep_until(moment: dt.datetime) -> None:
        nonlocal swept
        clocks = CallAssignment.objects.filter(call__idempotency_key__startswith="demo-").values_list(
            "report_in_warn_at", "report_in_due", "finish_warn_at", "finish_due"
        )
        due = sorted({t for row in clocks for t in row if swept < t <= moment})
        for t in [*due, moment]:
            t = min(t + dt.timedelta(minutes=1), moment)
            with frozen_at(t):
                supervision.sweep(t)
        swept = moment

    with _quiet_calls():
        for moment, step in steps:
            sweep_until(moment)
            with frozen_at(moment):
                step(moment)
    sweep_until(timezone.now())  # the present: what falls due now is notified as the periodic task would
