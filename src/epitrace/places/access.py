"""Who may read administrative units: every signed-in user (they are public reference data)."""

from __future__ import annotations

from epitrace.security.permissions import Principal, require
from epitrace.security.roles import Action


def can_read(principal: Principal | None) -> Principal:
    return require(principal, Action.PLACES_READ)
