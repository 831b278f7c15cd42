"""Staff pages of the venue registry: list, register, a venue's code, poster and operators."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import segno
from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from epitrace.accounts import service as account_service
from epitrace.errors import N_, DomainError, InvalidInput
from epitrace.places import service as place_service
from epitrace.security import audit
from epitrace.security.permissions import Principal
from epitrace.security.roles import Action
from epitrace.venues import access
from epitrace.venues import service as venue_service
from epitrace.venues.models import VenueCategory, VenueStatus
from epitrace.web import fields, i18n
from epitrace.web.deps import (
    AppKeyring,
    AppSettings,
    CurrentPrincipal,
    DbSession,
    ensure_csrf,
    flash,
)
from epitrace.web.routing import make_router
from epitrace.web.templating import render

router = make_router(include_in_schema=False)


def categories() -> list[tuple[str, str]]:
    return [(c.value, i18n.gettext(venue_service.CATEGORY_NAMES[c])) for c in VenueCategory]


def _list_context(session: Session, user: Principal, q: str | None) -> dict[str, Any]:
    paths, operator_id = access.list_scope(user)
    venues, total = venue_service.get_all(
        session, area_paths=paths, operator_id=operator_id, query=q, limit=300
    )
    wards = {u.code: u.name for u in place_service.leaf_units(session)} if venues else {}
    return {
        "venues": venues,
        "total": total,
        "q": q or "",
        "wards": wards,
        "categories": dict(categories()),
        "category_choices": categories(),
        "can_create": user.can(Action.VENUES_MANAGE),
        "can_door": user.can(Action.DOOR_OPERATE),
        "errors": {},
        "form": {},
    }


@router.get("/venues", response_class=HTMLResponse)
def venues_page(
    request: Request, session: DbSession, principal: CurrentPrincipal, q: str | None = None
) -> HTMLResponse:
    user = access.can_list(principal)
    ensure_csrf(request)
    return render(request, "venues/index.html", _list_context(session, user, q))


@router.post("/venues", response_class=HTMLResponse)
def venues_create(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    name: Annotated[str, Form(max_length=200)] = "",
    category: Annotated[str, Form(max_length=40)] = "",
    ward_code: Annotated[str, Form(max_length=300)] = "",
    address: Annotated[str, Form(max_length=300)] = "",
    capacity: Annotated[str, Form(max_length=7)] = "",
    vehicle_plate: Annotated[str, Form(max_length=20)] = "",
    vehicle_route: Annotated[str, Form(max_length=200)] = "",
    small_room: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    user = access.can_list(principal)
    form = {
        "name": name,
        "category": category,
        "ward_code": ward_code,
        "address": address,
        "capacity": capacity,
        "vehicle_plate": vehicle_plate,
        "vehicle_route": vehicle_route,
    }
    try:
        ward_code = place_service.resolve(session, text=ward_code, field="ward_code") or ""
        if place_service.get(session, code=ward_code) is None:
            raise InvalidInput(
                N_("The ward %(code)s does not exist."),
                params={"code": ward_code},
                fields={"ward_code": N_("Choose a ward from the list of administrative units.")},
            )
        access.can_create(session, principal, ward_code)
        try:
            chosen = VenueCategory(category)
        except ValueError as exc:
            raise InvalidInput(
                N_("Choose one of the allowed values."),
                fields={"category": N_("Choose one of the allowed values.")},
            ) from exc
        seats, problem, params = fields.parse_form_int(capacity, minimum=1, maximum=1_000_000)
        if problem is not None:
            raise fields.form_error("capacity", problem, params)
        venue = venue_service.create(
            session,
            name=name,
            category=chosen,
            ward_code=ward_code,
            address=address,
            capacity=seats,
            vehicle_plate=vehicle_plate or None,
            vehicle_route=vehicle_route or None,
            small_room=small_room == "on",
            created_by=user.user_id,
        )
    except InvalidInput as exc:
        session.rollback()
        context = _list_context(session, user, None)
        context["errors"] = {k: i18n.gettext(v) for k, v in exc.fields.items()}
        context["errors"]["form"] = i18n.gettext(exc.message, **exc.params)
        context["form"] = form
        return render(request, "venues/index.html", context, status_code=422)
    audit.record(session, actor=user, action="create", subject_type="venue", subject_id=venue.id)
    flash(request, i18n.gettext("The venue was registered. Print its poster."))
    return RedirectResponse(f"/venues/{venue.id}", status_code=303)


@router.get("/venues/{venue_id}", response_class=HTMLResponse)
def venue_page(
    venue_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    keyring: AppKeyring,
    settings: AppSettings,
) -> HTMLResponse:
    venue = venue_service.get_or_404(session, venue_id=venue_id)
    user = access.can_read(session, principal, venue)
    ensure_csrf(request)
    url = venue_service.url_for(keyring, venue, base_url=settings.base_url)
    can_manage = user.can(Action.VENUES_MANAGE)
    if can_manage:
        try:
            access.can_manage(session, principal, venue)
        except DomainError:
            can_manage = False
    ward = place_service.get(session, code=venue.ward_code)
    return render(
        request,
        "venues/detail.html",
        {
            "venue": venue,
            "ward": ward,
            "url": url,
            "qr_svg": segno.make_qr(url, error="m", boost_error=False).svg_data_uri(scale=4),
            "category": i18n.gettext(venue_service.CATEGORY_NAMES[venue.category]),
            "can_manage": can_manage,
            "can_door": user.can(Action.DOOR_OPERATE),
            "suspended": venue.status is VenueStatus.SUSPENDED,
            "operators": venue_service.get_operators(session, venue_id=venue.id)
            if can_manage
            else [],
        },
    )


def _venue_action(
    session: Session, principal: Principal | None, venue_id: uuid.UUID
) -> tuple[Principal, Any]:
    venue = venue_service.get_or_404(session, venue_id=venue_id)
    return access.can_manage(session, principal, venue), venue


@router.post("/venues/{venue_id}/suspend")
def venue_suspend(
    venue_id: uuid.UUID, request: Request, session: DbSession, principal: CurrentPrincipal
) -> Response:
    user, venue = _venue_action(session, principal, venue_id)
    venue_service.suspend(session, venue=venue)
    audit.record(session, actor=user, action="suspend", subject_type="venue", subject_id=venue.id)
    flash(request, i18n.gettext("Check-ins at this venue are paused."))
    return RedirectResponse(f"/venues/{venue.id}", status_code=303)


@router.post("/venues/{venue_id}/resume")
def venue_resume(
    venue_id: uuid.UUID, request: Request, session: DbSession, principal: CurrentPrincipal
) -> Response:
    user, venue = _venue_action(session, principal, venue_id)
    venue_service.resume(session, venue=venue)
    audit.record(session, actor=user, action="resume", subject_type="venue", subject_id=venue.id)
    flash(request, i18n.gettext("The venue is open for check-ins again."))
    return RedirectResponse(f"/venues/{venue.id}", status_code=303)


@router.post("/venues/{venue_id}/reissue")
def venue_reissue(
    venue_id: uuid.UUID, request: Request, session: DbSession, principal: CurrentPrincipal
) -> Response:
    user, venue = _venue_action(session, principal, venue_id)
    venue_service.reissue_code(session, venue=venue)
    audit.record(
        session, actor=user, action="reissue_code", subject_type="venue", subject_id=venue.id
    )
    flash(request, i18n.gettext("A new code was issued; the old posters no longer work."))
    return RedirectResponse(f"/venues/{venue.id}", status_code=303)


@router.post("/venues/{venue_id}/operators")
def venue_add_operator(
    venue_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    username: Annotated[str, Form(max_length=80)] = "",
) -> Response:
    user, venue = _venue_action(session, principal, venue_id)
    account = account_service.get_by_username(session, username=username.strip())
    if account is None:
        flash(
            request,
            i18n.gettext("There is no staff account %(username)s.", username=username),
            "error",
        )
        return RedirectResponse(f"/venues/{venue.id}", status_code=303)
    venue_service.add_operator(session, venue=venue, user_id=account.id)
    audit.record(
        session,
        actor=user,
        action="add_operator",
        subject_type="venue",
        subject_id=venue.id,
        detail={"user_id": str(account.id)},
    )
    flash(request, i18n.gettext("%(username)s now operates this venue.", username=username))
    return RedirectResponse(f"/venues/{venue.id}", status_code=303)
