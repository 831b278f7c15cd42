"""The zoning page: ward risk levels as a map (imported shapes, drawn as SVG) and a ranked
table, hotspot venues and clusters of cases, for an area."""

from __future__ import annotations

from datetime import timedelta

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from epitrace.cases import access
from epitrace.db import utcnow
from epitrace.places import service as place_service
from epitrace.security.roles import Action
from epitrace.tracing import geo, policy_store
from epitrace.tracing import service as tracing_service
from epitrace.web.deps import CurrentPrincipal, DbSession
from epitrace.web.routing import make_router
from epitrace.web.templating import render

router = make_router(include_in_schema=False)


@router.get("/tracing")
def tracing_home(session: DbSession, principal: CurrentPrincipal) -> Response:
    """Open the zoning page of the caller's (first) area."""
    user = access.read_counts(principal, session, None)
    codes = [g.area_code for g in user.grants_for(Action.TRACING_COUNTS)]
    code = next((c for c in codes if c), None)
    if code is None:
        roots = place_service.get_children(session, code=None)
        code = roots[0].code if roots else ""
    return RedirectResponse(f"/tracing/{code}", status_code=303)


@router.get("/tracing/{area_code}", response_class=HTMLResponse)
def tracing_area(
    area_code: str, request: Request, session: DbSession, principal: CurrentPrincipal
) -> HTMLResponse:
    access.read_counts(principal, session, area_code)
    area = place_service.get_or_404(session, code=area_code)
    policy = policy_store.current(session)
    now = utcnow()
    risks = tracing_service.ward_risk(session, area_code=area_code, now=now, policy=policy)
    shapes, width, height = geo.draw(
        [
            (
                r.code,
                r.name,
                r.level,
                f"{r.name}: {r.cases_14} / 14d"
                + (f", {r.per_100k_14:.1f} / 100.000" if r.per_100k_14 is not None else ""),
                r.geometry,
            )
            for r in risks
        ]
    )
    since = now - timedelta(days=14)
    hotspots = tracing_service.hotspots(
        session, area_path=area.path, since=since, until=now, policy=policy
    )
    clusters = tracing_service.clusters(
        session, area_path=area.path, since=now - timedelta(days=28), until=now
    )
    return render(
        request,
        "tracing/area.html",
        {
            "area": area,
            "risks": risks,
            "shapes": shapes,
            "width": width,
            "height": height,
            "colours": geo.LEVEL_COLOURS,
            "hotspots": hotspots,
            "clusters": clusters,
            "policy": policy,
            "active_cases": tracing_service.active_cases_count(session, area_path=area.path),
        },
    )
