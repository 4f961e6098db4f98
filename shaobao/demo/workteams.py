"""Demo village work teams (驻村工作队): Pinggu-sized — 80 teams with 393 cadres over the five village kinds,
each with its plan (measures, some overdue), household visits and district reviews over the last weeks (some
teams overdue for review), and one team member's login (`teammember`, role deployed_cadre).

Everything is bulk-created; a second load leaves existing teams alone. Dates are relative to today so that
the overdue figures stay real-looking whenever the demo is loaded.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from dataclasses import dataclass

from django.utils import timezone

from shaobao.core.calendar import add_working_days, local_tz
from shaobao.forces.models import Cadre, Deployment, DeploymentMode
from shaobao.org.models import Division, Membership, Unit, User
from shaobao.workteams.models import (
    HouseholdVisit,
    Measure,
    MeasureState,
    TeamReview,
    VillageKind,
    WorkTeam,
    WorkTeamMember,
)

TEAMS = 80
CADRES = 393  # 73 teams of five and 7 of four
MEMBER_USERNAME = "teammember"
SEED = 11

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红斌建国志海鹏飞宇浩然文博思远晨阳雪梅春林"
# (force, post) of a five-member team; a four-member team leaves out the selected graduate.
FIVE = [
    ("leadership", "team_leader"),
    ("resident", "first_secretary"),
    ("resident", "selected_graduate"),
    ("resident", "village_official"),
    ("specialist", "specialist"),
]
FOUR = [FIVE[0], FIVE[1], FIVE[3], FIVE[4]]
VILLAGE_POSTS = {"first_secretary", "selected_graduate", "village_official"}
POST_LABELS = {
    "team_leader": "队长",
    "first_secretary": "第一书记",
    "selected_graduate": "选调生",
    "village_official": "村官",
    "specialist": "专业人员",
}
SKILLS = ["农业技术", "乡村规划", "法律服务", "财务审计", "党建", "电商", "医疗卫生", "水利", "文旅"]
MEASURES = {
    "weak_and_lax": ["整顿村党支部班子", "规范三会一课", "建立党员积分制", "发展年轻党员", "公开村务财务"],
    "governance_difficulty": [
        "化解土地流转纠纷",
        "整治私搭乱建",
        "建立网格巡查制度",
        "修订村规民约",
        "调解邻里矛盾",
    ],
    "election_difficulty": ["摸排换届风险", "培养村级后备干部", "开展政策宣讲", "规范选举程序", "走访老党员"],
    "lagging_development": [
        "发展大桃产业合作社",
        "引进民宿运营方",
        "修缮村内道路",
        "建设冷库",
        "开设电商直播",
    ],
    "low_income_concentration": [
        "建立低收入户台账",
        "落实就业帮扶",
        "开展医疗救助",
        "发展庭院经济",
        "组织技能培训",
    ],
}
VISIT_NOTES = [
    "了解家庭收入和就业情况",
    "老人独居，需要助餐服务",
    "反映村道照明不足",
    "咨询医保报销政策",
    "子女就学困难，已转民政",
    "希望参加果树修剪培训",
    "房屋漏雨，登记修缮",
    "对土地流转有意见",
]
REVIEW_PROGRESS = ["施工图措施按计划推进", "入户走访全覆盖", "村党支部组织生活恢复正常", "产业项目完成选址"]
REVIEW_PROBLEMS = ["项目资金未到位", "部分村民参与度不高", "队员在村时间不足", ""]
REVIEW_NEXT = ["对接区农业农村局落实资金", "召开村民代表会议", "加密走访频次", "完善帮扶台账"]


@dataclass
class DemoTeams:
    teams: int = 0
    cadres: int = 0
    measures: int = 0
    visits: int = 0
    reviews: int = 0

    def summary(self) -> str:
        return (
            f"驻村工作队 / village work teams: {self.teams} teams, {self.cadres} cadres, "
            f"{self.measures} measures, {self.visits} visits, {self.reviews} reviews"
        )


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def load_workteams(district: Division, now: dt.datetime | None = None) -> DemoTeams:
    """Create the demo teams in `district` (nothing when it has teams already)."""
    result = DemoTeams()
    prefix = district.code[:6]
    if WorkTeam.objects.filter(village__code__startswith=prefix).exists():
        result.teams = WorkTeam.objects.filter(village__code__startswith=prefix).count()
        return result
    rng = random.Random(SEED)
    now = now or timezone.now()
    tz = local_tz()
    communities = list(
        Division.objects.filter(level="community", code__startswith=prefix)
        .select_related("parent")
        .order_by("code")
    )
    villages = [c for c in communities if c.name.endswith("村")] or communities
    villages = sorted(rng.sample(villages, min(TEAMS, len(villages))), key=lambda v: v.code)
    units = list(Unit.objects.filter(division=district, kind="department", is_active=True).order_by("code"))
    kinds = [k for k in VillageKind.values for _ in range(TEAMS // len(VillageKind.values))]
    rng.shuffle(kinds)

    # Teams: started 3 to 20 weeks ago; the 7 four-member teams are spread over the list.
    four_member = set(rng.sample(range(len(villages)), len(villages) * 7 // TEAMS))
    teams, shapes = [], []
    for i, village in enumerate(villages):
        created = now - dt.timedelta(days=rng.randint(21, 140), hours=rng.randint(0, 8))
        teams.append(
            WorkTeam(
                name=f"{village.name}驻村工作队",
                village=village,
                street_id=village.parent_id,
                kind=kinds[i % len(kinds)],
                starts_on=created.astimezone(tz).date(),
                created_at=created,
            )
        )
        shapes.append(FOUR if i in four_member else FIVE)
    WorkTeam.objects.bulk_create(teams)

    # Cadres and their deployments to the village.
    cadres, seats = [], []
    for team, shape in zip(teams, shapes, strict=True):
        for force, post in shape:
            unit = rng.choice(units) if units and post != "selected_graduate" else None
            cadres.append(
                Cadre(
                    name=_name(rng),
                    unit=unit,
                    district=district,
                    title="选调生"
                    if post == "selected_graduate"
                    else rng.choice(["科员", "副科长", "科长", "主任科员"]),
                    skills=rng.choice(SKILLS) if force == "specialist" else "",
                    created_at=team.created_at,
                )
            )
            seats.append((team, force, post))
    Cadre.objects.bulk_create(cadres, batch_size=500)
    deployments = [
        Deployment(
            cadre=cadre,
            mode=DeploymentMode.VILLAGE_POST if post in VILLAGE_POSTS else DeploymentMode.VILLAGE_HOUSEHOLD,
            host=team.village,
            post=POST_LABELS[post],
            duties="驻村工作队",
            starts_on=team.starts_on,
            created_at=team.created_at,
        )
        for cadre, (team, _force, post) in zip(cadres, seats, strict=True)
    ]
    Deployment.objects.bulk_create(deployments, batch_size=500)
    members = [
        WorkTeamMember(
            team=team, cadre=cadre, deployment=dep, force=force, post=post, joined_on=team.starts_on
        )
        for cadre, dep, (team, force, post) in zip(cadres, deployments, seats, strict=True)
    ]
    WorkTeamMember.objects.bulk_create(members, batch_size=500)
    by_team: dict[int, list[WorkTeamMember]] = {}
    for m in members:
        by_team.setdefault(m.team_id, []).append(m)

    # Plans, visits, reviews. Deadlines may fall in a year the holiday data does not cover yet: the
    # calendar then counts Monday-Friday and warns once per day, which would flood the load's output.
    calendar_log = logging.getLogger("shaobao.core.calendar")
    level = calendar_log.level
    calendar_log.setLevel(logging.ERROR)
    try:
        measures, visits, reviews = _activity(teams, by_team, rng, now)
    finally:
        calendar_log.setLevel(level)
    Measure.objects.bulk_create(measures, batch_size=1000)
    HouseholdVisit.objects.bulk_create(visits, batch_size=1000)
    TeamReview.objects.bulk_create(reviews, batch_size=1000)
    WorkTeam.objects.bulk_update(teams, ["last_reviewed_at"], batch_size=500)
    _member_login(district, by_team[teams[0].pk][0])

    result.teams, result.cadres = len(teams), len(cadres)
    result.measures, result.visits, result.reviews = len(measures), len(visits), len(reviews)
    return result


def _activity(teams, by_team, rng: random.Random, now: dt.datetime):
    """Each team's plan (measures, some overdue), household visits and reviews (some teams overdue)."""
    tz = local_tz()
    today = now.astimezone(tz).date()
    measures, visits, reviews = [], [], []
    for team in teams:
        crew = by_team[team.pk]
        titles = rng.sample(MEASURES[team.kind], k=rng.randint(3, 5))
        for title in titles:
            start = team.created_at + dt.timedelta(days=rng.randint(0, 10))
            days = rng.choice([10, 15, 20, 30, 40, 60])
            due = add_working_days(start, days).astimezone(tz).date()
            if due < today:
                state = rng.choices(
                    [MeasureState.DONE, MeasureState.IN_PROGRESS, MeasureState.PLANNED], [7, 2, 1]
                )[0]
            else:
                state = rng.choice([MeasureState.PLANNED, MeasureState.IN_PROGRESS, MeasureState.DONE])
            done_at = None
            if state == MeasureState.DONE:
                done_at = min(
                    now, start + dt.timedelta(days=rng.randint(3, max(4, (due - start.date()).days)))
                )
            measures.append(
                Measure(
                    team=team,
                    title=title,
                    owner=rng.choice(crew),
                    working_days=days,
                    due_on=due,
                    state=state,
                    done_at=done_at,
                    created_at=start,
                )
            )
        span = (today - team.starts_on).days
        for _ in range(rng.randint(6, 18)):
            surname = rng.choice(SURNAMES)
            visits.append(
                HouseholdVisit(
                    team=team,
                    member=rng.choice(crew),
                    household=f"{surname}家",
                    address=f"{team.village.name}{rng.randint(1, 9)}组{rng.randint(1, 60)}号",
                    visited_on=today - dt.timedelta(days=rng.randint(0, max(span, 0))),
                    notes=rng.choice(VISIT_NOTES),
                    created_at=now,
                )
            )
        # Reviews every 9–13 days from the start; about one team in six missed its last ones (overdue).
        at = team.created_at + dt.timedelta(days=rng.randint(9, 13))
        stop = now - dt.timedelta(days=rng.randint(16, 30)) if rng.random() < 0.16 else now
        last = None
        while at < stop:
            reviews.append(
                TeamReview(
                    team=team,
                    reviewed_at=at,
                    progress=rng.choice(REVIEW_PROGRESS),
                    problems=rng.choice(REVIEW_PROBLEMS),
                    next_measures=rng.choice(REVIEW_NEXT),
                )
            )
            last = at
            at += dt.timedelta(days=rng.randint(9, 13))
        team.last_reviewed_at = last
    return measures, visits, reviews


def _member_login(district: Division, seat: WorkTeamMember) -> None:
    """`teammember` (the demo password): the leader of the first team, role deployed_cadre at its village."""
    coordinator = User.objects.filter(username="coordinator").first()
    user, _ = User.objects.get_or_create(username=MEMBER_USERNAME, defaults={"first_name": seat.cadre.name})
    if coordinator is not None:
        user.password = coordinator.password  # already the demo password's hash (hashing is slow)
    user.first_name = seat.cadre.name
    user.save()
    Cadre.objects.filter(user=user).update(user=None)
    Cadre.objects.filter(pk=seat.cadre_id).update(user=user)
    Membership.objects.get_or_create(user=user, role="deployed_cadre", division=seat.team.village, unit=None)
