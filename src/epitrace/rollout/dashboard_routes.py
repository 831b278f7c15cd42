"""The province dashboard: `/rollout/dashboard` (page) and `/api/v1/rollout/dashboard` (the
same figures as JSON) for an area and a period — headline figures, a coverage map, league
tables of child units, sectors and organisations, and daily trends. Counts only.

The routes are registered on the domain's page and API routers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from epitrace import localtime
from epitrace.places import service as place_service
from epitrace.places.models import AdminUnit
from epitrace.rollout import access, dashboard, reports, ui
from epitrace.rollout.api import router as api_router
from epitrace.rollout.dashboard_schemas import DashboardOut, DashboardRowOut, DashboardUnitOut
from epitrace.rollout.indicator_routes import day_out
from epitrace.rollout.pages import router as page_router
from epitrace.security.permissions import Principal, require
from epitrace.security.roles import Action
from epitrace.tracing import geo
from epitrace.web.deps import CurrentPrincipal, DbSession
from epitrace.web.templating import percent, render

Unit = Annotated[
    str | None,
    Query(max_length=16, description="An administrative unit (default: the caller's area)."),
]
Days = Annotated[
    int, Query(ge=1, le=dashboard.MAX_DAYS, description="The period: the last N local days.")
]
RankBy = Annotated[dashboard.Rank, Query(description="What the league tables rank by.")]

# Map colours of the coverage classes (light to dark, readable in grey), None: no figures.
COVERAGE_COLOURS: dict[int | None, str] = {
    0: "#f1eef6",
    1: "#bdc9e1",
    2: "#74a9cf",
    3: "#2b8cbe",
    4: "#045a8d",
    None: "#bdbdbd",
}


@dataclass
class Dashboard:
    area: AdminUnit
    out: DashboardOut
    map_items: list[tuple[dashboard.Ranked, str]]


def _area_for(session: Session, user: Principal, unit: str | None) -> AdminUnit:
    code = unit or access.home_area(user, Action.ROLLOUT_READ)
    if code is None:  # a country-wide grant opens on the first province
        roots = place_service.get_children(session, code=None)
        code = roots[0].code if roots else ""
    area = place_service.get_or_404(session, code=code)
    access.area(session, user, Action.ROLLOUT_READ, area.code)
    return area


def _row(item: dashboard.Ranked) -> DashboardRowOut:
    figures = day_out(item.row) if item.row is not None else None
    return DashboardRowOut(key=item.key, name=item.name, figures=figures)


def build(
    session: Session,
    principal: Principal | None,
    *,
    unit: str | None,
    days: int,
    rank: dashboard.Rank,
) -> Dashboard:
    user = require(principal, Action.ROLLOUT_READ)
    area = _area_for(session, user, unit)
    first, last = dashboard.period(days, today=localtime.today())
    rows = dashboard.series(session, area_code=area.code, first=first, last=last)
    day = rows[-1].day if rows else None
    children = dashboard.ranked(dashboard.children(session, area=area, day=day), rank)
    sector_names = ui.sector_labels()
    sectors = dashboard.ranked(
        [
            dashboard.Ranked(r.sector, sector_names.get(r.sector, r.sector), r)
            for r in dashboard.sectors(session, area_code=area.code, day=day)
        ],
        rank,
    )

    def orgs(best: bool) -> list[DashboardRowOut]:
        found = dashboard.organisations(session, area=area, day=day, rank=rank, best=best)
        return [_row(dashboard.Ranked(str(org.id), org.name, row)) for row, org in found]

    best = orgs(True)
    shown = {r.key for r in best}
    worst = [r for r in orgs(False) if r.key not in shown]
    out = DashboardOut(
        unit=DashboardUnitOut(code=area.code, name=area.name),
        first=first,
        last=last,
        day=day,
        rank=rank.value,
        latest=day_out(rows[-1]) if rows else None,
        period_declarations=sum(r.declarations or 0 for r in rows),
        period_checkins=sum(r.checkins for r in rows),
        days=[day_out(r) for r in rows],
        children=[_row(c) for c in children],
        sectors=[_row(s) for s in sectors],
        organisations_ranked=dashboard.count_organisations(session, area=area, day=day),
        organisations_best=best,
        organisations_worst=worst,
    )
    return Dashboard(area, out, dashboard.map_units(session, area=area, day=day))


@api_router.get("/rollout/dashboard", response_model=DashboardOut)
def get_dashboard(
    session: DbSession,
    principal: CurrentPrincipal,
    unit: Unit = None,
    days: Days = dashboard.DEFAULT_DAYS,
    rank: RankBy = dashboard.Rank.SIGNUP,
) -> DashboardOut:
    """The province dashboard's figures of an area over the last N days (counts only)."""
    return build(session, principal, unit=unit, days=days, rank=rank).out


def _crumbs(session: Session, user: Principal, area: AdminUnit) -> list[AdminUnit]:
    """The area's ancestors the caller may open, from the top down."""
    paths = user.area_paths(Action.ROLLOUT_READ)
    return [
        a
        for a in place_service.get_ancestors(session, code=area.code)
        if any(p is None or a.path.startswith(p) for p in paths)
    ]


def _chart_data(out: DashboardOut) -> dict[str, Any]:
    return {
        "labels": [d.day.isoformat() for d in out.days],
        "checkins": [d.checkins for d in out.days],
        "declarations": [d.declarations or 0 for d in out.days],
        "citizens": [d.citizens or 0 for d in out.days],
        "target": [d.signup_target for d in out.days],
    }


@page_router.get("/rollout/dashboard", response_class=HTMLResponse)
def dashboard_page(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    unit: Unit = None,
    days: Days = dashboard.DEFAULT_DAYS,
    rank: RankBy = dashboard.Rank.SIGNUP,
) -> Response:
    built = build(session, principal, unit=unit, days=days, rank=rank)
    user = require(principal, Action.ROLLOUT_READ)
    shapes, width, height = geo.draw(
        [
            (
                item.key,
                item.name,
                dashboard.coverage_class(item.row),
                _map_label(item),
                geometry,
            )
            for item, geometry in built.map_items
        ]
    )
    return render(
        request,
        "rollout/dashboard.html",
        {
            "area": built.area,
            "d": built.out,
            "crumbs": _crumbs(session, user, built.area),
            "days": days,
            "rank": rank.value,
            "shapes": shapes,
            "width": width,
            "height": height,
            "colours": COVERAGE_COLOURS,
            "bounds": dashboard.COVERAGE_BOUNDS,
            "map_rows": [
                (item, day_out(item.row) if item.row else None) for item, _ in built.map_items
            ],
            "chart_data": _chart_data(built.out),
            "children_are_map": {i.key for i, _ in built.map_items}
            == {c.key for c in built.out.children},
            "rates": reports.rates_at(session, area_code=built.area.code, day=localtime.today()),
        },
    )


def _map_label(item: dashboard.Ranked) -> str:
    value = dashboard.score(item.row, dashboard.Rank.SIGNUP)
    shown = percent(round(value * 100, 1)) if value is not None else "—"
    return f"{item.name}: {shown}"
