"""Who may do what with cases, contacts and quarantine orders, scoped by the record's ward.

Identities of cases and contacts: health officers and system admins (TRACING_IDENTITIES);
every other official with TRACING_COUNTS sees counts only.

Every check on a person, case or order takes the area **stored** for it: a case's or order's
own ward, a person's `cases.service.person_ward` (home ward, else the ward of their latest
case, else of their latest order). A ward that the request names (where a new case or order
is filed) must lie in the caller's area as well, never instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from epitrace.accounts.models import Person
from epitrace.cases import service as case_service
from epitrace.errors import N_, Forbidden, InvalidInput
from epitrace.security.permissions import Principal, require
from epitrace.security.roles import Action


@dataclass(frozen=True)
class PersonScope:
    """The caller allowed to act on a person, and the ward a new record about them is filed in."""

    principal: Principal
    ward_code: str


def _choose_ward() -> InvalidInput:
    return InvalidInput(
        N_("Choose an existing ward."), fields={"ward_code": N_("Choose an existing ward.")}
    )


def for_person(
    principal: Principal | None,
    session: Session,
    action: Action,
    person: Person,
    *,
    named_ward: str | None = None,
) -> PersonScope:
    """Allow `action` on a person by the area stored for them; a named ward must be ours too.

    A person the health system has no area for yet (no home ward, case or order) belongs to
    the caller's own area: the record is filed in the ward the request names, else in the
    caller's area when they hold the action in exactly one.
    """
    user = require(principal, action)
    if named_ward and not case_service.ward_exists(session, named_ward):
        raise _choose_ward()
    stored = case_service.person_ward(session, person=person)
    if stored is not None:
        require(user, action, stored, session=session)
    if named_ward:
        require(user, action, named_ward, session=session)
    if named_ward:
        return PersonScope(user, named_ward)
    if stored is not None:
        return PersonScope(user, stored)
    own = {grant.area_code for grant in user.grants_for(action)}
    if len(own) == 1 and None not in own:
        return PersonScope(user, str(own.pop()))
    raise _choose_ward()


def for_new_person(
    principal: Principal | None, session: Session, action: Action, ward_code: str
) -> Principal:
    """Allow registering a person who is new to the system: their ward must be the caller's."""
    user = require(principal, action)
    if not case_service.ward_exists(session, ward_code):
        raise _choose_ward()
    return require(user, action, ward_code, session=session)


def manage_cases(principal: Principal | None, session: Session, ward: str | None) -> Principal:
    return require(principal, Action.CASES_MANAGE, ward, session=session)


def read_identities(principal: Principal | None, session: Session, ward: str | None) -> Principal:
    return require(principal, Action.TRACING_IDENTITIES, ward, session=session)


def read_counts(principal: Principal | None, session: Session, area: str | None) -> Principal:
    return require(principal, Action.TRACING_COUNTS, area, session=session)


def sees_identities(principal: Principal | None, session: Session, ward: str) -> bool:
    """True when the principal may see identities in this ward (no exception either way)."""
    if principal is None or not principal.can(Action.TRACING_IDENTITIES):
        return False
    try:
        require(principal, Action.TRACING_IDENTITIES, ward, session=session)
    except Forbidden:
        return False
    return True


def manage_quarantine(principal: Principal | None, session: Session, ward: str | None) -> Principal:
    return require(principal, Action.QUARANTINE_MANAGE, ward, session=session)


def citizen_self(principal: Principal | None) -> Principal:
    return require(principal, Action.CITIZEN_SELF)
