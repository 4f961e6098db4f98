"""Writes of grids and households. Every write in one transaction, with its audit event.

- `do_attach_worker` / `do_detach_worker`: a street's dispatcher or leader (or the district) attaches a user who
  holds the grid_worker role in that street to a grid, full-time or part-time;
- `do_add_micro_grid`: a part of a grid;
- `do_register_household`: the street's staff or the grid's workers record a household (address, head of
  household's contact, persons);
- `do_form_group`: a joint-defence group (五户联防) of 2–10 households of one grid, one of them the lead;
- `do_reach_down`: carry an emergency broadcast on down to the grid workers and groups of its streets;
- `do_tap`: one household confirmed warned / moved / missing for a broadcast, with the head count. Idempotent
  per (broadcast, household, state): a tap replayed from a phone's offline queue changes nothing; a later tap
  (by the phone's clock) with another head count corrects it.
"""

from __future__ import annotations

import datetime as dt
import re

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from shaobao.core import audit
from shaobao.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shaobao.core.notifications import notify_on_commit
from shaobao.households import access, selectors
from shaobao.households.models import (
    MAX_PERSONS,
    BroadcastReach,
    GridWorker,
    Household,
    HouseholdGroup,
    HouseholdTap,
    MicroGrid,
    TapState,
    WorkerKind,
)
from shaobao.org.models import Grid, Membership, Role
from shaobao.platform.actions import LEVEL_ZH, may_broadcast
from shaobao.platform.models import Broadcast

GROUP_MIN = 2
GROUP_MAX = 10
PHONE_RE = re.compile(r"^\+?[0-9][0-9\-\s]{4,18}[0-9]$")


def _grid(actor, code: str, field: str = "grid") -> Grid:
    try:
        return access.access_grid(actor, code)
    except NotFound:
        raise ValidationFailed("网格不存在 / Unknown grid", fields={field: "unknown"}) from None


