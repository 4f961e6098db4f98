"""Reading the duty list in force: the rule for a matter in a street, overrides applied."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db.models import Q

from shaobao.duties.models import DutyList, Matter, MatterOverride
from shaobao.org.models import Division, Unit


@dataclass(frozen=True)
class MatterRule:
    matter: Matter
    lead_unit: Unit
    supporting_units: tuple[Unit, ...]
    time_limit: int
    time_limit_unit: str
    street_may_handle: bool


def duty_list_in_force(district: Division) -> DutyList | None:
    return DutyList.objects.in_force(district)


def matter_in_force(code: str, district: Division) -> Matter | None:
    duty_list = duty_list_in_force(district)
    if duty_list is None:
        return None
    return duty_list.matters.filter(code=code).select_related("lead_unit", "domain").first()


def rule_for(matter: Matter, street: Division | None) -> MatterRule:
    """The matter's units and limits for a street, with that street's override applied."""
    lead = matter.lead_unit
    supporting = list(matter.supporting_units.all())
    limit, unit, may_handle = matter.time_limit, matter.time_limit_unit, matter.street_may_handle
    override = (
        MatterOverride.objects.filter(matter=matter, street=street).select_related("lead_unit").first()
        if street is not None
        else None
    )
    if override is not None:
        lead = override.lead_unit or lead
        extra = list(override.supporting_units.all())
        supporting = extra if override.replace_supporting_units else supporting + extra
        if override.time_limit:
            limit, unit = override.time_limit, override.time_limit_unit or unit
        if override.street_may_handle is not None:
            may_handle = override.street_may_handle
    seen: set[int] = {lead.pk}
    unique_supporting = []
    for u in supporting:
        if u.pk not in seen:
            seen.add(u.pk)
            unique_supporting.append(u)
    return MatterRule(matter, lead, tuple(unique_supporting), limit, unit, may_handle)


def matter_search_q(term: str) -> Q:
    """Matters whose code, name or a keyword contains `term`.

    JSON text on SQLite keeps non-ASCII as \\uXXXX escapes, so the keywords are searched in both spellings.
    """
    term = term.strip()
    escaped = json.dumps(term)[1:-1]
    q = Q(code__icontains=term) | Q(name__icontains=term) | Q(keywords__icontains=term)
    if escaped != term:
        q |= Q(keywords__icontains=escaped)
    return q


@dataclass(frozen=True)
class VersionDiff:
    """What a version changes against another, by matter code (and by street + code for overrides)."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]
    overrides_added: tuple[str, ...]
    overrides_removed: tuple[str, ...]
    overrides_changed: tuple[str, ...]

    @property
    def is_empty(self) -> bool:
        return not any(
            (
                self.added,
                self.removed,
                self.changed,
                self.overrides_added,
                self.overrides_removed,
                self.overrides_changed,
            )
        )

    def as_dict(self) -> dict[str, list[str]]:
        return {k: list(getattr(self, k)) for k in self.__dataclass_fields__}


def _keyed_rows(duty_list: DutyList | None) -> tuple[dict, dict]:
    if duty_list is None:
        return {}, {}
    from shaobao.duties.io import _matter_rows, _override_rows

    matters = {row[0]: row for row in _matter_rows(duty_list)}
    overrides = {f"{row[0]}:{row[1]}": row for row in _override_rows(duty_list)}
    return matters, overrides


def version_diff(old: DutyList | None, new: DutyList) -> VersionDiff:
    """Compare two versions field by field (every column of the file format), e.g. a draft with the list in force."""
    old_m, old_o = _keyed_rows(old)
    new_m, new_o = _keyed_rows(new)

    def split(a: dict, b: dict) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        added = tuple(sorted(set(b) - set(a)))
        removed = tuple(sorted(set(a) - set(b)))
        changed = tuple(sorted(k for k in set(a) & set(b) if a[k] != b[k]))
        return added, removed, changed

    return VersionDiff(*split(old_m, new_m), *split(old_o, new_o))
