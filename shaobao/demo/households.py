"""Grids and households in the demo district: a full-time grid worker on every grid (the demo login `gridworker`
on the first grid of 平粮社区), a part-time one on every third grid, a few micro-grids; households in groups of
five (五户联防) with a lead household — ten per grid in the demo street, five elsewhere — and one past emergency
broadcast to the demo street, sent down to households, with its confirmations (most moved, some only warned, a
few missing, a few never confirmed).

The people are synthetic: names from common surnames and given names, phones in the unused range 100xxxxxxxx
(no real mobile number starts with 100). One more demo login: `grouplead`, the lead of the first group of
`gridworker`'s grid, with the demo password.

`load_households_demo(district, seed=0)` replaces the district's grid and household data (a reload gives the
same figures), in bulk: a few seconds.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from shaobao.demo.checkin import GIVEN, SURNAMES
from shaobao.demo.users import DEMO_COMMUNITY, DEMO_PASSWORD, DEMO_STREET
from shaobao.households.models import (
    BroadcastReach,
    GridWorker,
    Household,
    HouseholdGroup,
    HouseholdTap,
    MicroGrid,
)
from shaobao.org.models import Division, Grid, Membership, Role, User
from shaobao.platform.actions import recipient_ids
from shaobao.platform.models import Broadcast, BroadcastReceipt

DEMO_TITLE = "暴雨红色预警：低洼地带住户立即转移"
DEMO_BODY = (
    "预计今夜有特大暴雨，请各网格员、联户长立即逐户通知低洼地带和地质灾害隐患点住户转移至安置点，并逐户确认。"
)
GROUP_SIZE = 5
LANES = ["东街", "西街", "南里", "北里", "前街", "后街", "河沿", "新村"]


@dataclass
class HouseholdsDemo:
    workers: int = 0
    households: int = 0
    groups: int = 0
    taps: int = 0

    def summary(self) -> str:
        return (
            f"网格员 {self.workers} 名、住户 {self.households} 户、联防小组 {self.groups} 个、应急确认 {self.taps} 条 / "
            f"{self.workers} grid workers, {self.households} households, {self.groups} groups, {self.taps} taps"
        )


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _clear(district: Division) -> None:
    grids = Grid.objects.filter(community__code__startswith=district.prefix)
    HouseholdTap.objects.filter(household__grid__in=grids).delete()
    HouseholdGroup.objects.filter(grid__in=grids).update(lead=None)
    Household.objects.filter(grid__in=grids).delete()
    HouseholdGroup.objects.filter(grid__in=grids).delete()
    GridWorker.objects.filter(grid__in=grids).delete()
    MicroGrid.objects.filter(grid__in=grids).delete()
    Broadcast.objects.filter(district=district, title=DEMO_TITLE).delete()


def _users(specs: list[tuple[str, str]], password: str) -> dict[str, User]:
    """Users by username (created if missing, in bulk), with the demo password."""
    existing = {u.username: u for u in User.objects.filter(username__in=[s[0] for s in specs])}
    new = [User(username=u, first_name=n, password=password) for u, n in specs if u not in existing]
    User.objects.bulk_create(new, batch_size=1000)
    return {u.username: u for u in User.objects.filter(username__in=[s[0] for s in specs])}


def load_households_demo(district: Division, seed: int = 0) -> HouseholdsDemo:
    rng = random.Random(seed)
    result = HouseholdsDemo()
    password = make_password(DEMO_PASSWORD)
    now = timezone.now()
    with transaction.atomic():
        _clear(district)
        grids = list(
            Grid.objects.filter(community__code__startswith=district.prefix)
            .select_related("community")
            .order_by("code")
        )
        if not grids:
            return result
        street_of = {g.pk: g.community.parent_id for g in grids}
        demo_street = Division.objects.get(code=DEMO_STREET)

        # Grid workers: the demo login on the first grid of the demo community, made-up ones elsewhere.
        specs, posts = [], []
        for i, g in enumerate(grids):
            posts.append((f"gw-{g.code}", g, "full_time"))
            if i % 3 == 0:
                posts.append((f"gwp-{g.code}", g, "part_time"))
        first_demo = next((g for g in grids if g.community.code == DEMO_COMMUNITY), grids[0])
        posts = [p for p in posts if p[1] != first_demo or p[2] != "full_time"]
        specs = [(username, _name(rng)) for username, _g, _k in posts]
        users = _users(specs, password)
        users["gridworker"] = User.objects.get(username="gridworker")
        posts.append(("gridworker", first_demo, "full_time"))
        have = set(
            Membership.objects.filter(role=Role.GRID_WORKER, user__in=users.values()).values_list(
                "user_id", "division_id"
            )
        )
        memberships = []
        for username, g, _k in posts:
            key = (users[username].pk, street_of[g.pk])
            if key not in have:
                have.add(key)
                memberships.append(
                    Membership(user=users[username], role=Role.GRID_WORKER, division_id=street_of[g.pk])
                )
        Membership.objects.bulk_create(memberships, batch_size=1000)
        since = timezone.localdate() - dt.timedelta(days=400)
        GridWorker.objects.bulk_create(
            [
                GridWorker(
                    user=users[u],
                    grid=g,
                    street_id=street_of[g.pk],
                    kind=k,
                    since=since + dt.timedelta(days=rng.randint(0, 300)),
                )
                for u, g, k in posts
            ],
            batch_size=1000,
        )
        result.workers = len(posts)
        MicroGrid.objects.bulk_create(
            [
                MicroGrid(grid=g, code=f"{g.code}-W{n}", name=f"{g.name}微网格{n}")
                for g in grids[:60]
                for n in (1, 2)
            ]
        )

        # Households in groups of five, the first of each group its lead.
        phone = 10_000_000_000 + rng.randint(0, 9_000_000)
        households, groups = [], []
        for g in grids:
            n = 10 if street_of[g.pk] == demo_street.pk else GROUP_SIZE
            for k in range(0, n, GROUP_SIZE):
                groups.append(
                    HouseholdGroup(grid=g, street_id=street_of[g.pk], name=f"第{k // GROUP_SIZE + 1}联防小组")
                )
        HouseholdGroup.objects.bulk_create(groups, batch_size=1000)
        by_grid: dict[int, list[HouseholdGroup]] = {}
        for group in groups:
            by_grid.setdefault(group.grid_id, []).append(group)
        for g in grids:
            lane = rng.choice(LANES)
            for idx, group in enumerate(by_grid.get(g.pk, [])):
                for m in range(GROUP_SIZE):
                    phone += 1
                    number = idx * GROUP_SIZE + m + 1
                    households.append(
                        Household(
                            grid=g,
                            street_id=street_of[g.pk],
                            group=group,
                            address=f"{g.community.name}{lane}{number}号",
                            head_name=_name(rng),
                            head_phone=str(phone),
                            persons=rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 5, 6)),
                        )
                    )
        Household.objects.bulk_create(households, batch_size=1000)
        leads = []
        first_of: dict[int, Household] = {}
        for h in households:
            first_of.setdefault(h.group_id, h)
        for group in groups:
            group.lead = first_of.get(group.pk)
            leads.append(group)
        lead_user = _users([("grouplead", "联户长" + _name(rng))], password)["grouplead"]
        demo_group = by_grid[first_demo.pk][0]
        demo_group.lead_user = lead_user
        HouseholdGroup.objects.bulk_update(leads, ["lead", "lead_user"], batch_size=1000)
        Membership.objects.get_or_create(
            user=lead_user, role=Role.RESIDENT, division=first_demo.community, unit=None
        )
        result.households, result.groups = len(households), len(groups)

        # A past emergency, sent down to the demo street's households, with its confirmations.
        coordinator = User.objects.filter(username="coordinator").first()
        if coordinator is not None:
            sent_at = now - dt.timedelta(days=12, hours=3)
            broadcast = Broadcast.objects.create(
                district=district,
                title=DEMO_TITLE,
                body=DEMO_BODY,
                level="red",
                sent_by=coordinator,
                sent_at=sent_at,
            )
            broadcast.streets.add(demo_street)
            BroadcastReceipt.objects.bulk_create(
                [
                    BroadcastReceipt(
                        broadcast=broadcast,
                        user_id=uid,
                        acknowledged_at=sent_at + dt.timedelta(minutes=rng.randint(1, 40)),
                    )
                    for uid in recipient_ids(district, [demo_street])
                ],
                batch_size=1000,
            )
            BroadcastReach.objects.create(broadcast=broadcast, created_by=coordinator, created_at=sent_at)
            worker_of = {g.pk: users[u] for u, g, k in posts if k == "full_time"}
            taps = []
            for h in households:
                if h.street_id != demo_street.pk:
                    continue
                roll = rng.random()
                by = worker_of[h.grid_id]
                at = sent_at + dt.timedelta(minutes=rng.randint(5, 90))
                if roll < 0.04:
                    continue  # never confirmed
                if roll < 0.07:
                    taps.append(
                        HouseholdTap(
                            broadcast=broadcast,
                            household=h,
                            state="missing",
                            persons=h.persons,
                            by=by,
                            tapped_at=at,
                            received_at=at,
                        )
                    )
                    continue
                taps.append(
                    HouseholdTap(
                        broadcast=broadcast,
                        household=h,
                        state="warned",
                        persons=h.persons,
                        by=by,
                        tapped_at=at,
                        received_at=at,
                    )
                )
                if roll < 0.85:
                    later = at + dt.timedelta(minutes=rng.randint(10, 120))
                    moved = h.persons if rng.random() < 0.9 else max(h.persons - 1, 0)
                    taps.append(
                        HouseholdTap(
                            broadcast=broadcast,
                            household=h,
                            state="moved",
                            persons=moved,
                            by=by,
                            tapped_at=later,
                            received_at=later,
                        )
                    )
            HouseholdTap.objects.bulk_create(taps, batch_size=1000)
            result.taps = len(taps)
    return result
