"""Who may see and run venues: officials their area; org admins their area; operators their venues.

A venue operator's grant covers an area, but an operator may only act on the venues they
were made operator of; org admins and system administrators act on every venue of their area.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from epitrace.errors import N_, Forbidden
from epitrace.places import service as place_service
from epitrace.security.permissions import Principal, require
from epitrace.security.roles import Action, Role
from epitrace.venues import service as venue_service
from epitrace.venues.models import Organisation, Venue


def _covers(principal: Principal, action: Action, path: str | None, *, roles: set[Role]) -> bool:
    for grant in principal.grants_for(action):
        if grant.role not in roles:
            continue
        if grant.area_path is None or (path is not None and path.startswith(grant.area_path)):
            return True
    return False


def _venue_rule(
    session: Session, principal: Principal | None, action: Action, venue: Venue
) -> Principal:
    user = require(principal, action, venue.ward_code, session=session)
    path = venue_service_path(session, venue)
    others = set(Role) - {Role.VENUE_OPERATOR}
    if _covers(user, action, path, roles=others):
        return user
    if venue_service.is_operator(session, venue_id=venue.id, user_id=user.user_id):
        return user
    raise Forbidden(N_("You do not operate this venue."))


def venue_service_path(session: Session, venue: Venue) -> str | None:
    return place_service.path_of(session, code=venue.ward_code)


def can_list(principal: Principal | None) -> Principal:
    return require(principal, Action.VENUES_READ)


def list_scope(principal: Principal) -> tuple[list[str | None], uuid.UUID | None]:
    """Area paths to list venues in, and the operator to restrict to (operators only)."""
    grants = principal.grants_for(Action.VENUES_READ)
    broader = [g for g in grants if g.role is not Role.VENUE_OPERATOR]
    if broader:
        return [g.area_path for g in broader], None
    return [g.area_path for g in grants], principal.user_id


def can_read(session: Session, principal: Principal | None, venue: Venue) -> Principal:
    return _venue_rule(session, principal, Action.VENUES_READ, venue)


def can_manage(session: Session, principal: Principal | None, venue: Venue) -> Principal:
    return _venue_rule(session, principal, Action.VENUES_MANAGE, venue)


def can_create(
    session: Session,
    principal: Principal | None,
    ward_code: str,
    *,
    organisation: Organisation | None = None,
) -> Principal:
    """A new venue or organisation in this ward; a venue's organisation (as stored) too."""
    user = require(principal, Action.VENUES_MANAGE, ward_code, session=session)
    if organisation is not None:
        require(user, Action.VENUES_MANAGE, organisation.ward_code, session=session)
    return user


def can_operate_door(session: Session, principal: Principal | None, venue: Venue) -> Principal:
    return _venue_rule(session, principal, Action.DOOR_OPERATE, venue)


def can_manage_organisations(principal: Principal | None) -> Principal:
    return require(principal, Action.VENUES_MANAGE)
