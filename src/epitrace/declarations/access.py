"""Who may declare for whom, see whose pass, and read the declarations of an area."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from epitrace.accounts import service as account_service
from epitrace.errors import N_, Forbidden
from epitrace.places import service as place_service
from epitrace.security.permissions import Principal, require
from epitrace.security.roles import Action


@dataclass(frozen=True)
class Citizen:
    principal: Principal
    person_id: uuid.UUID


def citizen(principal: Principal | None) -> Citizen:
    user = require(principal, Action.CITIZEN_SELF)
    if user.person_id is None:
        raise Forbidden(N_("Only citizens have a personal profile."))
    return Citizen(user, user.person_id)


def act_for(session: Session, principal: Principal | None, person_id: uuid.UUID) -> Citizen:
    """A citizen acts for themselves and for the relatives in their care, nobody else."""
    me = citizen(principal)
    if not account_service.may_act_for(
        session, account_person_id=me.person_id, person_id=person_id
    ):
        raise Forbidden(N_("You can act only for yourself and the relatives in your care."))
    return me


def verify_passes(principal: Principal | None) -> Principal:
    return require(principal, Action.PASSES_VERIFY)


@dataclass(frozen=True)
class Area:
    principal: Principal
    code: str | None  # None: the whole country
    path: str | None


def area(session: Session, principal: Principal | None, action: Action, code: str | None) -> Area:
    """The area a list is scoped to: the one asked for (if the role covers it) or the role's own."""
    if code:
        user = require(principal, action, code, session=session)
        return Area(user, code, place_service.path_of(session, code=code))
    user = require(principal, action)
    grants = user.grants_for(action)
    for grant in grants:
        if grant.area_code is None:
            return Area(user, None, None)
    first = grants[0]
    return Area(user, first.area_code, first.area_path)


def review(session: Session, principal: Principal | None, code: str | None) -> Area:
    return area(session, principal, Action.DECLARATIONS_REVIEW, code)


def counts(session: Session, principal: Principal | None, code: str | None) -> Area:
    return area(session, principal, Action.DECLARATIONS_COUNTS, code)


def reviewer(principal: Principal | None) -> Principal:
    return require(principal, Action.DECLARATIONS_REVIEW)


def follow_up(session: Session, principal: Principal | None, ward_code: str) -> Principal:
    return require(principal, Action.DECLARATIONS_REVIEW, ward_code, session=session)
