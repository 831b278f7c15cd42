"""Staff pages of rollout oversight: the hub, organisations and their admins, sector directors."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from epitrace.db import utcnow
from epitrace.errors import N_, DomainError, Forbidden, InvalidInput
from epitrace.places import service as place_service
from epitrace.rollout import access, rosters, templates_xlsx, ui
from epitrace.rollout import organisations as org_service
from epitrace.rollout.spreadsheets import FileRejected, read_upload
from epitrace.security import audit
from epitrace.security.permissions import Principal, require
from epitrace.security.roles import Action
from epitrace.venues import service as venue_service
from epitrace.venues.models import Organisation, Sector
from epitrace.web import i18n
from epitrace.web.deps import CurrentPrincipal, DbSession, ensure_csrf, flash
from epitrace.web.fields import MAX_OFFSET
from epitrace.web.routing import make_router
from epitrace.web.templating import render

router = make_router(include_in_schema=False)

PAGE_SIZE = 100


# -- hub ---------------------------------------------------------------------------------


@router.get("/rollout", response_class=HTMLResponse)
def rollout_home(request: Request, session: DbSession, principal: CurrentPrincipal) -> Response:
    user = require(principal, Action.STAFF_HOME)
    sections = [
        (Action.ROLLOUT_READ, "/rollout/dashboard", N_("Province dashboard")),
        (Action.ROLLOUT_ORG_READ, "/rollout/organisations", N_("Organisations")),
        (Action.REPORTS_READ, "/rollout/reports", N_("Periodic reports")),
        (Action.REPORTS_READ, "/rollout/adhoc", N_("Ad-hoc requests")),
        (Action.ROLLOUT_MANAGE, "/rollout/sectors", N_("Sector directors")),
        (Action.ROLLOUT_TEAMS, "/rollout/teams", N_("Community teams")),
        (Action.ROLLOUT_READ, "/rollout/coverage", N_("Coverage of households")),
        (Action.ROLLOUT_VISIT, "/rollout/visits", N_("Household visits")),
    ]
    links = [
        {"href": href, "label": i18n.gettext(label)}
        for action, href, label in sections
        if user.can(action)
    ]
    if not links:
        require(user, Action.ROLLOUT_ORG_READ)  # refuses with the reason
    return render(request, "rollout/home.html", {"links": links})


# -- organisations -----------------------------------------------------------------------


def _list_context(
    session: Session,
    user: Principal,
    *,
    q: str | None,
    sector: str | None,
    kind: str | None,
    page: int,
) -> dict[str, Any]:
    scope = access.org_scope(session, user, Action.ROLLOUT_ORG_READ)
    filters: dict[str, Any] = {
        "query": q or None,
        "sector": org_service.parse_sector(sector) if sector else None,
        "kind": org_service.parse_kind(kind) if kind else None,
    }
    items = venue_service.get_organisations(
        session,
        scopes=scope.scopes,
        scope_ids=scope.ids,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
        **filters,
    )
    total = venue_service.count_organisations(
        session, scopes=scope.scopes, scope_ids=scope.ids, **filters
    )
    return {
        "organisations": items,
        "total": total,
        "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "q": q or "",
        "sector": sector or "",
        "kind": kind or "",
        "kinds": ui.kind_labels(),
        "sectors": ui.sector_labels(),
        "ward_names": ui.ward_names(session, {o.ward_code for o in items}),
        "can_manage": user.can(Action.ROLLOUT_ORGANISATIONS),
        "problems": [],
        "import_message": "",
    }


@router.get("/rollout/organisations", response_class=HTMLResponse)
def organisations_page(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    q: Annotated[str | None, Query(max_length=100)] = None,
    sector: Annotated[str | None, Query(max_length=40)] = None,
    kind: Annotated[str | None, Query(max_length=40)] = None,
    page: Annotated[int, Query(ge=1, le=MAX_OFFSET // PAGE_SIZE)] = 1,
) -> Response:
    user = access.can_list(principal)
    ensure_csrf(request)
    context = _list_context(session, user, q=q, sector=sector, kind=kind, page=page)
    return render(request, "rollout/organisations.html", context)


@router.post("/rollout/organisations/import", response_class=HTMLResponse)
async def organisations_import(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    user = access.can_list(principal, Action.ROLLOUT_ORGANISATIONS)
    try:
        if file is None or not file.filename:
            raise InvalidInput(N_("Choose a file to upload."), fields={"file": N_("Required.")})
        content = await read_upload(file)
        result = org_service.import_organisations(
            session, principal=user, filename=file.filename, content=content
        )
    except FileRejected as exc:
        session.rollback()
        context = _list_context(session, user, q=None, sector=None, kind=None, page=1)
        context["problems"] = exc.problems
        context["import_message"] = i18n.gettext(exc.message, **exc.params)
        context["field_labels"] = {k: i18n.gettext(v) for k, v in org_service.FIELD_LABELS.items()}
        return render(request, "rollout/organisations.html", context, status_code=422)
    except InvalidInput as exc:
        session.rollback()
        context = _list_context(session, user, q=None, sector=None, kind=None, page=1)
        context["import_message"] = i18n.gettext(exc.message, **exc.params)
        return render(request, "rollout/organisations.html", context, status_code=422)
    audit.record(
        session,
        actor=user,
        action="import",
        subject_type="organisation",
        subject_id=file.filename,
        detail={"created": result.created, "updated": result.updated},
    )
    flash(
        request,
        i18n.gettext(
            "The list was loaded: %(created)s organisations registered, %(updated)s updated.",
            created=result.created,
            updated=result.updated,
        ),
    )
    return RedirectResponse("/rollout/organisations", status_code=303)


@router.get("/rollout/organisations/template.xlsx")
def organisations_template(principal: CurrentPrincipal) -> Response:
    require(principal, Action.ROLLOUT_ORGANISATIONS)
    return templates_xlsx.organisations_template()


def _form_context(
    session: Session,
    user: Principal,
    *,
    organisation: Organisation | None,
    form: dict[str, Any],
    errors: dict[str, str],
) -> dict[str, Any]:
    return {
        "organisation": organisation,
        "form": form,
        "errors": errors,
        "kinds": ui.kind_labels(),
        "sectors": ui.sector_labels(),
        "wards": ui.wards_for(session, user, Action.ROLLOUT_ORGANISATIONS),
    }


def _organisation_form(
    name: str,
    kind: str,
    sector: str,
    ward_code: str,
    tax_code: str,
    address: str,
    head_name: str,
    head_title: str,
    contact_phone: str,
    contact_email: str,
) -> dict[str, Any]:
    return {
        "name": name,
        "kind": kind,
        "sector": sector,
        "ward_code": ward_code,
        "tax_code": tax_code,
        "address": address,
        "head_name": head_name,
        "head_title": head_title,
        "contact_phone": contact_phone,
        "contact_email": contact_email,
    }


FormText = Annotated[str, Form(max_length=300)]


@router.get("/rollout/organisations/new", response_class=HTMLResponse)
def organisation_new(request: Request, session: DbSession, principal: CurrentPrincipal) -> Response:
    user = access.can_list(principal, Action.ROLLOUT_ORGANISATIONS)
    ensure_csrf(request)
    context = _form_context(session, user, organisation=None, form={}, errors={})
    return render(request, "rollout/organisation_form.html", context)


def _validated(session: Session, form: dict[str, Any]) -> tuple[Sector, str]:
    """Kind, sector and ward as the form sent them, with a per-field message when wrong."""
    errors: dict[str, str] = {}
    if venue_service.organisation_kind(form["kind"]) is None:
        errors["kind"] = N_("Choose one of the allowed values.")
    sector = org_service.parse_sector(form["sector"])
    if sector is None:
        errors["sector"] = N_("Choose one of the allowed values.")
    if place_service.get(session, code=form["ward_code"]) is None:
        errors["ward_code"] = N_("Choose a ward from the list of administrative units.")
    if errors or sector is None:
        raise InvalidInput(N_("Some fields are not valid."), fields=errors)
    return sector, form["ward_code"]


@router.post("/rollout/organisations", response_class=HTMLResponse)
def organisation_create(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    name: FormText = "",
    kind: FormText = "",
    sector: FormText = "",
    ward_code: FormText = "",
    tax_code: FormText = "",
    address: FormText = "",
    head_name: FormText = "",
    head_title: FormText = "",
    contact_phone: FormText = "",
    contact_email: FormText = "",
) -> Response:
    user = access.can_list(principal, Action.ROLLOUT_ORGANISATIONS)
    form = _organisation_form(
        name, kind, sector, ward_code, tax_code, address, head_name, head_title,
        contact_phone, contact_email,
    )  # fmt: skip
    try:
        chosen_sector, ward = _validated(session, form)
        access.create_in(session, principal, ward, chosen_sector)
        organisation = venue_service.create_organisation(session, **form)
    except InvalidInput as exc:
        session.rollback()
        errors = {k: i18n.gettext(v) for k, v in exc.fields.items()}
        errors["form"] = i18n.gettext(exc.message, **exc.params)
        context = _form_context(session, user, organisation=None, form=form, errors=errors)
        return render(request, "rollout/organisation_form.html", context, status_code=422)
    audit.record(
        session,
        actor=user,
        action="create",
        subject_type="organisation",
        subject_id=organisation.id,
    )
    flash(request, i18n.gettext("The organisation was registered."))
    return RedirectResponse(f"/rollout/organisations/{organisation.id}", status_code=303)


@router.get("/rollout/organisations/{organisation_id}", response_class=HTMLResponse)
def organisation_page(
    organisation_id: uuid.UUID, request: Request, session: DbSession, principal: CurrentPrincipal
) -> Response:
    organisation = venue_service.get_organisation(session, organisation_id=organisation_id)
    user = access.organisation(session, principal, Action.ROLLOUT_ORG_READ, organisation)
    ensure_csrf(request)
    can_manage = access.may(session, user, Action.ROLLOUT_ORGANISATIONS, organisation)
    return render(
        request,
        "rollout/organisation.html",
        {
            "organisation": organisation,
            "ward": place_service.get(session, code=organisation.ward_code),
            "kinds": ui.kind_labels(),
            "sectors": ui.sector_labels(),
            "venues": venue_service.get_venues_of(session, organisation_id=organisation.id),
            "admins": org_service.get_admins(session, organisation_id=organisation.id)
            if can_manage
            else [],
            "can_manage": can_manage,
            "can_roster": access.may(session, user, Action.ROLLOUT_ROSTER, organisation),
            "coverage": rosters.coverage(
                session, organisation=organisation, days=rosters.DEFAULT_DAYS, now=utcnow()
            ),
            "days": rosters.DEFAULT_DAYS,
        },
    )


@router.get("/rollout/organisations/{organisation_id}/edit", response_class=HTMLResponse)
def organisation_edit(
    organisation_id: uuid.UUID, request: Request, session: DbSession, principal: CurrentPrincipal
) -> Response:
    organisation = venue_service.get_organisation(session, organisation_id=organisation_id)
    user = access.organisation(session, principal, Action.ROLLOUT_ORGANISATIONS, organisation)
    ensure_csrf(request)
    form = {name: getattr(organisation, name) or "" for name in venue_service.ORGANISATION_FIELDS}
    form["kind"], form["sector"] = organisation.kind.value, organisation.sector.value
    context = _form_context(session, user, organisation=organisation, form=form, errors={})
    return render(request, "rollout/organisation_form.html", context)


@router.post("/rollout/organisations/{organisation_id}/edit", response_class=HTMLResponse)
def organisation_update(
    organisation_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    name: FormText = "",
    kind: FormText = "",
    sector: FormText = "",
    ward_code: FormText = "",
    tax_code: FormText = "",
    address: FormText = "",
    head_name: FormText = "",
    head_title: FormText = "",
    contact_phone: FormText = "",
    contact_email: FormText = "",
) -> Response:
    organisation = venue_service.get_organisation(session, organisation_id=organisation_id)
    user = access.organisation(session, principal, Action.ROLLOUT_ORGANISATIONS, organisation)
    form = _organisation_form(
        name, kind, sector, ward_code, tax_code, address, head_name, head_title,
        contact_phone, contact_email,
    )  # fmt: skip
    try:
        chosen_sector, ward = _validated(session, form)
        access.create_in(session, principal, ward, chosen_sector)
        venue_service.update_organisation(session, organisation=organisation, **form)
    except InvalidInput as exc:
        session.rollback()
        errors = {k: i18n.gettext(v) for k, v in exc.fields.items()}
        errors["form"] = i18n.gettext(exc.message, **exc.params)
        organisation = venue_service.get_organisation(session, organisation_id=organisation_id)
        context = _form_context(session, user, organisation=organisation, form=form, errors=errors)
        return render(request, "rollout/organisation_form.html", context, status_code=422)
    audit.record(
        session,
        actor=user,
        action="update",
        subject_type="organisation",
        subject_id=organisation.id,
    )
    flash(request, i18n.gettext("The organisation was saved."))
    return RedirectResponse(f"/rollout/organisations/{organisation.id}", status_code=303)


@router.post("/rollout/organisations/{organisation_id}/admins")
def organisation_add_admin(
    organisation_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    username: Annotated[str, Form(max_length=80)] = "",
) -> Response:
    organisation = venue_service.get_organisation(session, organisation_id=organisation_id)
    user = access.organisation(session, principal, Action.ROLLOUT_ORGANISATIONS, organisation)
    try:
        account = org_service.add_admin(
            session, organisation=organisation, username=username.strip()
        )
    except DomainError as exc:
        session.rollback()
        flash(request, i18n.gettext(exc.message, **exc.params), "error")
        return RedirectResponse(f"/rollout/organisations/{organisation_id}", status_code=303)
    audit.record(
        session,
        actor=user,
        action="add_admin",
        subject_type="organisation",
        subject_id=organisation.id,
        detail={"user_id": str(account.id)},
    )
    flash(
        request,
        i18n.gettext(
            "%(username)s now keeps this organisation's roster and reports.",
            username=account.username,
        ),
    )
    return RedirectResponse(f"/rollout/organisations/{organisation.id}", status_code=303)


@router.post("/rollout/organisations/{organisation_id}/admins/{user_id}/remove")
def organisation_remove_admin(
    organisation_id: uuid.UUID,
    user_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
) -> Response:
    organisation = venue_service.get_organisation(session, organisation_id=organisation_id)
    user = access.organisation(session, principal, Action.ROLLOUT_ORGANISATIONS, organisation)
    org_service.remove_admin(session, organisation=organisation, user_id=user_id)
    audit.record(
        session,
        actor=user,
        action="remove_admin",
        subject_type="organisation",
        subject_id=organisation.id,
        detail={"user_id": str(user_id)},
    )
    flash(request, i18n.gettext("The account no longer keeps this organisation's roster."))
    return RedirectResponse(f"/rollout/organisations/{organisation.id}", status_code=303)


# -- sector directors --------------------------------------------------------------------


def _sectors_context(session: Session, user: Principal) -> dict[str, Any]:
    return {
        "directors": org_service.get_directors(
            session, area_paths=user.area_paths(Action.ROLLOUT_MANAGE)
        ),
        "sectors": ui.sector_labels(),
        "errors": {},
        "form": {},
    }


@router.get("/rollout/sectors", response_class=HTMLResponse)
def sectors_page(request: Request, session: DbSession, principal: CurrentPrincipal) -> Response:
    user = require(principal, Action.ROLLOUT_MANAGE)
    ensure_csrf(request)
    return render(request, "rollout/sectors.html", _sectors_context(session, user))


@router.post("/rollout/sectors", response_class=HTMLResponse)
def sectors_assign(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    username: Annotated[str, Form(max_length=80)] = "",
    sector: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    user = require(principal, Action.ROLLOUT_MANAGE)
    try:
        chosen = org_service.parse_sector(sector)
        if chosen is None:
            raise InvalidInput(
                N_("Choose one of the allowed values."),
                fields={"sector": N_("Choose one of the allowed values.")},
            )
        account = org_service.assign_sector(
            session, principal=user, username=username.strip(), sector=chosen
        )
    except DomainError as exc:
        session.rollback()
        context = _sectors_context(session, user)
        context["errors"] = {k: i18n.gettext(v) for k, v in exc.fields.items()}
        context["errors"]["form"] = i18n.gettext(exc.message, **exc.params)
        context["form"] = {"username": username, "sector": sector}
        return render(request, "rollout/sectors.html", context, status_code=exc.status_code)
    audit.record(
        session,
        actor=user,
        action="assign_sector",
        subject_type="user",
        subject_id=account.id,
        detail={"sector": chosen.value},
    )
    flash(request, i18n.gettext("The director now answers for the sector."))
    return RedirectResponse("/rollout/sectors", status_code=303)


@router.post("/rollout/sectors/{user_id}/{sector}/remove")
def sectors_unassign(
    user_id: uuid.UUID,
    sector: Sector,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
) -> Response:
    user = require(principal, Action.ROLLOUT_MANAGE)
    mine = {
        (d.user_id, d.sector)
        for d in org_service.get_directors(
            session, area_paths=user.area_paths(Action.ROLLOUT_MANAGE)
        )
    }
    if (user_id, sector) not in mine:
        raise Forbidden(N_("This area is outside your responsibility."))
    org_service.unassign_sector(session, user_id=user_id, sector=sector)
    audit.record(
        session,
        actor=user,
        action="unassign_sector",
        subject_type="user",
        subject_id=user_id,
        detail={"sector": sector.value},
    )
    flash(request, i18n.gettext("The director no longer answers for the sector."))
    return RedirectResponse("/rollout/sectors", status_code=303)


# The other rollout modules register their routes on this router.
from epitrace.rollout import (  # noqa: E402, F401
    adhoc_pages,
    dashboard_routes,
    formal_routes,
    guide_routes,
    report_pages,
    roster_routes,
    team_routes,
)
