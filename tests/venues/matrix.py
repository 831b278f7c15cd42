"""Permission-matrix entries of the venue registry routes."""

from __future__ import annotations

from sqlalchemy.orm import Session

from epitrace.security.roles import Action, Role
from epitrace.venues import service as venue_service
from epitrace.venues.models import VenueCategory
from tests.matrix_support import RouteCase, Users


def setup(session: Session, users: Users) -> dict[str, str]:
    inside = venue_service.create(
        session, name="Chợ Bến Thành", category=VenueCategory.MARKET, ward_code="26743"
    )
    outside = venue_service.create(
        session, name="Chợ Hàng Da", category=VenueCategory.MARKET, ward_code="00070"
    )
    # An operator acts only on the venues they run: make the matrix's operator run both.
    for venue in (inside, outside):
        venue_service.add_operator(session, venue=venue, user_id=users.ids[Role.VENUE_OPERATOR])
    org_in = venue_service.create_organisation(
        session, name="Công ty Sài Gòn", kind="enterprise", ward_code="26734"
    )
    org_out = venue_service.create_organisation(
        session, name="Công ty Hà Nội", kind="enterprise", ward_code="00004"
    )
    session.flush()
    return {
        "venue_in": str(inside.id),
        "venue_out": str(outside.id),
        "org_in": str(org_in.id),
        "org_out": str(org_out.id),
    }


VENUE_BODY = {"name": "Quán cà phê Sách", "category": "shop_restaurant", "ward_code": "26743"}
VENUE_FORM = {"name": "Quán cà phê Sách", "category": "shop_restaurant", "ward_code": "26743"}


def _scoped(method: str, suffix: str, action: Action, **kw: object) -> RouteCase:
    return RouteCase(
        method,
        "/api/v1/venues/{venue_id}" + suffix,
        action,
        inside="/api/v1/venues/{venue_in}" + suffix,
        outside="/api/v1/venues/{venue_out}" + suffix,
        **kw,  # type: ignore[arg-type]
    )


def _page(method: str, suffix: str, action: Action, **kw: object) -> RouteCase:
    return RouteCase(
        method,
        "/venues/{venue_id}" + suffix,
        action,
        inside="/venues/{venue_in}" + suffix,
        outside="/venues/{venue_out}" + suffix,
        **kw,  # type: ignore[arg-type]
    )


CASES = [
    RouteCase(
        "POST",
        "/api/v1/venues",
        Action.VENUES_MANAGE,
        inside="/api/v1/venues",
        outside="/api/v1/venues",
        body=VENUE_BODY,
        outside_body={**VENUE_BODY, "ward_code": "00070"},
        new_subject=True,
    ),
    # a venue of the caller's ward linked to an organisation of another province
    RouteCase(
        "POST",
        "/api/v1/venues",
        Action.VENUES_MANAGE,
        inside="/api/v1/venues",
        outside="/api/v1/venues",
        body={**VENUE_BODY, "organisation_id": "{org_in}"},
        outside_body={**VENUE_BODY, "organisation_id": "{org_out}"},
    ),
    RouteCase("GET", "/api/v1/venues", Action.VENUES_READ, inside="/api/v1/venues"),
    _scoped("GET", "", Action.VENUES_READ),
    _scoped("POST", "/suspend", Action.VENUES_MANAGE),
    _scoped("POST", "/resume", Action.VENUES_MANAGE),
    _scoped("POST", "/reissue", Action.VENUES_MANAGE),
    _scoped("GET", "/poster.pdf", Action.VENUES_MANAGE),
    _scoped("GET", "/poster.png", Action.VENUES_MANAGE),
    _scoped("GET", "/operators", Action.VENUES_MANAGE),
    _scoped(
        "POST", "/operators", Action.VENUES_MANAGE, body={"username": "m-ward_official"}, ok=(201,)
    ),
    RouteCase("GET", "/venues", Action.VENUES_READ, inside="/venues"),
    RouteCase(
        "POST",
        "/venues",
        Action.VENUES_MANAGE,
        inside="/venues",
        outside="/venues",
        form=VENUE_FORM,
        outside_form={**VENUE_FORM, "ward_code": "00070"},
        new_subject=True,
    ),
    _page("GET", "", Action.VENUES_READ),
    _page("POST", "/suspend", Action.VENUES_MANAGE, form={}),
    _page("POST", "/resume", Action.VENUES_MANAGE, form={}),
    _page("POST", "/reissue", Action.VENUES_MANAGE, form={}),
    _page("POST", "/operators", Action.VENUES_MANAGE, form={"username": "m-ward_official"}),
]
