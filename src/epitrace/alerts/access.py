"""Who may read which notices and counts, and launch which messages."""

from __future__ import annotations

from sqlalchemy.orm import Session

from epitrace.alerts.models import Campaign
from epitrace.errors import N_, Forbidden
from epitrace.places import service as place_service
from epitrace.security.permissions import Grant, Principal, require
from epitrace.security.roles import Action, Role

# the alert kinds whose delivery health officers follow (they send them)
HEALTH_KINDS = frozenset({"contact_alert", "venue_alert"})


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


def campaign_read(principal: Principal | None, session: Session, campaign: Campaign) -> Principal:
    return require(principal, Action.CAMPAIGNS_READ, campaign.area_code, session=session)


def campaign_manage(principal: Principal | None, session: Session, campaign: Campaign) -> Principal:
    return require(principal, Action.CAMPAIGNS_MANAGE, campaign.area_code, session=session)


def campaign_approve(
    principal: Principal | None, session: Session, campaign: Campaign
) -> Principal:
    return require(principal, Action.CAMPAIGNS_APPROVE, campaign.area_code, session=session)


def _count_grants(user: Principal, kind: str | None) -> list[Grant]:
    """Grants that show counts of this kind: health officers only their own alerts' kinds."""
    return [
        g
        for g in user.grants_for(Action.ALERTS_COUNTS)
        if g.role is not Role.HEALTH_OFFICER or kind in HEALTH_KINDS
    ]


def _covers(grant: Grant, path: str) -> bool:
    return grant.area_path is None or path.startswith(grant.area_path)


def kind_counts(
    principal: Principal | None, session: Session, *, area_code: str, kind: str | None
) -> Principal:
    """Delivery counts of a kind of alert (None: all kinds) in an area the caller oversees."""
    user = require(principal, Action.ALERTS_COUNTS)
    path = place_service.path_of(session, code=area_code)
    if path is None:
        raise Forbidden(N_("This area is outside your responsibility."))
    grants = _count_grants(user, kind)
    if not grants:
        raise Forbidden(N_("Your role does not show the delivery of this kind of message."))
    if not any(_covers(g, path) for g in grants):
        raise Forbidden(N_("This area is outside your responsibility."))
    return user


def campaign_counts(
    principal: Principal | None, session: Session, campaign: Campaign
) -> list[str | None] | None:
    """The wards whose delivery counts of a campaign the caller may see: None for all of them
    (an official of the campaign's whole area), else the caller's areas inside it (a ward or
    district official sees their own area's counts only)."""
    user = require(principal, Action.ALERTS_COUNTS)
    path = place_service.path_of(session, code=campaign.area_code) or ""
    grants = _count_grants(user, "campaign")
    if any(_covers(g, path) for g in grants):
        return None
    inner: list[str | None] = [
        g.area_path for g in grants if g.area_path and g.area_path.startswith(path)
    ]
    if not inner:
        raise Forbidden(N_("This area is outside your responsibility."))
    return inner
