"""Fetch one demand for a user, or raise NotFound (outside the user's scope we do not say it exists)."""

from __future__ import annotations

from shaobao.core.errors import Forbidden, NotFound
from shaobao.intake import extensions, people
from shaobao.intake.models import Demand
from shaobao.org.access import require_member


def _not_found(demand_id) -> NotFound:
    return NotFound(f"诉求 {demand_id} 不存在 / Demand {demand_id} not found")


def access_demand(user, demand_id) -> Demand:
    require_member(user)
    try:
        pk = int(demand_id)
    except (TypeError, ValueError):
        raise _not_found(demand_id) from None
    demand = (
        Demand.objects.visible_to(user)
        .select_related("street", "community", "grid", "matter", "assigned_unit", "merged_into")
        .filter(pk=pk)
        .first()
    )
    if demand is None:
        # Someone the street asked to handle it outside its staff (a deployed cadre: intake.extensions).
        demand = Demand.objects.select_related("street", "assigned_unit").filter(pk=pk).first()
        if demand is None or not extensions.is_extra_handler(user, demand):
            raise _not_found(demand_id)
    return demand


def lock_demand(user, demand_id) -> Demand:
    """Inside a transaction: check the user may see it, then lock the row (SELECT ... FOR UPDATE)."""
    access_demand(user, demand_id)
    return Demand.objects.select_for_update().get(pk=int(demand_id))


def check_photo(user, name: str) -> None:
    """core.media: a demand's photo to whoever may see the demand."""
    from shaobao.intake.models import DemandPhoto

    photo = DemandPhoto.objects.filter(image=name).only("demand_id").first()
    if photo is None:
        raise NotFound("文件不存在 / File not found")
    access_demand(user, photo.demand_id)


def require_triage_reader(user, demand: Demand) -> None:
    """The routing proposal is read by the street's own people and the district's coordinators."""
    if not (people.acts_for_street(user, demand.street) or people.decides_in_district(user, demand.street)):
        raise Forbidden("只有街乡调度和区级统筹可以分拨 / Only the street's desk and the district triage")
