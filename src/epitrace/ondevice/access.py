"""Who publishes and withdraws hotspot notices (health officers, in their area) and who reads
a venue's anonymous counts (the officials who read check-in counts)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from epitrace.security.permissions import Principal, require
from epitrace.security.roles import Action


def publish(principal: Principal | None, session: Session, ward_code: str | None) -> Principal:
    """Marking a hotspot is what warns a venue's visitors: the same right as a central alert."""
    return require(principal, Action.ALERTS_CONTACT, ward_code, session=session)


def counts(principal: Principal | None, session: Session, ward_code: str) -> Principal:
    return require(principal, Action.CHECKINS_COUNTS, ward_code, session=session)
