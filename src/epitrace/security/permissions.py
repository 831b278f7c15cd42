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

from epitrace.errors import N_, Forbidden, Unauthorized
from epitrace.places import service as place_service
from epitrace.security.roles import ROLE_ACTIONS, Action, Role

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
        raise Unauthorized(N_("Please sign in to continue."), code="unauthenticated")
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
