"""Who may issue verification codes and see exposure figures, scoped by area."""

from __future__ import annotations

from sqlalchemy.orm import Session

from epitrace.errors import N_, InvalidInput
from epitrace.security.permissions import Principal, require
from epitrace.security.roles import Action


def can_issue_codes(session: Session, principal: Principal | None, *, area_code: str) -> Principal:
    """A health officer issues codes for cases of their own area."""
    return require(principal, Action.EXPOSURE_CODES, area_code, session=session)


def can_list_codes(principal: Principal | None) -> Principal:
    return require(principal, Action.EXPOSURE_CODES)


def can_see_counts(
    session: Session, principal: Principal | None, *, area_code: str | None
) -> tuple[Principal, str | None]:
    """Figures for an area the principal covers; without an area, their only grant's area."""
    if area_code:
        user = require(principal, Action.EXPOSURE_COUNTS, area_code, session=session)
        return user, area_code
    user = require(principal, Action.EXPOSURE_COUNTS)
    areas = {g.area_code for g in user.grants_for(Action.EXPOSURE_COUNTS)}
    if None in areas:
        return user, None
    if len(areas) == 1:
        return user, next(iter(areas))
    raise InvalidInput(N_("Choose an area."), fields={"area": N_("Choose an area.")})
