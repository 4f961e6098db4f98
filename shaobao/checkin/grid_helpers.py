"""New-employment groups as grid helpers: a checked-in courier, delivery rider or ride-hailing driver with an
account reports what they see; it becomes a demand in intake's own channel `new_employment`, received and
placed by intake's `do_receive_demand` like every other demand (this module only says who may use the channel).
"""

from __future__ import annotations

from collections.abc import Iterable

from shaobao.checkin.models import NEW_EMPLOYMENT_KINDS, MemberCheckin
from shaobao.core.errors import Forbidden
from shaobao.intake import actions as intake_actions
from shaobao.intake.models import Channel, Demand


def helper_memberships(user):
    if not getattr(user, "is_authenticated", False):
        return MemberCheckin.objects.none()
    return MemberCheckin.objects.filter(user=user, is_active=True, kind__in=list(NEW_EMPLOYMENT_KINDS))


def may_report(user) -> bool:
    """Installed in intake (`extensions.add_channel_reporter`): an active new-employment member's account."""
    return helper_memberships(user).exists()


def do_report_as_grid_helper(
    *,
    actor,
    subject: str,
    body: str,
    address: str = "",
    lat: float | None = None,
    lng: float | None = None,
    kind: str = "report",
    photos: Iterable = (),
    idempotency_key: str | None = None,
) -> Demand:
    if not may_report(actor):
        raise Forbidden(
            "只有报到的快递员、外卖骑手、网约车司机可以上报 / "
            "Only checked-in couriers, delivery riders and ride-hailing drivers report here"
        )
    return intake_actions.do_receive_demand(
        actor=actor,
        channel=Channel.NEW_EMPLOYMENT,
        kind=kind,
        subject=subject,
        body=body,
        address=address,
        lat=lat,
        lng=lng,
        photos=photos,
        idempotency_key=idempotency_key,
    )


def reports_of(user):
    """The member's own reports, newest first (what the member page lists)."""
    return Demand.objects.filter(created_by=user, channel=Channel.NEW_EMPLOYMENT).order_by(
        "-received_at", "-id"
    )
