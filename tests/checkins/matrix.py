"""Permission-matrix entries of the check-in routes (citizen, door and counts)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from epitrace.checkins.models import Presence, PresenceMethod
from epitrace.db import utcnow
from epitrace.declarations import passes
from epitrace.security.roles import Action, Role
from epitrace.venues import codes
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
    for venue in (inside, outside):
        venue_service.add_operator(session, venue=venue, user_id=users.ids[Role.VENUE_OPERATOR])
    presences = {}
    for key, venue in (("in", inside), ("out", outside)):
        presence = Presence(
            venue_id=venue.id,
            ward_code=venue.ward_code,
            person_id=users.citizen_person_id,
            entered_at=utcnow(),
            method=PresenceMethod.SELF_SCAN,
        )
        session.add(presence)
        session.flush()
        presences[key] = str(presence.id)
    assert users.keyring is not None
    return {
        "venue_in": str(inside.id),
        "venue_out": str(outside.id),
        "presence_in": presences["in"],
        "presence_out": presences["out"],
        # signed with the app's own keys: allowed callers get a real check-in or door scan
        "token_in": codes.make_token(
            users.keyring, number=inside.number, code_version=inside.code_version
        ),
        "pass": passes.issue(
            users.keyring,
            pseudonym=users.citizen_pseudonym,
            colour=passes.Colour.GREEN,
            now=utcnow(),
        ),
    }


def _door(method: str, suffix: str, **kw: object) -> RouteCase:
    return RouteCase(
        method,
        "/api/v1/venues/{venue_id}" + suffix.replace("{p}", "{presence_id}"),
        Action.DOOR_OPERATE,
        inside="/api/v1/venues/{venue_in}" + suffix.replace("{p}", "{presence_in}"),
        outside="/api/v1/venues/{venue_out}" + suffix.replace("{p}", "{presence_out}"),
        **kw,  # type: ignore[arg-type]
    )


def _door_page(method: str, suffix: str, **kw: object) -> RouteCase:
    return RouteCase(
        method,
        "/venues/{venue_id}" + suffix.replace("{p}", "{presence_id}"),
        Action.DOOR_OPERATE,
        inside="/venues/{venue_in}" + suffix.replace("{p}", "{presence_in}"),
        outside="/venues/{venue_out}" + suffix.replace("{p}", "{presence_out}"),
        **kw,  # type: ignore[arg-type]
    )


MANUAL = {"full_name": "Bà Năm", "phone": "0912000111", "id_number": "079180001234"}

CASES = [
    RouteCase(
        "POST",
        "/api/v1/checkins",
        Action.CITIZEN_SELF,
        inside="/api/v1/checkins",
        body={"token": "{token_in}"},
        ok=(200, 201),
    ),
    RouteCase(
        "POST",
        "/api/v1/checkins/batch",
        Action.CITIZEN_SELF,
        inside="/api/v1/checkins/batch",
        body={"scans": []},
    ),
    RouteCase("GET", "/api/v1/checkins", Action.CITIZEN_SELF, inside="/api/v1/checkins"),
    RouteCase(
        "POST",
        "/api/v1/checkins/{presence_id}/checkout",
        Action.CITIZEN_SELF,
        inside="/api/v1/checkins/{presence_in}/checkout",
    ),
    RouteCase(
        "GET",
        "/api/v1/checkins/counts",
        Action.CHECKINS_COUNTS,
        inside="/api/v1/checkins/counts?area=26743",
        outside="/api/v1/checkins/counts?area=00070",
    ),
    _door("POST", "/door-scans", body={"text": "{pass}"}, ok=(200, 201)),
    _door("POST", "/manual-entries", body=MANUAL, ok=(201,)),
    _door("POST", "/presences/{p}/exit"),
    _door("GET", "/door-log"),
    RouteCase("POST", "/c/{token}", Action.CITIZEN_SELF, inside="/c/{token_in}", form={}),
    RouteCase("GET", "/checkins", Action.CITIZEN_SELF, inside="/checkins"),
    RouteCase("GET", "/checkins/scan", Action.CITIZEN_SELF, inside="/checkins/scan"),
    RouteCase(
        "POST",
        "/checkins/{presence_id}/checkout",
        Action.CITIZEN_SELF,
        inside="/checkins/{presence_in}/checkout",
        form={},
    ),
    RouteCase(
        "GET",
        "/checkins/counts",
        Action.CHECKINS_COUNTS,
        inside="/checkins/counts?area=26743",
        outside="/checkins/counts?area=00070",
    ),
    RouteCase(
        "GET",
        "/checkins/counts.{fmt}",
        Action.CHECKINS_COUNTS,
        inside="/checkins/counts.xlsx?area=26743",
        outside="/checkins/counts.xlsx?area=00070",
    ),
    _door_page("GET", "/door"),
    _door_page("POST", "/door/manual", form=MANUAL),
    _door_page("POST", "/door/exit/{p}", form={}),
]
