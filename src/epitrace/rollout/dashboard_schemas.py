"""API shapes of the province dashboard (counts and percentages only)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from epitrace.rollout.schemas import IndicatorDayOut


class DashboardUnitOut(BaseModel):
    code: str
    name: str


class DashboardRowOut(BaseModel):
    """A unit of a league table: a child unit (code), a sector (its value) or an organisation
    (its id), with its figures at the dashboard's day (None: not computed that day)."""

    key: str
    name: str
    figures: IndicatorDayOut | None


class DashboardOut(BaseModel):
    unit: DashboardUnitOut
    first: date = Field(serialization_alias="from")
    last: date = Field(serialization_alias="to")
    day: date | None = Field(description="The last computed day of the period (the headline).")
    rank: str = Field(description="What the league tables rank by: signup or active.")
    latest: IndicatorDayOut | None
    period_declarations: int
    period_checkins: int
    days: list[IndicatorDayOut]
    children: list[DashboardRowOut]
    sectors: list[DashboardRowOut]
    organisations_ranked: int
    organisations_best: list[DashboardRowOut]
    organisations_worst: list[DashboardRowOut]
