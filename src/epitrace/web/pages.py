"""Shell pages: home, staff home, API docs, language switch, health check, web app manifest."""

from __future__ import annotations

from functools import lru_cache

from fastapi import Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse
from sqlalchemy import select, text

from epitrace.db import utcnow
from epitrace.domains import domain_modules
from epitrace.errors import N_
from epitrace.places.models import AdminUnit
from epitrace.security.permissions import public, require
from epitrace.security.roles import Action, Role
from epitrace.web import i18n
from epitrace.web.deps import CurrentPrincipal, DbSession
from epitrace.web.figures import StaffFigure
from epitrace.web.links import StaffLink
from epitrace.web.redirects import safe_next
from epitrace.web.routing import make_router
from epitrace.web.templating import render

router = make_router(include_in_schema=False)

ROLE_NAMES = {
    Role.VENUE_OPERATOR: N_("Venue operator"),
    Role.ORG_ADMIN: N_("Agency / enterprise admin"),
    Role.WARD_OFFICIAL: N_("Ward official"),
    Role.DISTRICT_OFFICIAL: N_("District official"),
    Role.PROVINCE_OFFICIAL: N_("Province official"),
    Role.HEALTH_OFFICER: N_("Health officer"),
    Role.DIC_OFFICER: N_("Department of Information and Communications"),
    Role.SECTOR_DIRECTOR: N_("Sector director (provincial department)"),
    Role.SYSTEM_ADMIN: N_("System administrator"),
    Role.CITIZEN: N_("Citizen"),
}


@lru_cache(maxsize=1)
def all_links() -> tuple[StaffLink, ...]:
    links: list[StaffLink] = []
    for module in domain_modules("links"):
        links.extend(getattr(module, "LINKS", []))
    return tuple(links)


@lru_cache(maxsize=1)
def all_figures() -> tuple[StaffFigure, ...]:
    figures: list[StaffFigure] = []
    for module in domain_modules("figures"):
        figures.extend(getattr(module, "FIGURES", []))
    return tuple(figures)


@router.get("/", response_class=HTMLResponse)
@public
def home(request: Request, principal: CurrentPrincipal) -> HTMLResponse:
    return render(request, "home.html")


@router.get("/staff", response_class=HTMLResponse)
def staff_home(request: Request, session: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    user = require(principal, Action.STAFF_HOME)
    codes = [g.area_code for g in user.grants if g.area_code]
    names = dict(
        session.execute(
            select(AdminUnit.code, AdminUnit.name).where(AdminUnit.code.in_(codes))
        ).all()
    )
    now = utcnow()
    figures = [
        {
            "href": figure.href,
            "label": i18n.gettext(figure.label),
            "value": figure.value(session, user.area_paths(figure.action), now),
        }
        for figure in all_figures()
        if user.can(figure.action)
    ]
    seen: set[str] = set()
    links = []
    for link in all_links():
        if user.can(link.action) and link.href not in seen:
            seen.add(link.href)
            links.append({"href": link.href, "label": i18n.gettext(link.label)})
    return render(
        request,
        "staff_home.html",
        {
            "grants": user.grants,
            "area_names": names,
            "links": links,
            "figures": figures,
            "role_names": {r: i18n.gettext(n) for r, n in ROLE_NAMES.items()},
        },
    )


@router.get("/lang/{code}")
@public
def switch_language(code: str, next: str = "/") -> RedirectResponse:
    target = safe_next(next, "/")
    response = RedirectResponse(target, status_code=303)
    if code in i18n.LOCALES:
        response.set_cookie("lang", code, max_age=365 * 86400, samesite="lax")
    return response


@router.get("/docs", response_class=HTMLResponse)
@public
def api_docs(request: Request, principal: CurrentPrincipal) -> HTMLResponse:
    """The API reference: Swagger UI served from the package, so it works without a network."""
    return render(request, "api_docs.html")


@router.get("/healthz")
@public
def healthz(session: DbSession) -> JSONResponse:
    session.execute(text("SELECT 1"))
    return JSONResponse({"status": "ok", "database": session.get_bind().dialect.name})


@router.get("/favicon.ico")
@public
def favicon() -> FileResponse:
    """Browsers ask for it on every site whatever the page says; answer instead of 404."""
    return FileResponse(
        i18n.PACKAGE_DIR / "web" / "static" / "favicon.ico",
        media_type="image/vnd.microsoft.icon",
        headers={"Cache-Control": "public, max-age=604800"},
    )


@router.get("/manifest.webmanifest")
@public
def manifest() -> FileResponse:
    return FileResponse(
        i18n.PACKAGE_DIR / "web" / "static" / "manifest.webmanifest",
        media_type="application/manifest+json",
    )
