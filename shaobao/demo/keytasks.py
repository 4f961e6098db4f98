"""Demo key-task lists: 7 areas / 45 measures (the shape of Yunnan's list) with lead and participating
units, some progress, a couple overdue; last month's topic candidates computed from the demo month's
demands and one of them picked as the month's topic. Written through the keytasks actions (with `now`
set back for the tasks that started earlier), so the audit trail and the claims are real."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.utils import timezone

from shaobao.keytasks import actions, supervision, topics
from shaobao.keytasks.models import Area, KeyTask
from shaobao.org.models import Division, Membership, Unit

AREAS: list[tuple[str, list[str]]] = [
    ("党建引领基层治理", ["健全街道党工委统筹协调机制", "推行社区“大党委”制", "建立党员“双报到”常态化机制",
                          "开展在职党员进社区服务", "发展“红色物业”", "组建区域化党建联盟", "推动驻区单位资源共享"]),
    ("街道管理体制改革", ["优化街道内设机构", "推进街道综合执法改革", "落实街道对派驻机构考核权", "建立“街乡吹哨、部门报到”响应机制",
                          "规范派驻人员管理", "完善街道议事协调机制", "编制街道职责清单"]),
    ("赋权扩能", ["下放行政执法权限", "赋予街道规划参与权", "赋予街道重大事项建议权", "推进综合行政执法下沉", "落实街道人事考核建议权",
                  "保障街道工作经费"]),
    ("网格化管理", ["统一划分全科网格", "配齐专职网格员", "建设网格化服务管理平台", "推行网格事项准入", "开展网格员培训",
                    "建立网格巡查制度"]),
    ("接诉即办", ["整合12345热线与网格平台", "建立诉求分级分类办理制度", "落实首接负责制", "开展“每月一题”专项治理",
                  "建立诉求回访制度", "推动未诉先办", "完善诉求考核排名"]),
    ("减负增效", ["清理规范社区工作事项", "精简社区证明事项", "规范社区挂牌", "减少社区台账报表", "推行“一表通”", "整治形式主义"]),
    ("考核评价", ["建立下评上考核机制", "完善部门报到评价", "把诉求办理纳入绩效考核", "建立问责追责机制", "开展群众满意度测评",
                  "公开考核结果"]),
]  # fmt: skip
LEADS = ["ZZB", "BB", "CGW", "CGZF", "ZWFW", "MZJ", "SFJ", "ZJW", "JTJ", "STHJ"]


@dataclass
class DemoKeyTasks:
    areas: int = 0
    tasks: int = 0
    overdue: int = 0
    candidates: int = 0
    topic_month: str = ""

    def summary(self) -> str:
        return (
            f"重点任务 / key tasks: {self.areas} areas, {self.tasks} measures ({self.overdue} overdue); "
            f"每月一题 / topics {self.topic_month}: {self.candidates} candidates, 1 picked"
        )


def load_key_tasks(district: Division, *, seed: int = 0) -> DemoKeyTasks:
    rng = random.Random(seed)
    out = DemoKeyTasks()
    member = (
        Membership.objects.filter(role="district_coordinator", division=district)
        .select_related("user")
        .first()
    )
    if member is None or KeyTask.objects.filter(district=district).exists():
        return out
    coordinator = member.user
    units = list(Unit.objects.filter(division=district, is_active=True).order_by("code"))
    codes = {u.code for u in units}
    leads = [c for c in LEADS if c in codes] or [u.code for u in units[:8]]
    now = timezone.now()
    year = timezone.localdate().year
    start = now - dt.timedelta(days=75)
    for number, (name, measures) in enumerate(AREAS, 1):
        area = actions.do_create_area(actor=coordinator, year=year, number=number, name=name)
        out.areas += 1
        for i, title in enumerate(measures, 1):
            lead = leads[(number + i) % len(leads)]
            others = rng.sample([u.code for u in units if u.code != lead], 2)
            overdue = out.tasks in (3, 17)  # a couple overdue: deadlines passed last month
            deadline = (
                (start + dt.timedelta(days=40)).date()
                if overdue
                else (now + dt.timedelta(days=rng.randint(20, 240))).date()
            )
            task = actions.do_create_key_task(
                actor=coordinator, title=title, lead_unit=lead, participating_units=others, deadline=deadline,
                area=area.pk, number=f"{number}.{i}", description=f"{name}：{title}，按期完成并报送成效。",
                milestones=[("制定方案", None), ("组织实施", None), ("总结验收", None)], now=start,
            )  # fmt: skip
            out.tasks += 1
            out.overdue += overdue
            _progress(task, rng, start)
    supervision.sweep(now)
    month = topics.last_month(now)
    result = topics.compute(district, month)
    out.candidates, out.topic_month = len(result.frequent) + len(result.rising), month
    pick = (result.rising or result.frequent or [None])[0]
    if pick is not None:
        actions.do_choose_topic(
            actor=coordinator, month=month, matter=pick.matter_code, street=pick.street_code,
            community=pick.community_code or None, grid=pick.grid_code or None,
            lead_unit=leads[0] if pick.matter_code == "" else _matter_lead(pick.matter_code, district) or leads[0],
            participating_units=[u for u in ("CGW", "ZJW") if u in codes], measures="联合执法、源头治理、定期回访",
            deadline=(now + dt.timedelta(days=60)).date(),
        )  # fmt: skip
    return out


def _matter_lead(code: str, district) -> str | None:
    from shaobao.duties.models import Matter

    m = Matter.objects.filter(code=code, duty_list__district=district).select_related("lead_unit").first()
    return m.lead_unit.code if m and m.lead_unit_id and m.lead_unit.division_id == district.pk else None


def _progress(task: KeyTask, rng: random.Random, start: dt.datetime) -> None:
    """Some progress from the lead unit's handler, when it has one."""
    handler = Membership.objects.filter(unit=task.lead_unit, role__in=["unit_handler", "unit_leader"]).first()
    if handler is None or rng.random() < 0.3:
        return
    milestones = list(task.milestones.all())
    steps = rng.choice([[30], [30, 60], [40, 70, 100]])
    for k, percent in enumerate(steps):
        actions.do_report_progress(
            actor=handler.user, key_task_id=task.pk, note=f"已完成{milestones[min(k, 2)].title}，推进顺利。",
            percent=percent, milestone=milestones[min(k, 2)].pk, now=start + dt.timedelta(days=7 * (k + 1)),
        )  # fmt: skip


__all__ = ["Area", "load_key_tasks"]
