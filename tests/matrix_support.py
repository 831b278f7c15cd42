"""Shared types for the permission matrix (`tests/<domain>/matrix.py`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from epitrace.config import Settings
from epitrace.security.keys import Keyring
from epitrace.security.roles import Action, Role

ALLOWED_DEFAULT = (200, 201, 202, 204, 303)


@dataclass
class Users:
    """The matrix's accounts: one staff account per role, all granted on area "79"."""

    ids: dict[Role, uuid.UUID] = field(default_factory=dict)
    citizen_user_id: uuid.UUID | None = None
    citizen_person_id: uuid.UUID | None = None
    citizen_pseudonym: str = ""
    # the app's own keyring and settings, for setups that sign codes or store files
    keyring: Keyring | None = None
    settings: Settings | None = None


@dataclass(frozen=True)
class RouteCase:
    method: str
    path: str  # the route's template, exactly as registered
    action: Action  # the action the route requires
    inside: str  # a concrete URL (may hold {placeholders} from setup) inside area 79
    outside: str | None = None  # the same for an object in area 01; None: not area-scoped
    body: dict[str, Any] | None = None
    form: dict[str, str] | None = None
    # the request body naming an object of area 01, when the area is in the body (not the URL)
    outside_body: dict[str, Any] | None = None
    outside_form: dict[str, str] | None = None
    ok: tuple[int, ...] = ALLOWED_DEFAULT
    setup: Callable[[Session, Users], dict[str, str]] | None = None


def fill(value: Any, names: dict[str, str]) -> Any:
    """Replace {placeholders} in strings, lists and dicts."""
    if isinstance(value, str):
        return value.format(**names) if "{" in value else value
    if isinstance(value, list):
        return [fill(v, names) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, names) for k, v in value.items()}
    return value
