"""Load the demo district: Pinggu (110117) with its real divisions, sample grids, units, a published duty
list and the demo logins (one per role, plus a handler per unit and a dispatcher per street).

`load_demo_district()` is the whole load in one transaction; it is idempotent (a second run upserts the
same rows and keeps the duty list already published). Everything is bulk-created so that it takes a couple
of seconds. The simulated month of demands (shaobao/demo/month.py, evaluation's) is loaded separately by
the `load_demo` command after this.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.db import transaction
from django.utils import timezone

from shaobao.demo.admission import load_admission
from shaobao.demo.fixtures.matters import DOMAINS, MATTERS, OVERRIDES, parse_limit
from shaobao.demo.fixtures.units import (
    DISTRICT_UNITS,
    ENFORCEMENT_TEAM,
    STREET_SECTIONS,
    TOWN_SECTIONS,
    committee_code,
    committee_name,
    is_town,
    street_unit_code,
)
from shaobao.demo.forces import load_forces
from shaobao.demo.integration import load_integration
from shaobao.demo.levels import load_levels
from shaobao.demo.open311 import load_open311_attributes
from shaobao.demo.powers import load_powers
from shaobao.demo.users import DEMO_PASSWORD, DEMO_USERS, street_dispatchers, unit_handlers
from shaobao.demo.workteams import load_workteams
from shaobao.org.divisions import import_district
from shaobao.org.geo import invalidate_index
from shaobao.org.models import Division, GazetteerEntry, Grid, Membership, Unit, User
from shaobao.org.places import clear_cache as clear_place_cache

DEMO_DISTRICT_CODE = "110117"

# Sample grid layout: street blocks on a 6 x 3 board centred on Pinggu's town centre, in micro-degrees so
# that neighbouring cells share exactly the same edge (touching, never overlapping).
CENTRE_LNG, CENTRE_LAT = 117_120_000, 40_140_000
BLOCK_W, BLOCK_H = 60_000, 80_000
BOARD_COLS, BOARD_ROWS = 6, 3
GRIDS_PER_COMMUNITY = 4
GRIDS_PER_VILLAGE = 3


@dataclass
class DemoLoad:
    divisions: int = 0
    places: int = 0
    units: int = 0
    grids: int = 0
    matters: int = 0
    users: int = 0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (
            f"演示区已加载 / demo district loaded: {self.divisions} divisions, {self.units} units, "
            f"{self.grids} grids, {self.places} gazetteer places, {self.matters} matters, {self.users} users"
        )
        return "\n".join([text, *self.notes])


def load_demo_district() -> DemoLoad:
    """Load (or refresh) Pinggu with everything the demo needs, in one transaction."""
    result = DemoLoad()
    with transaction.atomic():
        imported = import_district(DEMO_DISTRICT_CODE)
        district = imported.district
        result.divisions = sum(imported.by_level.values())
        streets = list(Division.objects.filter(parent=district, level="street").order_by("code"))
        communities = list(Division.objects.filter(parent__in=streets, level="community").order_by("code"))
        units = _load_units(district, streets, communities)
        result.units = len(units)
        result.grids = _load_grids(streets, communities)
        result.places = _load_gazetteer(streets, communities)
        result.matters, note = _load_duty_list(district, units)
        if note:
            result.notes.append(note)
        result.users = _load_users(units, streets)
        result.notes.append(load_admission(district, communities))
        result.notes.append(load_forces(district).summary())
        result.notes.append(load_workteams(district).summary())
        result.notes.append(load_powers(district))
        result.notes.append(load_open311_attributes())
        result.notes.append(load_integration(district))
        result.notes.append(load_levels(district))
        transaction.on_commit(invalidate_index)
        transaction.on_commit(clear_place_cache)
    return result


def _load_gazetteer(streets: list[Division], communities: list[Division]) -> int:
    """The demo district's roads, landmarks, estates and hamlets (fixtures/gazetteer.csv), upserted by
    (name, street); entries an administrator added in the admin are kept."""
    import csv
    from pathlib import Path

    street_by_name = {s.name: s for s in streets}
    community_by_name = {(c.parent_id, c.name): c for c in communities}
    existing = {(e.name, e.street_id): e for e in GazetteerEntry.objects.filter(street__in=streets)}
    to_create, to_update = [], []
    path = Path(__file__).parent / "fixtures" / "gazetteer.csv"
    with path.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            street = street_by_name[row["street"]]
            community = community_by_name.get((street.pk, row["community"])) if row["community"] else None
            values = {"aliases": row["aliases"], "kind": row["kind"], "community": community}
            entry = existing.get((row["name"], street.pk))
            if entry is None:
                to_create.append(GazetteerEntry(name=row["name"], street=street, **values))
            elif any(getattr(entry, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(entry, k, v)
                to_update.append(entry)
    GazetteerEntry.objects.bulk_create(to_create)
    GazetteerEntry.objects.bulk_update(to_update, ["aliases", "kind", "community"])
    return len(to_create) + len(existing)


def _upsert_units(specs: list[tuple[str, str, str, int, str | None]]) -> dict[str, Unit]:
    """specs: (code, name, kind, division id, parent code); create or update by code, parents after."""
    existing = {u.code: u for u in Unit.objects.filter(code__in=[s[0] for s in specs])}
    to_create, to_update = [], []
    for code, name, kind, division_id, _parent in specs:
        unit = existing.get(code)
        if unit is None:
            to_create.append(Unit(code=code, name=name, kind=kind, division_id=division_id))
        elif (unit.name, unit.kind, unit.division_id) != (name, kind, division_id):
            unit.name, unit.kind, unit.division_id = name, kind, division_id
            to_update.append(unit)
    Unit.objects.bulk_create(to_create, batch_size=500)
    Unit.objects.bulk_update(to_update, ["name", "kind", "division"], batch_size=500)
    by_code = {u.code: u for u in Unit.objects.filter(code__in=[s[0] for s in specs])}
    reparent = []
    for code, *_rest, parent_code in specs:
        parent_id = by_code[parent_code].pk if parent_code else None
        if by_code[code].parent_id != parent_id:
            by_code[code].parent_id = parent_id
            reparent.append(by_code[code])
    Unit.objects.bulk_update(reparent, ["parent"], batch_size=500)
    return by_code


def _load_units(district: Division, streets: list[Division], communities: list[Division]) -> dict[str, Unit]:
    street_by_prefix = {s.code[:9]: s for s in streets}
    specs: list[tuple[str, str, str, int, str | None]] = []
    for code, name, kind, parent, street_prefix in DISTRICT_UNITS:
        division = street_by_prefix.get(street_prefix, district) if street_prefix else district
        specs.append((code, name, kind, division.pk, parent))
    for street in streets:
        sections = STREET_SECTIONS + (TOWN_SECTIONS if is_town(street.name) else [])
        for suffix, name in sections:
            specs.append(
                (street_unit_code(street.code, suffix), street.name + name, "street_section", street.pk, None)
            )
        suffix, name = ENFORCEMENT_TEAM
        specs.append(
            (street_unit_code(street.code, suffix), street.name + name, "enforcement_team", street.pk, None)
        )
    for community in communities:
        specs.append(
            (
                committee_code(community.code),
                committee_name(community.name),
                "community_committee",
                community.pk,
                None,
            )
        )
    return _upsert_units(specs)


def _board_positions() -> list[tuple[int, int]]:
    """Board cells, nearest the centre first: the urban streets (lowest codes) sit in the middle."""
    cells = [(c, r) for r in range(BOARD_ROWS) for c in range(BOARD_COLS)]
    mid_c, mid_r = (BOARD_COLS - 1) / 2, (BOARD_ROWS - 1) / 2
    return sorted(cells, key=lambda cr: ((cr[0] - mid_c) ** 2 + (cr[1] - mid_r) ** 2, cr[1], cr[0]))


def _rect(x0: int, y0: int, x1: int, y1: int) -> dict:
    a, b, c, d = x0 / 1e6, y0 / 1e6, x1 / 1e6, y1 / 1e6
    return {"type": "Polygon", "coordinates": [[[a, b], [c, b], [c, d], [a, d], [a, b]]]}


def sample_grid_layout(
    streets: list[Division], communities: list[Division]
) -> list[tuple[str, str, Division, dict]]:
    """(code, name, community, geometry) for made-up grids tiling a plausible area around Pinggu."""
    origin_x = CENTRE_LNG - BLOCK_W * BOARD_COLS // 2
    origin_y = CENTRE_LAT - BLOCK_H * BOARD_ROWS // 2
    by_street: dict[int, list[Division]] = {}
    for c in communities:
        by_street.setdefault(c.parent_id, []).append(c)
    out = []
    positions = _board_positions()
    for street, (col, row) in zip(streets, positions, strict=False):
        bx, by = origin_x + col * BLOCK_W, origin_y + row * BLOCK_H
        members = by_street.get(street.pk, [])
        if not members:
            continue
        cols = math.ceil(math.sqrt(len(members)))
        rows = math.ceil(len(members) / cols)
        for i, community in enumerate(members):
            cx, cy = i % cols, i // cols
            x0, x1 = bx + BLOCK_W * cx // cols, bx + BLOCK_W * (cx + 1) // cols
            y1, y0 = by + BLOCK_H - BLOCK_H * cy // rows, by + BLOCK_H - BLOCK_H * (cy + 1) // rows
            k = GRIDS_PER_COMMUNITY if community.name.endswith("社区") else GRIDS_PER_VILLAGE
            for j in range(k):
                gx0, gx1 = x0 + (x1 - x0) * j // k, x0 + (x1 - x0) * (j + 1) // k
                out.append(
                    (
                        f"{community.code}-{j + 1:02d}",
                        f"{community.name}第{j + 1}网格",
                        community,
                        _rect(gx0, y0, gx1, y1),
                    )
                )
    return out


def _load_grids(streets: list[Division], communities: list[Division]) -> int:
    layout = sample_grid_layout(streets, communities)
    existing = {g.code: g for g in Grid.objects.filter(code__in=[row[0] for row in layout])}
    now = timezone.now()
    to_create, to_update = [], []
    for code, name, community, geometry in layout:
        grid = existing.get(code)
        if grid is not None and (grid.name, grid.community_id, grid.geometry, grid.is_sample) == (
            name,
            community.pk,
            geometry,
            True,
        ):
            continue  # unchanged: a second load writes nothing
        grid = grid or Grid(code=code)
        ring = geometry["coordinates"][0]
        grid.name, grid.community, grid.geometry, grid.is_sample = name, community, geometry, True
        grid.min_lng, grid.min_lat, grid.max_lng, grid.max_lat = (
            ring[0][0],
            ring[0][1],
            ring[2][0],
            ring[2][1],
        )
        grid.updated_at = now
        (to_update if grid.pk else to_create).append(grid)
    Grid.objects.bulk_create(to_create, batch_size=1000)
    fields = [
        "name",
        "community",
        "geometry",
        "is_sample",
        "min_lng",
        "min_lat",
        "max_lng",
        "max_lat",
        "updated_at",
    ]
    Grid.objects.bulk_update(to_update, fields, batch_size=1000)
    return len(layout)


def _load_duty_list(district: Division, units: dict[str, Unit]) -> tuple[int, str]:
    """Create and publish the demo list, unless the district already has one in force."""
    from shaobao.duties.actions import do_create_draft, do_publish
    from shaobao.duties.models import Domain, DutyList, Matter, MatterOverride

    current = DutyList.objects.in_force(district)
    if current is not None:
        return (
            current.matters.count(),
            f"已有生效的权责清单 v{current.version}，未改动 / duty list v{current.version} already in force: kept",
        )
    for code, name in DOMAINS:
        Domain.objects.update_or_create(code=code, defaults={"name": name})
    domains = {d.code: d for d in Domain.objects.filter(code__in=[c for c, _ in DOMAINS])}
    draft = do_create_draft(actor=None, district=district, name="平谷区街乡吹哨事项清单", copy=False)
    matters = []
    for spec in MATTERS:
        amount, unit = spec.time_limit
        matters.append(
            Matter(
                duty_list=draft,
                code=spec.code,
                name=spec.name,
                domain=domains[spec.domain],
                description=spec.description,
                keywords=spec.keyword_list,
                lead_unit=units[spec.lead],
                time_limit=amount,
                time_limit_unit=unit,
                default_urgency=spec.urgency,
                street_may_handle=spec.street_may_handle,
            )
        )
    Matter.objects.bulk_create(matters)
    by_code = {m.code: m for m in Matter.objects.filter(duty_list=draft)}
    Through = Matter.supporting_units.through
    Through.objects.bulk_create(
        [
            Through(matter_id=by_code[spec.code].pk, unit_id=units[u].pk)
            for spec in MATTERS
            for u in spec.supporting_codes
        ]
    )
    for o in OVERRIDES:
        street_prefix = o["street"][:9]

        def resolve(code: str, street_prefix=street_prefix) -> Unit:
            return units[street_unit_code(street_prefix, code[1:])] if code.startswith("@") else units[code]

        amount, unit = parse_limit(o["limit"]) if o["limit"] else (None, "")
        override = MatterOverride.objects.create(
            matter=by_code[o["matter"]],
            street=Division.objects.get(code=o["street"]),
            lead_unit=resolve(o["lead"]) if o["lead"] else None,
            replace_supporting_units=o["replace"],
            time_limit=amount,
            time_limit_unit=unit,
            street_may_handle=o["street_may_handle"],
        )
        override.supporting_units.set([resolve(c) for c in o["supporting"]])
    do_publish(actor=None, duty_list_id=draft.pk, note="演示数据 / demo data")
    return len(matters), ""


def _load_users(units: dict[str, Unit], streets: list[Division]) -> int:
    """The role accounts, a handler per unit and a dispatcher per street, upserted in bulk.

    The password is hashed once for all of them (hashing is deliberately slow: 500 hashes would take
    minutes); a second load resets names and passwords, writing only the users that changed, and adds only
    the missing memberships.
    """
    unit_divisions = dict(
        Division.objects.filter(pk__in={u.division_id for u in units.values()}).values_list("pk", "code")
    )
    specs = [
        *DEMO_USERS,
        *unit_handlers((u.code, u.name, unit_divisions[u.division_id]) for u in units.values()),
        *street_dispatchers((s.code, s.name) for s in streets),
    ]
    divisions = dict(
        Division.objects.filter(code__in={s.division_code for s in specs}).values_list("code", "pk")
    )
    existing = {u.username: u for u in User.objects.filter(username__in=[s.username for s in specs])}
    password = _demo_password_hash(existing.values())
    fields = ["first_name", "password", "is_active", "is_staff", "is_superuser"]
    to_create, to_update = [], []
    for spec in specs:
        is_admin = spec.role == "administrator"
        user = existing.get(spec.username) or User(username=spec.username)
        before = [getattr(user, f) for f in fields]
        user.first_name, user.password, user.is_active = spec.display_name, password, True
        user.is_staff = user.is_superuser = is_admin
        if not user.pk:
            to_create.append(user)
        elif [getattr(user, f) for f in fields] != before:
            to_update.append(user)
    User.objects.bulk_create(to_create, batch_size=500)
    User.objects.bulk_update(to_update, fields, batch_size=500)
    user_ids = dict(
        User.objects.filter(username__in=[s.username for s in specs]).values_list("username", "pk")
    )
    have = set(
        Membership.objects.filter(user_id__in=user_ids.values()).values_list(
            "user_id", "role", "division_id", "unit_id"
        )
    )
    memberships = []
    for s in specs:  # in spec order: the role accounts' memberships come first, as before
        key = (
            user_ids[s.username],
            s.role,
            divisions[s.division_code],
            units[s.unit_code].pk if s.unit_code else None,
        )
        if key not in have:
            have.add(key)
            memberships.append(Membership(user_id=key[0], role=key[1], division_id=key[2], unit_id=key[3]))
    Membership.objects.bulk_create(memberships, batch_size=500)
    return len(specs)


def _demo_password_hash(users) -> str:
    """The hash of the demo password: the one the demo users already share if it still checks (so that a
    reload rewrites no user), else a new one. Either way one slow hash, not one per user."""
    stored = Counter(u.password for u in users if u.password)
    if stored:
        current = stored.most_common(1)[0][0]
        if check_password(DEMO_PASSWORD, current) and not identify_hasher(current).must_update(current):
            return current
    return make_password(DEMO_PASSWORD)