def _text(errors: dict, field: str, value: str, max_len: int, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        errors[field] = "required"
    elif len(value) > max_len:
        errors[field] = "too_long"
    return value


# --- grid workers and micro-grids -----------------------------------------------------------------


def do_attach_worker(
    *,
    actor,
    username: str,
    grid_code: str,
    kind: str = WorkerKind.FULL_TIME,
    micro_grid_code: str = "",
    since: dt.date | None = None,
) -> GridWorker:
    """Attach a grid worker (a user with the grid_worker role in the grid's street) to a grid."""
    access.require_grids_viewer(actor)
    errors: dict[str, str] = {}
    grid = _grid(actor, grid_code)
    street = access.street_of(grid)
    if not access.manages_street(actor, street):
        raise Forbidden(
            "只有本街乡调度员、街乡领导或区级可以安排网格员 / Only the street's staff attach grid workers"
        )
    if kind not in WorkerKind.values:
        errors["kind"] = "unknown"
    user = get_user_model().objects.filter(username=(username or "").strip(), is_active=True).first()
    if user is None:
        errors["username"] = "unknown"
    elif not Membership.objects.filter(user=user, role=Role.GRID_WORKER, division=street).exists():
        errors["username"] = "not_a_grid_worker_of_this_street"
    micro = None
    if micro_grid_code:
        micro = MicroGrid.objects.filter(grid=grid, code=micro_grid_code.strip()).first()
        if micro is None:
            errors["micro_grid"] = "unknown"
    if errors:
        raise ValidationFailed("网格员无效 / Invalid grid worker", fields=errors)
    with transaction.atomic():
        worker = GridWorker.objects.select_for_update().filter(user=user, grid=grid).first()
        if worker is not None and worker.is_active:
            raise ValidationFailed(
                "该网格员已在此网格 / Already a worker of this grid", fields={"username": "already_attached"}
            )
        if worker is None:
            worker = GridWorker(user=user, grid=grid, street=street)
        worker.kind, worker.micro_grid, worker.is_active = kind, micro, True
        worker.since = since or timezone.localdate()
        worker.save()
        audit.record(worker, "attach_grid_worker", actor=actor, data={"grid": grid.code, "kind": kind})
    return worker


def do_detach_worker(*, actor, worker_id: int) -> GridWorker:
    with transaction.atomic():
        worker = (
            GridWorker.objects.select_for_update()
            .select_related("street")
            .filter(access.street_q(access.reach(actor)), pk=worker_id)
            .first()
        )
        if worker is None:
            raise NotFound("没有这位网格员 / No such grid worker")
        if not access.manages_street(actor, worker.street):
            raise Forbidden("只有本街乡可以调整网格员 / Only the street's staff detach grid workers")
        if not worker.is_active:
            raise Conflict("已经离开此网格 / Already detached")
        worker.is_active = False
        worker.save(update_fields=["is_active"])
        audit.record(worker, "detach_grid_worker", actor=actor)
    return worker


def do_add_micro_grid(*, actor, grid_code: str, code: str, name: str) -> MicroGrid:
    grid = _grid(actor, grid_code)
    if not access.manages_street(actor, access.street_of(grid)):
        raise Forbidden("只有本街乡可以划分微网格 / Only the street's staff divide a grid")
    errors: dict[str, str] = {}
    code = _text(errors, "code", code, 48)
    name = _text(errors, "name", name, 100)
    if not errors and MicroGrid.objects.filter(code=code).exists():
        errors["code"] = "taken"
    if errors:
        raise ValidationFailed("微网格无效 / Invalid micro-grid", fields=errors)
    with transaction.atomic():
        micro = MicroGrid.objects.create(grid=grid, code=code, name=name)
        audit.record(micro, "add_micro_grid", actor=actor, data={"grid": grid.code})
    return micro


# --- households and groups ------------------------------------------------------------------------


def do_register_household(
    *,
    actor,
    grid_code: str,
    address: str,
    head_name: str,
    head_phone: str,
    persons: int | str = 1,
    micro_grid_code: str = "",
    group_id: int | str | None = None,
) -> Household:
    access.require_household_viewer(actor)
    errors: dict[str, str] = {}
    grid = _grid(actor, grid_code)
    if not access.manages_households_of(actor, grid):
        raise Forbidden(
            "只有本街乡及本网格网格员可以登记住户 / Only the street and the grid's workers register households"
        )
    address = _text(errors, "address", address, 200)
    head_name = _text(errors, "head_name", head_name, 60)
    head_phone = _text(errors, "head_phone", head_phone, 20)
    if "head_phone" not in errors and not PHONE_RE.match(head_phone):
        errors["head_phone"] = "invalid"
    try:
        persons = int(persons)
        if not 1 <= persons <= MAX_PERSONS:
            errors["persons"] = "out_of_range"
    except (TypeError, ValueError):
        errors["persons"] = "invalid"
    micro = None
    if micro_grid_code:
        micro = MicroGrid.objects.filter(grid=grid, code=micro_grid_code.strip()).first()
        if micro is None:
            errors["micro_grid"] = "unknown"
    group = None
    if group_id not in (None, ""):
        try:
            group = HouseholdGroup.objects.filter(pk=int(group_id), grid=grid).first()
        except (TypeError, ValueError):
            group = None
        if group is None:
            errors["group"] = "unknown"
        elif group.households.filter(is_active=True).count() >= GROUP_MAX:
            errors["group"] = "full"
    if errors:
        raise ValidationFailed("住户信息无效 / Invalid household", fields=errors)
    with transaction.atomic():
        household = Household.objects.create(
            grid=grid,
            micro_grid=micro,
            street=access.street_of(grid),
            group=group,
            address=address,
            head_name=head_name,
            head_phone=head_phone,
            persons=persons,
        )
        audit.record(household, "register_household", actor=actor, data={"grid": grid.code})
    return household


def do_form_group(
    *,
    actor,
    grid_code: str,
    name: str,
    household_ids: list,
    lead_id: int | str | None,
    lead_username: str = "",
) -> HouseholdGroup:
    """A joint-defence group of 2–10 households of one grid, none already in a group; the lead one of them.
    The lead's account (optional) gets the resident role in the grid's community if it has none there."""
    access.require_household_viewer(actor)
    errors: dict[str, str] = {}
    grid = _grid(actor, grid_code)
    if not access.manages_households_of(actor, grid):
        raise Forbidden(
            "只有本街乡及本网格网格员可以编组 / Only the street and the grid's workers form groups"
        )
    name = _text(errors, "name", name, 60)
    try:
        ids = sorted({int(i) for i in household_ids or []})
    except (TypeError, ValueError):
        ids, errors["households"] = [], "invalid"
    with transaction.atomic():
        households = list(
            Household.objects.select_for_update()
            .filter(access.households_q(access.reach(actor)), pk__in=ids, grid=grid, is_active=True)
            .order_by("pk")
        )
        if "households" not in errors:
            if len(households) != len(ids):
                errors["households"] = "unknown_or_other_grid"
            elif not GROUP_MIN <= len(ids) <= GROUP_MAX:
                errors["households"] = "between_2_and_10"
            elif any(h.group_id for h in households):
                errors["households"] = "already_grouped"
        try:
            lead_pk = int(lead_id) if lead_id not in (None, "") else None
        except (TypeError, ValueError):
            lead_pk = None
        if lead_pk is None or lead_pk not in ids:
            errors["lead"] = "not_in_group"
        lead_user = None
        if lead_username:
            lead_user = (
                get_user_model().objects.filter(username=lead_username.strip(), is_active=True).first()
            )
            if lead_user is None:
                errors["lead_username"] = "unknown"
        if errors:
            raise ValidationFailed("联防小组无效 / Invalid joint-defence group", fields=errors)
        group = HouseholdGroup.objects.create(
            grid=grid, street=access.street_of(grid), name=name, lead_id=lead_pk, lead_user=lead_user
        )
        Household.objects.filter(pk__in=ids).update(group=group)
        if lead_user is not None:
            Membership.objects.get_or_create(
                user=lead_user, role=Role.RESIDENT, division=grid.community, unit=None
            )
        audit.record(
            group,
            "form_household_group",
            actor=actor,
            data={"grid": grid.code, "households": ids, "lead": lead_pk},
        )
    return group


# --- emergencies -----------------------------------------------------------------------------------


def tap_url(pk: int) -> str:
    return reverse("households:tap", args=[pk])


def do_reach_down(*, actor, broadcast) -> BroadcastReach:
    """Carry a broadcast on down to the grid workers and joint-defence groups of its streets (again: nothing
    new). The grid workers and the groups' leads get a bell row and an e-mail linking to the tap page."""
    pk = getattr(broadcast, "pk", broadcast)
    b = Broadcast.objects.select_related("district").filter(pk=pk).first()
    if b is None or not may_broadcast(actor, b.district):
        raise NotFound("没有这条应急广播 / No such broadcast")
    with transaction.atomic():
        existing = BroadcastReach.objects.filter(broadcast=b).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                reach_row = BroadcastReach.objects.create(
                    broadcast=b, created_by=actor, created_at=timezone.now()
                )
        except IntegrityError:  # sent down by someone else a moment ago
            return BroadcastReach.objects.get(broadcast=b)
        streets = selectors.covered_street_ids(b)
        workers = GridWorker.objects.filter(street_id__in=streets, is_active=True).values_list(
            "user_id", flat=True
        )
        leads = HouseholdGroup.objects.filter(street_id__in=streets, lead_user__isnull=False).values_list(
            "lead_user_id", flat=True
        )
        recipients = sorted(set(workers) | set(leads))
        audit.record(
            b, "reach_households", actor=actor, data={"streets": len(streets), "recipients": len(recipients)}
        )
        notify_on_commit(
            recipients,
            f"【应急广播·{LEVEL_ZH.get(b.level, '')}】{b.title}：请逐户通知、转移并确认",
            tap_url(b.pk),
        )
    return reach_row


def _tapped_at(value, broadcast: Broadcast, now: dt.datetime) -> dt.datetime:
    """The phone's time of the tap, kept between the broadcast and now (a phone's clock may be wrong)."""
    if value in (None, ""):
        return now
    if isinstance(value, str):
        parsed = parse_datetime(value.strip())
        if parsed is None:
            raise ValidationFailed("时间格式无效 / Invalid time", fields={"tapped_at": "invalid"})
        value = parsed
    if timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    return min(max(value, broadcast.sent_at), now)


def do_tap(
    *,
    actor,
    broadcast_id: int,
    household_id: int | str,
    state: str,
    persons: int | str | None = None,
    tapped_at=None,
) -> tuple[HouseholdTap, bool]:
    """Confirm one household for a broadcast; returns (tap, created). The same tap again (a replay from the
    offline queue) changes nothing; a later tap with another head count corrects the count."""
    access.require_household_viewer(actor)
    b = selectors.reached_broadcast(actor, broadcast_id)  # NotFound unless sent down and visible
    errors: dict[str, str] = {}
    if state not in TapState.values:
        errors["state"] = "unknown"
    try:
        household = access.access_household(actor, int(household_id))
    except (TypeError, ValueError):
        raise ValidationFailed("住户无效 / Invalid household", fields={"household": "invalid"}) from None
    if not access.may_tap(actor, household):
        raise Forbidden("您不能确认这户 / You may not confirm this household")
    if household.street_id not in selectors.covered_street_ids(b):
        errors["household"] = "not_covered_by_broadcast"
    if persons in (None, ""):
        count = household.persons
    else:
        try:
            count = int(persons)
            if not 0 <= count <= MAX_PERSONS:
                errors["persons"] = "out_of_range"
        except (TypeError, ValueError):
            errors["persons"] = "invalid"
            count = 0
    now = timezone.now()
    try:
        when = _tapped_at(tapped_at, b, now)
    except ValidationFailed:
        when, errors["tapped_at"] = now, "invalid"
    if errors:
        raise ValidationFailed("确认无效 / Invalid confirmation", fields=errors)
    with transaction.atomic():
        tap = (
            HouseholdTap.objects.select_for_update()
            .filter(broadcast=b, household=household, state=state)
            .first()
        )
        created = False
        if tap is None:
            try:
                with transaction.atomic():
                    tap = HouseholdTap.objects.create(
                        broadcast=b,
                        household=household,
                        state=state,
                        persons=count,
                        by=actor,
                        tapped_at=when,
                        received_at=now,
                    )
                created = True
            except IntegrityError:  # the same tap from another connection a moment ago
                tap = HouseholdTap.objects.select_for_update().get(
                    broadcast=b, household=household, state=state
                )
        if created:
            audit.record(
                household, "tap", actor=actor, to_state=state, data={"broadcast": b.pk, "persons": count}
            )
        elif when > tap.tapped_at and count != tap.persons:
            old = tap.persons
            tap.persons, tap.tapped_at, tap.by, tap.received_at = count, when, actor, now
            tap.save(update_fields=["persons", "tapped_at", "by", "received_at"])
            audit.record(
                household,
                "tap_corrected",
                actor=actor,
                to_state=state,
                data={"broadcast": b.pk, "from": old, "to": count},
            )
    return tap, created
