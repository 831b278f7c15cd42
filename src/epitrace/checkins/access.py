"""Who may check in (citizens, for themselves and dependents), run a door, and see counts."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from epitrace.accounts import access as account_access
from epitrace.places import service as place_service
from epitrace.security.permissions import Principal, require
from epitrace.security.roles import Action
from epitrace.venues import access as venue_access
from epitrace.venues.models import Venue


def citizen(principal: Principal | None) -> tuple[Principal, uuid.UUID]:
    person_id = account_access.citizen_person_id(principal)
    assert principal is not None  # noqa: S101 - checked just above
    return principal, person_id


def door(session: Session, principal: Principal | None, venue: Venue) -> Principal:
    """Operators of the venue, and org admins of its area."""
    return venue_access.can_operate_door(session, principal, venue)


def counts(
    session: Session, principal: Principal | None, area_code: str | None
) -> tuple[Principal, list[str | None]]:
    """Officials see counts for their area (or one unit inside it); no personal data."""
    if area_code:
        user = require(principal, Action.CHECKINS_COUNTS, area_code, session=session)
        path = place_service.path_of(session, code=area_code)
        return user, [path]
    user = require(principal, Action.CHECKINS_COUNTS)
    return user, user.area_paths(Action.CHECKINS_COUNTS)
