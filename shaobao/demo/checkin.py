"""双报到 in the demo district: a few hundred checked-in organisations, a few thousand members (some of them
couriers, riders and drivers), a month of service records (most confirmed), needs on every community's board,
service posts with their weekly schedule, and a few reports of the new-employment grid helpers.

The people are synthetic: names drawn from common surnames and given names, phones in the unused range
100xxxxxxxx (no real mobile number starts with 100). Two demo logins: `member` (a party member of 平粮社区) and
`rider` (a delivery rider of the same community), with the demo password.

`load_checkin_demo(district, seed=0)` replaces the district's 双报到 data (a reload gives the same figures) in
bulk; it takes a second or two. The grid helpers' reports go through intake's real `do_receive_demand`.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from shaobao.checkin import rollup
from shaobao.checkin.grid_helpers import do_report_as_grid_helper, reports_of
from shaobao.checkin.models import (
    MemberCheckin,
    MemberKind,
    Need,
    NeedKind,
    NeedState,
    NeedTaking,
    OrganisationCheckin,
    PostShift,
    RecordState,
    ServicePost,
    ServiceRecord,
)
from shaobao.demo.users import DEMO_COMMUNITY, DEMO_PASSWORD
from shaobao.org.models import Division, Membership, Role, Unit, User

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华志强海燕红梅玉兰春梅晓东文杰雪梅俊杰子轩浩然欣怡"
ORG_KINDS = [
    "第{n}中学党支部",
    "第{n}小学党支部",
    "{n}号供电所党支部",
    "农商银行第{n}支行党支部",
    "邮政分局第{n}营业所党支部",
    "中心医院第{n}党支部",
    "燃气公司第{n}党支部",
    "自来水公司第{n}党支部",
    "交通运输局第{n}党支部",
    "税务所第{n}党支部",
]
SKILLS = [
    "法律咨询",
    "理发",
    "义诊",
    "家电维修",
    "心理疏导",
    "助老陪护",
    "课业辅导",
    "垃圾分类宣传",
    "水电维修",
    "摄影",
    "文艺演出",
    "电脑手机教学",
]
RESOURCES = ["会议室", "车辆", "场地", "图书", "医疗设备", "志愿者队伍", "文体器材", "资金"]
SERVICES = [
    "为独居老人送餐",
    "楼道清理",
    "义务理发",
    "法律咨询",
    "垃圾分类宣传",
    "陪老人就医",
    "课业辅导",
    "家电义务维修",
    "防诈骗宣传",
    "社区巡逻",
    "文明劝导",
    "疫苗接种引导",
]
WISHES = [
    "想要一台收音机",
    "希望有人陪同去医院复查",
    "孩子想要一套课外书",
    "想学用智能手机挂号",
    "需要更换家中灯泡",
    "希望有人帮忙修理轮椅",
]
TASKS = [
    "周末楼道环境整治",
    "社区防汛巡查",
    "老旧小区加装电梯意见收集",
    "消夏晚会秩序维护",
    "反诈宣传进楼门",
    "社区义诊",
]
EMPLOYERS = {
    MemberKind.COURIER: ["某快递公司平谷网点", "某速运平谷营业部"],
    MemberKind.DELIVERY_RIDER: ["某外卖平台平谷站", "某即时配送平谷站"],
    MemberKind.RIDE_HAILING_DRIVER: ["某网约车平台", "某出行平台"],
}
HELPER_REPORTS = [
    ("路口井盖缺失", "送餐路过新平北路路口，发现井盖缺失，夜间非常危险，请尽快处理。"),
    ("小区门口路灯不亮", "小区南门路灯已经坏了一周，晚上送件看不清路。"),
    ("共享单车堆放占道", "地铁口共享单车堆满人行道，行人只能走机动车道。"),
    ("绿化带垃圾堆积", "河边绿化带里堆了很多装修垃圾，已经好几天没人清理。"),
]
MEMBERS_PER_COMMUNITY = (6, 16)
NEW_EMPLOYMENT_SHARE = 0.08


@dataclass
class CheckinDemo:
    organisations: int = 0
    members: int = 0
    new_employment: int = 0
    records: int = 0
    needs: int = 0
    posts: int = 0
    reports: int = 0

    def summary(self) -> str:
        return (
            f"双报到 / check-in: {self.organisations} organisations, {self.members} members "
            f"({self.new_employment} new employment), {self.records} service records, {self.needs} needs, "
            f"{self.posts} service posts, {self.reports} grid helper reports"
        )


def _name(rng: random.Random) -> str:
    given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
    return rng.choice(SURNAMES) + given


def _clear(district: Division) -> None:
    prefix = district.code[:6]
    ServiceRecord.objects.filter(street__code__startswith=prefix).delete()
    NeedTaking.objects.filter(need__street__code__startswith=prefix).delete()
    Need.objects.filter(street__code__startswith=prefix).delete()
    PostShift.objects.filter(post__street__code__startswith=prefix).delete()
    ServicePost.objects.filter(street__code__startswith=prefix).delete()
    MemberCheckin.objects.filter(street__code__startswith=prefix).delete()
    OrganisationCheckin.objects.filter(street__code__startswith=prefix).delete()


def _accounts(community: Division) -> tuple[User, User]:
    users = []
    for username, display in (("member", "刘建华"), ("rider", "马晓东")):
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create(
                username=username, first_name=display, password=make_password(DEMO_PASSWORD)
            )
        Membership.objects.get_or_create(user=user, role=Role.CHECKIN_MEMBER, division=community, unit=None)
        users.append(user)
    return users[0], users[1]


def load_checkin_demo(district: Division, seed: int = 0) -> CheckinDemo:
    rng = random.Random(seed)
    today = timezone.localdate()
    result = CheckinDemo()
    with transaction.atomic():
        _clear(district)
        communities = list(
            Division.objects.filter(level="community", code__startswith=district.code[:6])
            .select_related("parent")
            .order_by("code")
        )
        if not communities:
            return result
        by_pk = {c.pk: c for c in communities}
        # Organisations: every district department checks in to a community; named organisations to the rest.
        units = list(Unit.objects.filter(division=district, is_active=True).order_by("code"))
        orgs: list[OrganisationCheckin] = []
        used: set[tuple[str, int]] = set()
        for i, unit in enumerate(units):
            community = communities[(i * 7) % len(communities)]
            used.add((unit.name, community.pk))
            orgs.append(_org(rng, community, unit.name, unit, today))
        n = 0
        while len(orgs) < max(300, len(units)):
            n += 1
            community = communities[rng.randrange(len(communities))]
            name = rng.choice(ORG_KINDS).format(n=n)
            if (name, community.pk) in used:
                continue
            used.add((name, community.pk))
            orgs.append(_org(rng, community, name, None, today))
        orgs = OrganisationCheckin.objects.bulk_create(orgs, batch_size=500)
        result.organisations = len(orgs)
        orgs_by_community: dict[int, list[OrganisationCheckin]] = {}
        for o in orgs:
            orgs_by_community.setdefault(o.community_id, []).append(o)

        # Members: a few in every community, most of them party members of an organisation.
        demo_community = next((c for c in communities if c.code == DEMO_COMMUNITY), communities[0])
        member_user, rider_user = _accounts(demo_community)
        members: list[MemberCheckin] = []
        phone = 0
        for community in communities:
            for _ in range(rng.randint(*MEMBERS_PER_COMMUNITY)):
                phone += 1
                kind = MemberKind.PARTY_MEMBER
                if rng.random() < NEW_EMPLOYMENT_SHARE:
                    kind = rng.choice(
                        [MemberKind.COURIER, MemberKind.DELIVERY_RIDER, MemberKind.RIDE_HAILING_DRIVER]
                    )
                nearby = orgs_by_community.get(community.pk) or orgs
                members.append(
                    MemberCheckin(
                        community=community,
                        street=community.parent,
                        kind=kind,
                        name=_name(rng),
                        phone=f"100{phone:08d}",
                        phone_tail=MemberCheckin.tail_of(f"100{phone:08d}"),
                        organisation=rng.choice(nearby) if kind == MemberKind.PARTY_MEMBER else None,
                        employer=rng.choice(EMPLOYERS[kind]) if kind != MemberKind.PARTY_MEMBER else "",
                        skills="、".join(rng.sample(SKILLS, rng.randint(1, 2))),
                        resources=rng.choice(RESOURCES) if rng.random() < 0.3 else "",
                        checked_in_on=today - dt.timedelta(days=rng.randint(30, 700)),
                    )
                )
        for user, kind, name in (
            (member_user, MemberKind.PARTY_MEMBER, "刘建华"),
            (rider_user, MemberKind.DELIVERY_RIDER, "马晓东"),
        ):
            phone += 1
            members.append(
                MemberCheckin(
                    community=demo_community,
                    street=demo_community.parent,
                    kind=kind,
                    name=name,
                    phone=f"100{phone:08d}",
                    phone_tail=MemberCheckin.tail_of(f"100{phone:08d}"),
                    organisation=(orgs_by_community.get(demo_community.pk) or orgs)[0]
                    if kind == MemberKind.PARTY_MEMBER
                    else None,
                    employer="" if kind == MemberKind.PARTY_MEMBER else EMPLOYERS[kind][0],
                    user=user,
                    skills="理发、助老陪护" if kind == MemberKind.PARTY_MEMBER else "熟悉街巷",
                    checked_in_on=today - dt.timedelta(days=200),
                )
            )
        members = MemberCheckin.objects.bulk_create(members, batch_size=1000)
        result.members = len(members)
        result.new_employment = sum(1 for m in members if m.is_new_employment)

        # A month of services: most members serve once to four times; nine in ten are confirmed.
        records = []
        for m in members:
            for _ in range(rng.choice((0, 1, 1, 2, 2, 3, 4))):
                day = today - dt.timedelta(days=rng.randint(0, 29))
                confirmed = rng.random() < 0.9 or day < today - dt.timedelta(days=7)
                records.append(
                    ServiceRecord(
                        member=m,
                        organisation_id=m.organisation_id,
                        community=by_pk[m.community_id],
                        street_id=by_pk[m.community_id].parent_id,
                        what=rng.choice(SERVICES),
                        hours=Decimal(rng.choice(("0.5", "1", "1.5", "2", "2", "3", "4"))),
                        served_on=day,
                        state=RecordState.CONFIRMED if confirmed else RecordState.RECORDED,
                        confirm_method=("code" if rng.random() < 0.4 else "staff") if confirmed else "",
                        confirmed_at=timezone.now() if confirmed else None,
                    )
                )
        ServiceRecord.objects.bulk_create(records, batch_size=2000)
        rollup.rebuild()
        result.records = len(records)

        # Needs on the boards: two or three per community of the first streets, some taken.
        needs = []
        for c in communities[:120]:
            for _ in range(rng.randint(1, 3)):
                kind = rng.choice([NeedKind.SERVICE_TASK, NeedKind.SMALL_WISH, NeedKind.SMALL_WISH])
                title = rng.choice(WISHES if kind == NeedKind.SMALL_WISH else TASKS)
                needs.append(
                    Need(
                        community=c,
                        street=c.parent,
                        kind=kind,
                        title=title,
                        places=1 if kind == NeedKind.SMALL_WISH else rng.randint(2, 5),
                        due_on=today + dt.timedelta(days=rng.randint(3, 20)),
                        confirmation_code=f"{rng.randrange(1_000_000):06d}",
                        published_at=timezone.now() - dt.timedelta(days=rng.randint(0, 20)),
                    )
                )
        needs = Need.objects.bulk_create(needs, batch_size=1000)
        members_by_community: dict[int, list[MemberCheckin]] = {}
        for m in members:
            members_by_community.setdefault(m.community_id, []).append(m)
        takings = []
        for need in needs:
            if rng.random() < 0.5:
                continue
            pool = [m for m in members_by_community.get(need.community_id, []) if not m.user_id]
            taken = rng.sample(pool, min(len(pool), rng.randint(1, need.places)))
            takings += [NeedTaking(need=need, member=m) for m in taken]
            if len(taken) >= need.places:
                need.state = NeedState.TAKEN
        NeedTaking.objects.bulk_create(takings, batch_size=1000)
        Need.objects.bulk_update([n for n in needs if n.state == NeedState.TAKEN], ["state"])
        result.needs = len(needs)

        # Service posts: one per community of the first streets, with a weekly schedule.
        posts = [
            ServicePost(
                community=c,
                street=c.parent,
                name=f"{c.name}党群服务站",
                address=f"{c.name}居委会一层",
                services="、".join(rng.sample(SKILLS, 3)),
            )
            for c in communities[:80]
        ]
        posts = ServicePost.objects.bulk_create(posts)
        shifts = []
        for post in posts:
            pool = members_by_community.get(post.community_id, [])
            for weekday in range(7):
                if not pool or rng.random() < 0.3:
                    continue
                start = rng.choice((8, 9, 14, 15))
                shifts.append(
                    PostShift(
                        post=post,
                        member=rng.choice(pool),
                        weekday=weekday,
                        starts_at=dt.time(start, 0),
                        ends_at=dt.time(start + 2, 30),
                    )
                )
        PostShift.objects.bulk_create(shifts, ignore_conflicts=True)
        result.posts = len(posts)

    # A few reports of the grid helpers, through intake (each its own transaction); once only.
    if not reports_of(rider_user).exists():
        street = demo_community.parent
        for subject, body in HELPER_REPORTS:
            do_report_as_grid_helper(
                actor=rider_user, subject=subject, body=body, address=f"{street.name}{demo_community.name}"
            )
            result.reports += 1
    return result


def _org(
    rng: random.Random, community: Division, name: str, unit: Unit | None, today: dt.date
) -> OrganisationCheckin:
    return OrganisationCheckin(
        community=community,
        street=community.parent,
        unit=unit,
        name=name,
        skills="、".join(rng.sample(SKILLS, 2)),
        resources="、".join(rng.sample(RESOURCES, rng.randint(0, 2))),
        checked_in_on=today - dt.timedelta(days=rng.randint(60, 900)),
    )
