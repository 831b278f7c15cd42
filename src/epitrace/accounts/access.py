"""Who may read or change accounts: citizens their own profile and dependents; admins staff."""

from __future__ import annotations

import uuid

from epitrace.errors import N_, Forbidden
from epitrace.security.permissions import Principal, require
from epitrace.security.roles import Action


def citizen_self(principal: Principal | None) -> Principal:
    return require(principal, Action.CITIZEN_SELF)


def citizen_person_id(principal: Principal | None) -> uuid.UUID:
    user = citizen_self(principal)
    if user.person_id is None:
        raise Forbidden(N_("Only citizens have a personal profile."))
    return user.person_id


def signed_in(principal: Principal | None) -> Principal:
    """Any signed-in user, for reading or ending their own account session."""
    return require(principal, Action.ACCOUNT_SELF)


def manage_users(principal: Principal | None) -> Principal:
    return require(principal, Action.USERS_MANAGE)
