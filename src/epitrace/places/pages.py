"""Pages for browsing administrative units."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from epitrace.places import access
from epitrace.places import service as place_service
from epitrace.web.deps import CurrentPrincipal, DbSession
from epitrace.web.routing import make_router
from epitrace.web.templating import render

router = make_router(include_in_schema=False)


@router.get("/places", response_class=HTMLResponse)
def places_index(
    request: Request, session: DbSession, principal: CurrentPrincipal, q: str | None = None
) -> HTMLResponse:
    access.can_read(principal)
    units = (
        place_service.search(session, query=q, limit=50)
        if q
        else place_service.get_children(session, code=None)
    )
    return render(
        request, "places/index.html", {"units": units, "q": q or "", "unit": None, "parents": []}
    )


@router.get("/places/{code}", response_class=HTMLResponse)
def place_detail(
    code: str, request: Request, session: DbSession, principal: CurrentPrincipal
) -> HTMLResponse:
    access.can_read(principal)
    unit = place_service.get_or_404(session, code=code)
    return render(
        request,
        "places/index.html",
        {
            "unit": unit,
            "parents": place_service.get_ancestors(session, code=code),
            "units": place_service.get_children(session, code=code),
            "q": "",
        },
    )
