"""The health officer's page of hotspot notices: mark a venue and window, see and withdraw."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from epitrace import localtime
from epitrace.checkins import modes
from epitrace.db import utcnow
from epitrace.errors import N_
from epitrace.ondevice import access, service
from epitrace.security.permissions import require
from epitrace.security.roles import Action
from epitrace.venues import service as venue_service
from epitrace.venues.models import VenueStatus
from epitrace.web import fields, i18n
from epitrace.web.deps import AppKeyring, AppSettings, CurrentPrincipal, DbSession, flash
from epitrace.web.routing import make_router
from epitrace.web.templating import render

router = make_router(include_in_schema=False)

SEVERITY_NAMES = {
    "monitor_symptoms": N_("Monitor your symptoms"),
    "get_tested": N_("Get tested"),
}
VENUE_CHOICES = 100


@router.get("/hotspot-notices", response_class=HTMLResponse)
def notices_page(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    settings: AppSettings,
    q: Annotated[str, Query(max_length=100)] = "",
) -> HTMLResponse:
    """Hotspot notices of the officer's areas, and the form that publishes a new one."""
    user = require(principal, Action.ALERTS_CONTACT)
    paths = user.area_paths(Action.ALERTS_CONTACT)
    venues, total = venue_service.get_all(
        session,
        area_paths=paths,
        status=VenueStatus.ACTIVE,
        query=q.strip() or None,
        limit=VENUE_CHOICES,
    )
    now = utcnow()
    return render(
        request,
        "ondevice/notices.html",
        {
            "q": q,
            "venues": venues,
            "more_venues": total > len(venues),
            "notices": service.get_all(session, area_paths=paths),
            "severities": {k: i18n.gettext(v) for k, v in SEVERITY_NAMES.items()},
            "on_device": modes.on_device(settings),
            "now": now,
            "window_start": localtime.to_local(now - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
            # the form has whole minutes: the next one, so that "until now" covers this
            # minute's visits too (the window is cut at the moment of publishing)
            "window_end": localtime.to_local(now + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M"),
        },
    )


@router.post("/hotspot-notices")
def publish_notice(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    keyring: AppKeyring,
    settings: AppSettings,
    venue_id: Annotated[uuid.UUID, Form()],
    starts_at: Annotated[str, Form(max_length=40)],
    ends_at: Annotated[str, Form(max_length=40)],
    severity: Annotated[str, Form(max_length=24)],
    instructions_vi: Annotated[str, Form(max_length=1000)] = "",
    instructions_en: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    venue = venue_service.get_or_404(session, venue_id=venue_id)
    user = access.publish(principal, session, venue.ward_code)
    service.publish(
        session,
        keyring=keyring,
        venue=venue,
        starts_at=fields.required_form_datetime(starts_at, "starts_at"),
        ends_at=fields.required_form_datetime(ends_at, "ends_at"),
        severity=severity,
        instructions_vi=instructions_vi,
        instructions_en=instructions_en,
        actor=user,
        now=utcnow(),
        retention_days=settings.retention_days,
    )
    flash(request, i18n.gettext("The hotspot notice for %(venue)s is published.", venue=venue.name))
    return RedirectResponse("/hotspot-notices", status_code=303)


@router.post("/hotspot-notices/{notice_id}/withdraw")
def withdraw_notice(
    notice_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    keyring: AppKeyring,
) -> Response:
    notice = service.get_or_404(session, notice_id=notice_id)
    user = access.publish(principal, session, notice.ward_code)
    service.withdraw(session, keyring=keyring, notice=notice, actor=user, now=utcnow())
    flash(request, i18n.gettext("The notice was withdrawn; phones will hear of it."))
    return RedirectResponse("/hotspot-notices", status_code=303)
