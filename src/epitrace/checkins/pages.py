"""Citizen check-in pages (landing page of a venue code, scanner, history) and the door page."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from epitrace.accounts import service as account_service
from epitrace.checkins import access, flows, modes, policy, sealed
from epitrace.checkins import service as checkin_service
from epitrace.checkins.api import limit_rate, outcome_message
from epitrace.config import Settings
from epitrace.db import utcnow
from epitrace.errors import DomainError
from epitrace.places import service as place_service
from epitrace.security import audit
from epitrace.security.permissions import public
from epitrace.venues import service as venue_service
from epitrace.web import exports, i18n
from epitrace.web.deps import (
    AppKeyring,
    AppSettings,
    CurrentPrincipal,
    DbSession,
    ensure_csrf,
    flash,
)
from epitrace.web.fields import MedicalDate
from epitrace.web.routing import make_router
from epitrace.web.templating import render

router = make_router(include_in_schema=False)

SERVICE_WORKER = i18n.PACKAGE_DIR / "web" / "static" / "checkins" / "sw.js"


@router.get("/sw.js")
@public
def service_worker() -> FileResponse:
    """The service worker, served from the root so that its scope is the whole site."""
    return FileResponse(
        SERVICE_WORKER,
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )


@router.get("/c/{token}", response_class=HTMLResponse)
@public
def venue_landing(
    token: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    keyring: AppKeyring,
    settings: AppSettings,
) -> HTMLResponse:
    """What a phone camera opens: the venue, and a one-tap check-in once signed in.

    In on-device mode the tap keeps the visit on the phone (no sign-in needed) and the page
    reads nothing about the caller.
    """
    ensure_csrf(request)
    on_device = modes.on_device(settings)
    context: dict[str, object] = {
        "token": token,
        "error": None,
        "venue": None,
        "on_device": on_device,
        "retention_days": settings.retention_days,
    }
    try:
        venue = venue_service.resolve_token(session, keyring, token[:400])
    except DomainError as exc:
        context["error"] = i18n.gettext(exc.message, **exc.params)
        return render(request, "checkins/landing.html", context, status_code=exc.status_code)
    ward = place_service.get(session, code=venue.ward_code)
    context.update(
        venue=venue,
        ward=ward,
        category=i18n.gettext(venue_service.CATEGORY_NAMES[venue.category]),
    )
    if on_device:
        context["dwell_minutes"] = policy.DWELL_MINUTES[venue.category]
    elif principal is not None and principal.is_citizen and principal.person_id is not None:
        context["dependents"] = account_service.get_dependents(
            session, guardian_id=principal.person_id
        )
        open_here = [
            p
            for p, v, _n in checkin_service.history(
                session, person_id=principal.person_id, since=utcnow() - timedelta(days=2)
            )
            if v.id == venue.id and p.left_at is None and p.person_id == principal.person_id
        ]
        context["inside"] = open_here[0] if open_here else None
    return render(request, "checkins/landing.html", context)


@router.post("/c/{token}")
def venue_landing_submit(
    token: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    keyring: AppKeyring,
    settings: AppSettings,
    dependent_ids: Annotated[list[uuid.UUID] | None, Form()] = None,
) -> Response:
    """The one tap: check in (or out, when already inside) and show the history."""
    user, person_id = access.citizen(principal)
    modes.refuse_presences(settings)
    sealing = flows.sealing(session, settings, _held(request))
    limit_rate(
        session, kind="checkin", user=user, device=None, per_minute=policy.CHECKINS_PER_MINUTE
    )
    try:
        result = flows.self_scan(
            session,
            keyring=keyring,
            token=token[:400],
            person_id=person_id,
            at=utcnow(),
            dependent_ids=dependent_ids or [],
            sealing=sealing,
        )
    except DomainError as exc:
        session.rollback()
        flash(request, i18n.gettext(exc.message, **exc.params), "error")
        return RedirectResponse(f"/c/{token}", status_code=303)
    flash(request, outcome_message(result.outcome, result.venue.name))
    response = RedirectResponse("/checkins", status_code=303)
    if sealing is not None:
        _keep_held(response, settings, sealing, result)
    return response


# In the escrow privacy mode the browser keeps the presences it opened (and their close
# tokens) in this cookie: the server cannot find them, and the next scan closes them.
HELD_COOKIE = "epitrace_held"
HELD_DAYS = 3  # longer than any dwell time


def _held(request: Request) -> list[sealed.Held]:
    found: list[sealed.Held] = []
    for item in request.cookies.get(HELD_COOKIE, "").split(",")[:40]:
        presence_id, _, token = item.partition(".")
        try:
            found.append(sealed.Held(uuid.UUID(presence_id), token[:64]))
        except ValueError:
            continue
    return found


def _keep_held(
    response: Response,
    settings: Settings,
    sealing: sealed.Sealing,
    result: checkin_service.ScanResult,
) -> None:
    if result.outcome != checkin_service.Outcome.CHECKED_IN or result.duplicate:
        return
    tokens = sealed.tokens(sealing.secret, result.presences)
    response.set_cookie(
        HELD_COOKIE,
        ",".join(f"{pid}.{token}" for pid, token in tokens.items()),
        max_age=HELD_DAYS * 86400,
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
    )


@router.get("/checkins", response_class=HTMLResponse)
def my_history(
    request: Request, session: DbSession, principal: CurrentPrincipal, settings: AppSettings
) -> HTMLResponse:
    """The citizen's own visits (and their dependents'), with a check-out button.

    In on-device mode the visits are those kept on the phone, listed by the page's script.
    """
    _user, person_id = access.citizen(principal)
    ensure_csrf(request)
    if modes.on_device(settings):
        return render(
            request,
            "checkins/history.html",
            {"visits": [], "on_device": True, "retention_days": settings.retention_days},
        )
    since = utcnow() - timedelta(days=settings.retention_days)
    visits = checkin_service.history(session, person_id=person_id, since=since)
    return render(request, "checkins/history.html", {"visits": visits, "on_device": False})


@router.post("/checkins/{presence_id}/checkout")
def my_checkout(
    presence_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    settings: AppSettings,
) -> Response:
    _user, person_id = access.citizen(principal)
    modes.refuse_presences(settings)
    closed = checkin_service.check_out(
        session, person_id=person_id, presence_id=presence_id, at=utcnow()
    )
    venue = venue_service.get_or_404(session, venue_id=closed[0].venue_id)
    flash(request, outcome_message(checkin_service.Outcome.CHECKED_OUT, venue.name))
    return RedirectResponse("/checkins", status_code=303)


@router.get("/checkins/scan", response_class=HTMLResponse)
def scanner(
    request: Request, session: DbSession, principal: CurrentPrincipal, settings: AppSettings
) -> HTMLResponse:
    """The in-app scanner: the phone camera reads the venue code; works offline."""
    _user, person_id = access.citizen(principal)
    ensure_csrf(request)
    dependents = account_service.get_dependents(session, guardian_id=person_id)
    return render(
        request,
        "checkins/scan.html",
        {
            "dependents": dependents,
            "on_device": modes.on_device(settings),
            "retention_days": settings.retention_days,
        },
    )


# -- the door ----------------------------------------------------------------------------


@router.get("/venues/{venue_id}/door", response_class=HTMLResponse)
def door_page(
    venue_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    settings: AppSettings,
    day: MedicalDate | None = None,
) -> HTMLResponse:
    """The operator's door: scan passes, enter visitors by hand, today's log and occupancy.

    In on-device mode only the pass scanner: nobody is recorded, so there is no log.
    """
    venue = venue_service.get_or_404(session, venue_id=venue_id)
    user = access.door(session, principal, venue)
    ensure_csrf(request)
    if modes.on_device(settings):
        return render(
            request,
            "checkins/door.html",
            {"venue": venue, "log": None, "errors": {}, "on_device": True},
        )
    log = checkin_service.door_log(
        session, venue=venue, day=day or checkin_service.local_today(), now=utcnow()
    )
    audit.record(
        session,
        actor=user,
        action="read",
        subject_type="door_log",
        subject_id=venue.id,
        purpose="door_log",
        detail={"day": log.day.isoformat(), "rows": len(log.rows)},
    )
    return render(request, "checkins/door.html", {"venue": venue, "log": log, "errors": {}})


@router.post("/venues/{venue_id}/door/manual", response_class=HTMLResponse)
def door_manual(
    venue_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    settings: AppSettings,
    full_name: Annotated[str, Form(max_length=200)] = "",
    phone: Annotated[str, Form(max_length=20)] = "",
    id_number: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    venue = venue_service.get_or_404(session, venue_id=venue_id)
    user = access.door(session, principal, venue)
    modes.refuse_door_records(settings)
    try:
        flows.manual_entry(
            session,
            venue=venue,
            full_name=full_name,
            phone=phone,
            id_number=id_number,
            at=utcnow(),
            actor=user,
            sealing=flows.sealing(session, settings),
        )
    except DomainError as exc:
        session.rollback()
        log = checkin_service.door_log(
            session, venue=venue, day=checkin_service.local_today(), now=utcnow()
        )
        errors = {k: i18n.gettext(v) for k, v in exc.fields.items()}
        errors["form"] = i18n.gettext(exc.message, **exc.params)
        return render(
            request,
            "checkins/door.html",
            {
                "venue": venue,
                "log": log,
                "errors": errors,
                "manual": {"full_name": full_name, "phone": phone, "id_number": id_number},
            },
            status_code=exc.status_code,
        )
    flash(request, i18n.gettext("%(name)s was entered.", name=" ".join(full_name.split())))
    return RedirectResponse(f"/venues/{venue.id}/door", status_code=303)


@router.post("/venues/{venue_id}/door/exit/{presence_id}")
def door_exit(
    venue_id: uuid.UUID,
    presence_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    settings: AppSettings,
) -> Response:
    venue = venue_service.get_or_404(session, venue_id=venue_id)
    access.door(session, principal, venue)
    modes.refuse_door_records(settings)
    checkin_service.door_exit(session, venue=venue, presence_id=presence_id, at=utcnow())
    flash(request, i18n.gettext("The exit was recorded."))
    return RedirectResponse(f"/venues/{venue.id}/door", status_code=303)


# -- counts for officials ----------------------------------------------------------------


@router.get("/checkins/counts.{fmt}")
def counts_export(
    fmt: exports.Format,
    session: DbSession,
    principal: CurrentPrincipal,
    settings: AppSettings,
    day: MedicalDate | None = None,
    area: Annotated[str, Query(max_length=300)] = "",
) -> Response:
    """The same counts as XLSX (per ward and per venue) or CSV (per venue), for the records."""
    area = place_service.resolve(session, text=area, field="area", leaves_only=False) or ""
    _user, paths = access.counts(session, principal, area or None)
    the_day = day or checkin_service.local_today()
    venues, wards = flows.day_counts(
        session, on_device=modes.on_device(settings), day=the_day, area_paths=paths
    )
    by_venue = exports.Sheet(
        "Theo địa điểm",
        ("Ngày", "Địa điểm", "Mã phường/xã", "Tên phường/xã", "Số lượt vào"),
        [
            (
                the_day,
                v.venue_name,
                v.ward_code,
                place_service.name_of(session, v.ward_code),
                v.checkins,
            )
            for v in venues
        ],
    )
    by_ward = exports.Sheet(
        "Theo phường-xã",
        ("Ngày", "Mã phường/xã", "Tên phường/xã", "Số địa điểm", "Số lượt vào"),
        [(the_day, w.ward_code, w.ward_name, w.venues, w.checkins) for w in wards],
    )
    return exports.respond(
        fmt,
        [by_ward, by_venue],
        name_parts=["luot-vao", area or None],
        day=the_day,
        csv_sheet=1,
    )


@router.get("/checkins/counts", response_class=HTMLResponse)
def counts_page(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    settings: AppSettings,
    day: MedicalDate | None = None,
    area: Annotated[str, Query(max_length=300)] = "",
) -> HTMLResponse:
    """Check-ins per venue and per ward on a day, inside the official's area."""
    area = place_service.resolve(session, text=area, field="area", leaves_only=False) or ""
    _user, paths = access.counts(session, principal, area or None)
    the_day = day or checkin_service.local_today()
    venues, wards = flows.day_counts(
        session, on_device=modes.on_device(settings), day=the_day, area_paths=paths
    )
    return render(
        request,
        "checkins/counts.html",
        {"day": the_day, "area": area or "", "venues": venues, "wards": wards},
    )
