"""Who may do what with cases, contacts and quarantine orders, scoped by the record's ward.

Identities of cases and contacts: health officers and system admins (TRACING_IDENTITIES);
every other official with TRACING_COUNTS sees counts only.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from epitrace.errors import Forbidden
from epitrace.security.permissions import Principal, require
from epitrace.security.roles import Action


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
