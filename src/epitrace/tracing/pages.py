"""The zoning page: ward risk levels as a map (imported shapes, drawn as SVG) and a ranked
table, hotspot venues and clusters of cases, for an area."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from epitrace import localtime
from epitrace.cases import access
from epitrace.db import utcnow
from epitrace.places import service as place_service
from epitrace.security.roles import Action
from epitrace.tracing import flows, geo, policy_store
from epitrace.tracing import service as tracing_service
from epitrace.venues import service as venue_service
from epitrace.web import fields, i18n
from epitrace.web.deps import CurrentPrincipal, DbSession, flash
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
    user = access.read_counts(principal, session, area_code)
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
            "can_alert": user.can(Action.CASES_MANAGE),
            "alerts_sent": flows.hotspot_alerts(session, area_path=area.path)[:20],
            "window_start": localtime.to_local(now - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
            "window_end": localtime.to_local(now).strftime("%Y-%m-%dT%H:%M"),
        },
    )


@router.post("/tracing/{area_code}/hotspot-alerts")
def mark_hotspot(
    area_code: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    venue_id: Annotated[uuid.UUID, Form()],
    starts_at: Annotated[str, Form(max_length=40)],
    ends_at: Annotated[str, Form(max_length=40)],
    note: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    venue = venue_service.get_or_404(session, venue_id=venue_id)
    user = access.manage_cases(principal, session, venue.ward_code)
    start = fields.required_form_datetime(starts_at, "starts_at")
    end = fields.required_form_datetime(ends_at, "ends_at")
    _mark, outcome = flows.mark_hotspot(
        session, venue=venue, starts_at=start, ends_at=end, note=note, actor=user, now=utcnow()
    )
    flash(
        request,
        i18n.gettext(
            "%(venue)s marked as a hotspot: %(queued)s visitors will be warned.",
            venue=venue.name,
            queued=outcome.queued,
        ),
    )
    return RedirectResponse(f"/tracing/{area_code}", status_code=303)
