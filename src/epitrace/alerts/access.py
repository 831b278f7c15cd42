"""Who may read which notices and counts, and launch which messages."""

from __future__ import annotations

from sqlalchemy.orm import Session

from epitrace.security.permissions import Principal, require
from epitrace.security.roles import Action


def inbox_owner(principal: Principal | None) -> Principal:
    """Every account reads and manages its own inbox, and nobody else's."""
    return require(principal, Action.INBOX)


def counts(principal: Principal | None, session: Session, area: str | None) -> Principal:
    """Delivery counts of an area: officials, health officers and the DIC of that area."""
    return require(principal, Action.ALERTS_COUNTS, area, session=session)


def counts_any(principal: Principal | None) -> Principal:
    return require(principal, Action.ALERTS_COUNTS)


def campaigns(principal: Principal | None, session: Session, area: str | None) -> Principal:
    return require(principal, Action.CAMPAIGNS_MANAGE, area, session=session)


def campaigns_any(principal: Principal | None) -> Principal:
    return require(principal, Action.CAMPAIGNS_MANAGE)


def approve(principal: Principal | None, session: Session, area: str | None) -> Principal:
    return require(principal, Action.CAMPAIGNS_APPROVE, area, session=session)
