"""Output schemas of the evaluation endpoints (issue 5, part 9): every indicator with its fraction."""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema


class FigureOut(Schema):
    """A rate as a fraction 0–1 with the counts it comes from (`value` is null when the denominator is 0)."""

    value: float | None
    numerator: float
    denominator: float


class IndicatorsOut(Schema):
    response_rate: FigureOut | None = Field(
        None, description="响应率 / reported in on time ÷ due to report in"
    )
    on_time_rate: FigureOut | None = Field(None, description="按期办结率 / finished on time ÷ due to finish")
    resolution_rate: FigureOut | None = Field(None, description="解决率 / solved ÷ callbacks")
    satisfaction_rate: FigureOut | None = Field(None, description="满意率 / weighted satisfied ÷ answered")
    rework_rate: FigureOut | None = Field(None, description="返工率")
    dispute_rate: FigureOut | None = Field(None, description="退单率 / disputed ÷ summoned")
    upheld_dispute_rate: FigureOut | None = Field(None, description="异议成立率")
    extension_rate: FigureOut | None = Field(None, description="延期率")
    overdue_count: FigureOut | None = Field(None, description="超期数 (numerator) of those due (denominator)")
    avg_report_hours: float | None = None
    p90_report_hours: float | None = None
    avg_finish_hours: float | None = None
    p90_finish_hours: float | None = None
    volume: dict[str, float] = {}


class UnitEvaluationOut(Schema):
    code: str
    name: str
    indicators: IndicatorsOut
    bottom_up: float | None = Field(None, description="下评上得分 0–100 / bottom-up score")
    bottom_up_parts: dict[str, Any] = {}
    objective: float | None = Field(None, description="客观指标得分 / objective score")
    composite: float | None = Field(None, description="综合得分 / composite score")
    rank: int | None = None
    previous_rank: int | None = None
    change: int | None = None


class StreetEvaluationOut(Schema):
    code: str
    name: str
    indicators: IndicatorsOut
    composite: float | None = Field(None, description="三率综合 / composite of the three rates")
    rank: int | None = None
    previous_rank: int | None = None
    change: int | None = None


class PeriodOut(Schema):
    """The period of the figures: a calendar month or any date range (both days included)."""

    month: str | None = Field(
        None, description="YYYY-MM 当期间为整月，否则为 null / when the period is a calendar month, else null"
    )
    period: str = Field(..., description="2026-10, or 2026-10-01~2026-10-15 for a date range")
    first_day: str = Field(..., alias="from", description="第一天 / first day, YYYY-MM-DD")
    last_day: str = Field(..., alias="to", description="最后一天（含）/ last day, included, YYYY-MM-DD")


class UnitRankingOut(PeriodOut):
    weight_version: int | None
    published_at: str | None = Field(None, description="已发布月份的发布时间 / when the month was published")
    count: int
    results: list[UnitEvaluationOut]


class StreetRankingOut(PeriodOut):
    weight_version: int | None
    published_at: str | None = None
    count: int
    results: list[StreetEvaluationOut]
