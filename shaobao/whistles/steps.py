"""Building blocks of the whistle actions: one step along a transition table, role checks, new summonses.

Internal to `whistles.actions` (and the sweep's `whistle_url`); each helper runs inside the caller's
transaction on rows the caller has locked.
"""

from __future__ import annotations

import datetime as dt

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_noop as N_

from shaobao.core import audit
from shaobao.core.errors import Forbidden, ValidationFailed
from shaobao.core.notifications import msg, notify_on_commit
from shaobao.duties.selectors import rule_for
from shaobao.intake import people
from shaobao.org.models import Unit
from shaobao.whistles import deadlines
from shaobao.whistles.models import Summons, SupervisionOrder, Whistle
from shaobao.whistles.states import check_summons_step, check_whistle_step

# WhistleType's labels as message ids: a notification is translated when it is read, not when it is written.
TYPE_NAMES = {
    "routine": N_("routine whistle"),
    "priority": N_("priority whistle"),
    "emergency": N_("emergency whistle"),
}


def whistle_url(whistle_id: int) -> str:
    try:
        return reverse("whistles:detail", args=[whistle_id])
    except NoReverseMatch:
        return f"/whistles/{whistle_id}/"


def _step_whistle(whistle: Whistle, action: str, *, actor, note: str = "", data=None, **changes) -> None:
    from_state = whistle.state
    whistle.state = check_whistle_step(from_state, action)
    for name, value in changes.items():
        setattr(whistle, name, value)
    whistle.save(update_fields=["state", *changes])
    audit.record(
        whistle, action, actor=actor, from_state=from_state, to_state=whistle.state, note=note, data=data
    )


def _step_summons(summons: Summons, action: str, *, actor, note: str = "", data=None, **changes) -> None:
    from_state = summons.state
    summons.state = check_summons_step(from_state, action)
    for name, value in changes.items():
        setattr(summons, name, value)
    summons.save(update_fields=["state", *changes])
    audit.record(
        summons, action, actor=actor, from_state=from_state, to_state=summons.state, note=note, data=data
    )


def _resolve_orders(summons: Summons, stage: str | None, now: dt.datetime) -> None:
    qs = SupervisionOrder.objects.filter(summons=summons, resolved_at__isnull=True)
    if stage:
        qs = qs.filter(stage=stage)
    qs.update(resolved_at=now)


def _require_unit(actor, summons: Summons) -> None:
    if not (actor.is_superuser or people.acts_for_unit(actor, summons.unit_id)):
        raise Forbidden("只有被召集单位的人员可以操作 / Only the summoned unit's staff may do this")


def _require_street(actor, whistle: Whistle) -> None:
    if not (actor.is_superuser or people.acts_for_street(actor, whistle.street)):
        raise Forbidden("只有吹哨街乡的派单员或领导可以操作 / Only the whistling street may do this")


def _require_district(actor, whistle: Whistle) -> None:
    if not people.decides_in_district(actor, whistle.street):
        raise Forbidden("只有区级协调员可以裁定 / Only the district coordinator decides this")


def _new_summons(
    whistle: Whistle, unit: Unit, role: str, now: dt.datetime, *, actor, note: str = "", rule=None
) -> Summons:
    rule = rule or rule_for(whistle.matter, whistle.street)
    d = deadlines.summons_deadlines(
        now, whistle_type=whistle.type, time_limit=rule.time_limit, time_limit_unit=rule.time_limit_unit
    )
    summons = Summons.objects.create(
        whistle=whistle,
        unit=unit,
        role=role,
        summoned_at=now,
        report_in_due=d.report_in_due,
        report_in_warn_at=d.report_in_warn_at,
        finish_due=d.finish_due,
        finish_warn_at=d.finish_warn_at,
    )
    audit.record(
        summons,
        "summon",
        actor=actor,
        to_state=summons.state,
        note=note,
        data={"unit": unit.code, "role": role, "report_in_due": d.report_in_due.isoformat()},
    )
    notify_on_commit(
        people.unit_staff([unit.pk]),
        msg(
            N_("[%(t_type)s] %(street)s blows the whistle: %(matter)s. Report in by %(due)s"),
            t_type=TYPE_NAMES[whistle.type],
            street=whistle.street.name,
            matter=whistle.matter.name,
            due=f"{timezone.localtime(d.report_in_due):%m-%d %H:%M}",
        ),
        whistle_url(whistle.pk),
        email=True,
    )
    return summons


def _units_in_district(codes: list[str], district_prefix: str, field: str) -> list[Unit]:
    units = {
        u.code: u for u in Unit.objects.select_related("division").filter(code__in=codes, is_active=True)
    }
    missing = [c for c in codes if c not in units or not units[c].division.code.startswith(district_prefix)]
    if missing:
        raise ValidationFailed(
            f"单位不存在：{', '.join(missing)} / Unknown unit(s): {', '.join(missing)}",
            fields={field: "not_found"},
        )
    return [units[c] for c in codes]


def check_summonable(units: list[Unit], street, rule=None, field: str = "lead_unit") -> None:
    """Only units serving the street (`Unit.objects.serving`) or named by the duty list's rule for the
    matter may be summoned for it; any other unit of the district is refused (403) — in the action, so
    the web form, the API and arbitration all refuse it."""
    allowed_by_rule = set()
    if rule is not None:
        allowed_by_rule = {rule.lead_unit.pk, *(u.pk for u in rule.supporting_units)}
    candidates = [u.pk for u in units if u.pk not in allowed_by_rule]
    if not candidates:
        return
    ok = set(Unit.objects.serving(street).filter(pk__in=candidates).values_list("pk", flat=True))
    refused = [u.code for u in units if u.pk in set(candidates) - ok]
    if refused:
        raise Forbidden(
            f"{street.name}不能召集这些单位：{', '.join(refused)} / "
            f"{', '.join(refused)} may not be summoned for this street",
            fields={field: "not_summonable"},
        )
