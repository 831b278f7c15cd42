"""Who may send, read and answer feedback: the sender, and the officials of the ward."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from epitrace.errors import N_, Forbidden
from epitrace.feedback.models import Feedback
from epitrace.places import service as place_service
from epitrace.security.permissions import Principal, require
from epitrace.security.roles import Action


def citizen(principal: Principal | None) -> uuid.UUID:
    user = require(principal, Action.CITIZEN_SELF)
    if user.person_id is None:
        raise Forbidden(N_("Only citizens have a personal profile."))
    return user.person_id


def handler(principal: Principal | None) -> Principal:
    return require(principal, Action.FEEDBACK_HANDLE)


def handle(session: Session, principal: Principal | None, feedback: Feedback) -> Principal:
    return require(principal, Action.FEEDBACK_HANDLE, feedback.ward_code, session=session)


def area(
    session: Session, principal: Principal | None, code: str | None
) -> tuple[Principal, str | None, str | None]:
    """The area an inbox shows: the one asked for (if covered) or the role's own."""
    if code:
        user = require(principal, Action.FEEDBACK_HANDLE, code, session=session)
        return user, code, place_service.path_of(session, code=code)
    user = handler(principal)
    grants = user.grants_for(Action.FEEDBACK_HANDLE)
    if any(g.area_code is None for g in grants):
        return user, None, None
    return user, grants[0].area_code, grants[0].area_path


def read_photo(session: Session, principal: Principal | None, feedback: Feedback) -> Principal:
    """The sender sees their own photo; otherwise the ward's officials only."""
    if (
        principal is not None
        and principal.is_citizen
        and principal.person_id is not None
        and principal.person_id == feedback.person_id
    ):
        return require(principal, Action.CITIZEN_SELF)
    return handle(session, principal, feedback)
