"""Writes to duty lists: drafts, publishing, imports.

A district's list lives as numbered versions. Exactly one is published (in force) at a time; edits go into a
draft, which is published as a whole and then never changes. Records decided under a version (whistles,
routing proposals) keep pointing at that version's Matter rows, so history reads as it was decided.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Max, ProtectedError
from django.utils import timezone

from shaobao.core import audit
from shaobao.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shaobao.duties.models import Domain, DutyList, DutyListStatus, Matter, MatterOverride
from shaobao.duties.selectors import version_diff
from shaobao.org.models import Division, Role
from shaobao.org.scoping import scope_of

if TYPE_CHECKING:
    from shaobao.duties.io import ParsedDutyList

MANAGER_ROLES = (Role.ADMINISTRATOR, Role.DISTRICT_COORDINATOR)


class ImportRejected(ValidationFailed):
    """A duty file with errors: nothing was written. `issues` lists every error by sheet, row and column."""

    code = "duty_file_rejected"

    def __init__(self, issues: list):
        self.issues = list(issues)
        super().__init__(
            f"文件有 {len(self.issues)} 处错误，未导入 / the file has {len(self.issues)} error(s); nothing imported"
        )


def require_list_manager(actor, district: Division) -> None:
    """Only the district's administrators and coordinators (or a superuser) manage its list.

    `actor=None` is the system itself: management commands run by the operator on the server.
    """
    if actor is None:
        return
    scope = scope_of(actor)
    if scope.is_superuser:
        return
    if scope.has_role(*MANAGER_ROLES) and any(district.code.startswith(p) for p in scope.district_prefixes):
        return
    raise Forbidden(
        "只有区级管理员或统筹人员可以管理权责清单 / only district administrators and coordinators manage duty lists"
    )


def _lock_district(district: Division) -> Division:
    # Serialises version numbering and publishing per district.
    return Division.objects.select_for_update().get(pk=district.pk)


def _next_version(district: Division) -> int:
    return (DutyList.objects.filter(district=district).aggregate(m=Max("version"))["m"] or 0) + 1


MATTER_COPY_FIELDS = (
    "code", "name", "domain_id", "description", "keywords", "lead_unit_id", "time_limit", "time_limit_unit",
    "default_urgency", "street_may_handle",
)  # fmt: skip
OVERRIDE_COPY_FIELDS = (
    "street_id", "lead_unit_id", "replace_supporting_units", "time_limit", "time_limit_unit", "street_may_handle",
)  # fmt: skip


def _copy_matters(source: DutyList, target: DutyList) -> int:
    """Copy every matter of `source`, with supporting units and street overrides, into the draft `target`.

    Works on plain values (no model instances, no prefetch): a list of thousands copies in a few queries.
    """
    originals = list(source.matters.order_by("pk").values("pk", *MATTER_COPY_FIELDS))
    copies = Matter.objects.bulk_create(
        [Matter(duty_list=target, **{f: row[f] for f in MATTER_COPY_FIELDS}) for row in originals]
    )
    new_matter = {row["pk"]: copy.pk for row, copy in zip(originals, copies, strict=True)}
    through = Matter.supporting_units.through
    through.objects.bulk_create(
        [
            through(matter_id=new_matter[m], unit_id=u)
            for m, u in through.objects.filter(matter__duty_list=source).values_list("matter_id", "unit_id")
        ]
    )
    old_overrides = list(
        MatterOverride.objects.filter(matter__duty_list=source)
        .order_by("pk")
        .values("pk", "matter_id", *OVERRIDE_COPY_FIELDS)
    )
    new_overrides = MatterOverride.objects.bulk_create(
        [
            MatterOverride(matter_id=new_matter[o["matter_id"]], **{f: o[f] for f in OVERRIDE_COPY_FIELDS})
            for o in old_overrides
        ]
    )
    new_override = {o["pk"]: new.pk for o, new in zip(old_overrides, new_overrides, strict=True)}
    o_through = MatterOverride.supporting_units.through
    o_through.objects.bulk_create(
        [
            o_through(matteroverride_id=new_override[o], unit_id=u)
            for o, u in o_through.objects.filter(matteroverride__matter__duty_list=source).values_list(
                "matteroverride_id", "unit_id"
            )
        ]
    )
    return len(copies)


def _create_draft(*, actor, district: Division, name: str, source: DutyList | None) -> DutyList:
    district = _lock_district(district)
    draft = DutyList.objects.create(
        district=district,
        name=name or (source.name if source else f"{district.name}权责清单"),
        version=_next_version(district),
        status=DutyListStatus.DRAFT,
        based_on=source,
    )
    copied = _copy_matters(source, draft) if source is not None else 0
    audit.record(
        draft,
        "duty_list.draft_created",
        actor=actor,
        to_state=DutyListStatus.DRAFT,
        data={"version": draft.version, "based_on": source.version if source else None, "matters": copied},
    )
    return draft


def do_create_draft(
    *,
    actor,
    district: Division,
    name: str = "",
    copy: bool = True,
    source_id: int | None = None,
) -> DutyList:
    """A new draft version for the district.

    With `source_id`, a copy of that version (any status); otherwise, with `copy`, a copy of the version in
    force (matters, supporting units and street overrides); otherwise empty.
    """
    require_list_manager(actor, district)
    with transaction.atomic():
        source = None
        if source_id is not None:
            source = DutyList.objects.filter(pk=source_id, district=district).first()
            if source is None:
                raise NotFound("清单版本不存在 / no such duty list version")
        elif copy:
            source = DutyList.objects.in_force(district)
        return _create_draft(actor=actor, district=district, name=name, source=source)


def do_publish(*, actor, duty_list_id: int, note: str = "") -> DutyList:
    """Put a draft in force; the version in force until now is retired. Both keep their rows for history."""
    with transaction.atomic():
        found = DutyList.objects.filter(pk=duty_list_id).select_related("district").first()
        if found is None:
            raise NotFound("清单版本不存在 / no such duty list version")
        require_list_manager(actor, found.district)
        _lock_district(found.district)
        duty_list = DutyList.objects.select_for_update().get(pk=duty_list_id)
        if duty_list.status != DutyListStatus.DRAFT:
            raise Conflict(
                f"只能发布草稿，该版本状态为 {duty_list.status} / only a draft can be published; "
                f"this version is {duty_list.status}"
            )
        if not duty_list.matters.exists():
            raise ValidationFailed("清单没有事项，不能发布 / a duty list without matters cannot be published")
        dead = sorted(duty_list.matters.filter(lead_unit__is_active=False).values_list("code", flat=True))
        if dead:
            raise ValidationFailed(
                f"以下事项的主责单位已停用：{'、'.join(dead)} / the lead unit of these matters is inactive: "
                f"{', '.join(dead)}",
                fields={"lead_unit": ", ".join(dead)},
            )
        current = (
            DutyList.objects.select_for_update()
            .filter(district_id=duty_list.district_id, status=DutyListStatus.PUBLISHED)
            .first()
        )
        if current is not None and current.version > duty_list.version:
            raise Conflict(
                f"已有更新的版本 v{current.version} 生效，请基于它新建草稿 / a newer version "
                f"(v{current.version}) is in force; make a new draft from it"
            )
        diff = version_diff(current, duty_list)
        now = timezone.now()
        if current is not None:
            current.status, current.retired_at = DutyListStatus.RETIRED, now
            current.save(update_fields=["status", "retired_at"])
            audit.record(
                current,
                "duty_list.retired",
                actor=actor,
                from_state=DutyListStatus.PUBLISHED,
                to_state=DutyListStatus.RETIRED,
                data={"replaced_by": duty_list.version},
            )
        duty_list.status, duty_list.published_at = DutyListStatus.PUBLISHED, now
        duty_list.save(update_fields=["status", "published_at"])
        audit.record(
            duty_list,
            "duty_list.published",
            actor=actor,
            from_state=DutyListStatus.DRAFT,
            to_state=DutyListStatus.PUBLISHED,
            note=note,
            data={
                "version": duty_list.version,
                "retired": current.version if current else None,
                "matters": duty_list.matters.count(),
                "changes": diff.as_dict(),  # against the version it replaces, for the record
            },
        )
        return duty_list


def do_discard_draft(*, actor, duty_list_id: int) -> None:
    """Throw a draft away (its matters and overrides go with it); published versions stay forever."""
    with transaction.atomic():
        duty_list = DutyList.objects.select_for_update().filter(pk=duty_list_id).first()
        if duty_list is None:
            raise NotFound("清单版本不存在 / no such duty list version")
        require_list_manager(actor, duty_list.district)
        if duty_list.status != DutyListStatus.DRAFT:
            raise Conflict("只能删除草稿 / only a draft can be discarded")
        audit.record(duty_list, "duty_list.discarded", actor=actor, from_state=DutyListStatus.DRAFT)
        try:
            with transaction.atomic():
                duty_list.delete()
        except ProtectedError as e:
            raise Conflict(
                "已有记录引用该草稿的事项，不能删除 / records point at this draft's matters; it cannot be discarded"
            ) from e


def do_import_duty_list(
    *, actor, district: Division, parsed: ParsedDutyList, name: str = "", publish: bool = False
) -> DutyList:
    """A new draft version holding exactly the file's matters and overrides (published with `publish`).

    A file with any error is rejected whole before anything is written.
    """
    require_list_manager(actor, district)
    if parsed.errors:
        raise ImportRejected(parsed.errors)
    with transaction.atomic():
        draft = _create_draft(actor=actor, district=district, name=name, source=None)
        for code, domain_name in parsed.new_domains.items():
            Domain.objects.get_or_create(code=code, defaults={"name": domain_name})
        domains = {d.code: d for d in Domain.objects.filter(code__in={m.domain_code for m in parsed.matters})}
        matters = Matter.objects.bulk_create(
            [
                Matter(
                    duty_list=draft,
                    code=m.code,
                    name=m.name,
                    domain=domains[m.domain_code],
                    description=m.description,
                    keywords=m.keywords,
                    lead_unit=m.lead_unit,
                    time_limit=m.time_limit,
                    time_limit_unit=m.time_limit_unit,
                    default_urgency=m.default_urgency,
                    street_may_handle=m.street_may_handle,
                )
                for m in parsed.matters
            ]
        )
        through = Matter.supporting_units.through
        through.objects.bulk_create(
            [
                through(matter_id=matter.pk, unit_id=u.pk)
                for row, matter in zip(parsed.matters, matters, strict=True)
                for u in row.supporting_units
            ]
        )
        by_code = {m.code: m for m in matters}
        overrides = MatterOverride.objects.bulk_create(
            [
                MatterOverride(
                    matter=by_code[o.matter_code],
                    street=o.street,
                    lead_unit=o.lead_unit,
                    replace_supporting_units=o.replace_supporting_units,
                    time_limit=o.time_limit,
                    time_limit_unit=o.time_limit_unit,
                    street_may_handle=o.street_may_handle,
                )
                for o in parsed.overrides
            ]
        )
        o_through = MatterOverride.supporting_units.through
        o_through.objects.bulk_create(
            [
                o_through(matteroverride_id=new.pk, unit_id=u.pk)
                for row, new in zip(parsed.overrides, overrides, strict=True)
                for u in row.supporting_units
            ]
        )
        audit.record(
            draft,
            "duty_list.imported",
            actor=actor,
            data={
                "matters": len(matters),
                "overrides": len(overrides),
                "new_domains": sorted(parsed.new_domains),
                "source": parsed.source_name,
            },
        )
        if publish:
            draft = do_publish(actor=actor, duty_list_id=draft.pk, note="imported")
        return draft
