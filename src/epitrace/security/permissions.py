"""The one permission check, `require(principal, action, area)`, and the route guard.

Every route either calls `require` (directly or through a domain's `access.py`) or is marked
`@public`. A route that does neither answers 403 to everyone (see `epitrace.web.routing`):
forgetting a check fails closed, and the permission-matrix test notices.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from epitrace.errors import N_, Forbidden, SignInRequired
from epitrace.places import service as place_service
from epitrace.security.roles import ROLE_ACTIONS, ROLE_RANK, Action, Role

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Grant:
    role: Role
    area_code: str | None  # None: the whole country
    area_path: str | None


@dataclass(frozen=True)
class Principal:
    """The signed-in user as the permission check sees them."""

    user_id: uuid.UUID
    kind: str  # "citizen" | "staff"
    display_name: str
    person_id: uuid.UUID | None = None
    grants: tuple[Grant, ...] = ()
    auth_method: str = "session"  # "session" | "token"

    @property
    def is_citizen(self) -> bool:
        return self.kind == "citizen"

    @property
    def roles(self) -> frozenset[Role]:
        if self.is_citizen:
            return frozenset({Role.CITIZEN})
        return frozenset(g.role for g in self.grants)

    def can(self, action: Action) -> bool:
        return bool(self.roles & ROLE_ACTIONS[action])

    def grants_for(self, action: Action) -> list[Grant]:
        allowed = ROLE_ACTIONS[action]
        return [g for g in self.grants if g.role in allowed]

    def area_paths(self, action: Action) -> list[str | None]:
        """The areas (by path) in which this principal may do `action`; None = everywhere."""
        return [g.area_path for g in self.grants_for(action)]


@dataclass
class _CheckRecord:
    checked: bool = False
    actions: list[str] = field(default_factory=list)


_check_record: ContextVar[_CheckRecord | None] = ContextVar("epitrace_check", default=None)


def mark_checked(action: str) -> None:
    record = _check_record.get()
    if record is not None:
        record.checked = True
        record.actions.append(action)


def require(
    principal: Principal | None,
    action: Action,
    area: str | None = None,
    *,
    session: Session | None = None,
    area_path: str | None = None,
) -> Principal:
    """Allow `action` in `area` (a unit code) or raise Forbidden; returns the principal.

    Without an area the role alone decides (used for lists that are then scoped with
    `scope_paths`). With an area, one of the principal's grants for the action must cover it.
    """
    mark_checked(action.value)
    if principal is None:
        raise SignInRequired(N_("Please sign in to continue."), audience=audience(action))
    if not principal.can(action):
        raise Forbidden(N_("Your role does not allow this."))
    if area is None and area_path is None:
        return principal
    if principal.is_citizen:
        return principal
    if area_path is None:
        if session is None:
            raise ValueError("require() needs a session to resolve an area code")
        area_path = place_service.path_of(session, code=area or "")
        if area_path is None:
            raise Forbidden(N_("This area is outside your responsibility."))
    for path in principal.area_paths(action):
        if path is None or area_path.startswith(path):
            return principal
    raise Forbidden(N_("This area is outside your responsibility."))


def audience(action: Action) -> str:
    """Who may do `action`: "citizen" (citizens only), "staff" (staff only) or "any"."""
    roles = ROLE_ACTIONS[action]
    if roles == {Role.CITIZEN}:
        return "citizen"
    return "any" if Role.CITIZEN in roles else "staff"


def area_within(inner: str | None, outer: str | None) -> bool:
    """True when the area with path `inner` lies inside the area with path `outer`.

    None is the whole country: it contains every area and lies inside no area but itself.
    """
    if outer is None:
        return True
    if inner is None:
        return False
    return inner.startswith(outer)


def grant_covers(held: Grant, role: Role, area_path: str | None) -> bool:
    """True when a grant carrying USERS_MANAGE lets its holder grant `role` in that area."""
    return (
        held.role in ROLE_ACTIONS[Action.USERS_MANAGE]
        and role is not Role.CITIZEN
        and ROLE_RANK[role] <= ROLE_RANK[held.role]
        and area_within(area_path, held.area_path)
    )


def may_grant(principal: Principal | None, role: Role, area_path: str | None) -> bool:
    """The administration rule: roles at or below the granter's own, inside the granter's area.

    The same rule decides revoking a grant and managing (editing, deactivating, resetting the
    password of, signing out) an account: every grant the account holds must be one the
    administrator could have given.
    """
    if principal is None or principal.is_citizen:
        return False
    return any(grant_covers(held, role, area_path) for held in principal.grants)


def is_nationwide_admin(principal: Principal | None) -> bool:
    """An administrator who may grant the highest role in the whole country."""
    return may_grant(principal, Role.SYSTEM_ADMIN, None)


def allow_public() -> None:
    """For routes that serve anyone (sign-in pages, public check-in landing, health check)."""
    mark_checked("public")


def public(func: F) -> F:
    """Mark a route endpoint as needing no permission check."""
    func.__epitrace_public__ = True  # type: ignore[attr-defined]
    return func


def is_public(endpoint: Callable[..., Any]) -> bool:
    return bool(getattr(endpoint, "__epitrace_public__", False))


def begin_checks(*, public_route: bool) -> tuple[_CheckRecord, Token[_CheckRecord | None]]:
    """Start recording permission checks for one request."""
    record = _CheckRecord(checked=public_route)
    return record, _check_record.set(record)


def end_checks(token: Token[_CheckRecord | None]) -> None:
    _check_record.reset(token)
