"""Writes of the evaluation app: rating a unit after a whistle, the monthly survey, publishing a month."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from shaobao.core import audit
from shaobao.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shaobao.evaluation.indicators import Period, current_weights
from shaobao.evaluation.models import MonthlyRanking, MonthlySurvey, UnitRating
from shaobao.org.access import require_member
from shaobao.org.models import Division, Role, Unit
from shaobao.org.scoping import scope_of

RATERS = (Role.STREET_DISPATCHER, Role.STREET_LEADER)


def _check_scores(**scores: int) -> None:
    bad = {k: "1–5" for k, v in scores.items() if not isinstance(v, int) or not 1 <= v <= 5}
    if bad:
        raise ValidationFailed("评分须为1到5分 / Scores must be 1 to 5", fields=bad)


def _require_street_rater(user, street: Division) -> None:
    scope = scope_of(user)
    if scope.is_superuser:
        return
    if not scope.has_role(*RATERS) or street.id not in scope.street_ids:
        raise Forbidden("只有本街乡的调度员或领导可以评价 / Only the street's dispatcher or leader may rate")


def do_rate_unit(
    *,
    actor,
    whistle_id: int,
    unit_id: int,
    cooperation: int,
    initiative: int,
    quality: int,
    comment: str = "",
    now: dt.datetime | None = None,
) -> UnitRating:
    """The street rates one summoned unit of a closed whistle (once per whistle and unit)."""
    from shaobao.whistles.models import Whistle

    require_member(actor)
    _check_scores(cooperation=cooperation, initiative=initiative, quality=quality)
    with transaction.atomic():
        whistle = Whistle.objects.select_for_update().filter(pk=whistle_id).first()
        if whistle is None:
            raise NotFound(f"吹哨 {whistle_id} 不存在 / Whistle {whistle_id} not found")
        _require_street_rater(actor, whistle.street)
        if whistle.state != "closed":
            raise Conflict(
                "吹哨结案后才能评价 / A whistle can be rated only after it is closed", code="not_closed"
            )
        if not whistle.summonses.filter(unit_id=unit_id).exclude(state="withdrawn").exists():
            raise NotFound("该单位未被此次吹哨召集 / The unit was not summoned by this whistle")
        if UnitRating.objects.filter(whistle=whistle, unit_id=unit_id).exists():
            raise Conflict("已评价过该单位 / This unit has already been rated", code="already_rated")
        try:
            with transaction.atomic():
                rating = UnitRating.objects.create(
                    whistle=whistle,
                    unit_id=unit_id,
                    street=whistle.street,
                    cooperation=cooperation,
                    initiative=initiative,
                    quality=quality,
                    comment=comment,
                    rated_by=actor,
                    rated_at=now or timezone.now(),
                )
        except IntegrityError as exc:
            raise Conflict("已评价过该单位 / This unit has already been rated", code="already_rated") from exc
        audit.record(
            whistle,
            "rate_unit",
            actor=actor,
            data={
                "unit_id": unit_id,
                "cooperation": cooperation,
                "initiative": initiative,
                "quality": quality,
            },
        )
    return rating


def do_submit_survey(
    *,
    actor,
    street_id: int,
    unit_id: int,
    month: str,
    cooperation: int,
    initiative: int,
    quality: int,
    comment: str = "",
) -> MonthlySurvey:
    """The street's monthly bottom-up survey of a unit; submitting again for the same month replaces it."""
    require_member(actor)
    _check_scores(cooperation=cooperation, initiative=initiative, quality=quality)
    try:
        first = Period.month(month).first
    except (ValueError, TypeError) as exc:
        raise ValidationFailed(
            "月份格式应为YYYY-MM / Month must be YYYY-MM", fields={"month": "YYYY-MM"}
        ) from exc
    street = Division.objects.filter(pk=street_id, level="street").first()
    unit = Unit.objects.visible_to(actor).filter(pk=unit_id).first()
    if street is None or unit is None:
        raise NotFound("街乡或单位不存在 / Street or unit not found")
    _require_street_rater(actor, street)
    with transaction.atomic():
        survey, _created = MonthlySurvey.objects.update_or_create(
            month=first,
            street=street,
            unit=unit,
            defaults={
                "cooperation": cooperation,
                "initiative": initiative,
                "quality": quality,
                "comment": comment,
                "rated_by": actor,
                "rated_at": timezone.now(),
            },
        )
        audit.record(survey, "survey", actor=actor, data={"month": f"{first:%Y-%m}", "unit_id": unit_id})
    return survey


def do_publish_month(*, actor, district: Division, month: str) -> MonthlyRanking:
    """Freeze a month's rankings with the current weight version (district coordinator / administrator)."""
    from shaobao.evaluation.scores import compute_rankings

    require_member(actor)
    scope = scope_of(actor)
    if not scope.is_district:
        raise Forbidden("只有区级统筹平台可以发布排名 / Only the district may publish rankings")
    period = Period.month(month)
    weights = current_weights()
    with transaction.atomic():
        if MonthlyRanking.objects.filter(district=district, month=period.first).exists():
            raise Conflict("该月排名已发布 / This month is already published", code="already_published")
        data = compute_rankings(district, period, weights=weights)
        ranking = MonthlyRanking.objects.create(
            district=district, month=period.first, weight_set=weights, data=data, published_by=actor
        )
        audit.record(
            ranking, "publish", actor=actor, data={"month": period.label, "weights": weights.version}
        )
    return ranking
