"""Shared types and helpers of the permission matrix (`tests/<domain>/matrix.py`)."""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from epitrace.accounts import service as account_service
from epitrace.accounts.sms import FileSmsChannel
from epitrace.config import Settings
from epitrace.db import Database
from epitrace.security.keys import Keyring
from epitrace.security.permissions import is_public
from epitrace.security.roles import STAFF_ROLES, Action, Role
from epitrace.web.routing import iter_api_routes
from tests import factories

TESTS_DIR = Path(__file__).resolve().parent
CITIZEN_PHONE = "0987654321"

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
    # True when the request creates a subject whose area is the one it names (a new venue, a
    # new account's role): the outside request names area 01 itself, and no stored area exists
    new_subject: bool = False
    files: dict[str, tuple[str, bytes, str]] | None = None  # multipart uploads
    ok: tuple[int, ...] = ALLOWED_DEFAULT
    setup: Callable[[Session, Users], dict[str, str]] | None = None
    # The roles that succeed inside, when the subject allows fewer than the action does (a
    # ward's report is submitted by the ward, not by an organisation admin); a subset of the
    # action's roles, the others must get 403.
    roles: frozenset[Role] | None = None


def fill(value: Any, names: dict[str, str]) -> Any:
    """Replace {placeholders} in strings, lists and dicts."""
    if isinstance(value, str):
        return value.format(**names) if "{" in value else value
    if isinstance(value, list):
        return [fill(v, names) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, names) for k, v in value.items()}
    return value


def matrix_modules() -> list[ModuleType]:
    names = sorted(p.parent.name for p in TESTS_DIR.glob("*/matrix.py"))
    return [importlib.import_module(f"tests.{name}.matrix") for name in names]


def all_cases() -> list[tuple[RouteCase, Any]]:
    """Every route case of every domain, with the setup that fills its placeholders."""
    cases = []
    for module in matrix_modules():
        for case in module.CASES:
            cases.append((case, case.setup or getattr(module, "setup", None)))
    return cases


def protected_routes(app: FastAPI) -> set[tuple[str, str]]:
    routes = set()
    for route in iter_api_routes(app.routes):
        if not is_public(route.endpoint):
            for method in route.methods - {"HEAD", "OPTIONS"}:
                routes.add((method, route.path))
    return routes


def make_users(client: TestClient, db: Database, sms: FileSmsChannel, settings: Settings) -> Users:
    """One staff account per role on area 79, and a signed-up citizen."""
    users = Users(keyring=Keyring(settings.keys_dir), settings=settings)
    with db.session_scope() as s:
        for role in STAFF_ROLES:
            account = account_service.create_staff(
                s,
                username=f"m-{role.value}",
                password=factories.STAFF_PASSWORD,
                grants=[(role, "79")],
                granter=None,
            )
            users.ids[role] = account.id
    citizen_headers = factories.citizen_headers(client, sms, CITIZEN_PHONE)
    me = client.get("/api/v1/me", headers=citizen_headers).json()
    users.citizen_user_id = uuid.UUID(me["user_id"])
    users.citizen_person_id = uuid.UUID(me["person_id"])
    with db.session_scope() as s:
        users.citizen_pseudonym = account_service.get_person(
            s, person_id=users.citizen_person_id
        ).pseudonym
    return users


def fresh_tokens(db: Database, users: Users) -> dict[Role, dict[str, str]]:
    """New bearer tokens for every account (a case may revoke the one it used)."""
    accounts = {**users.ids, Role.CITIZEN: users.citizen_user_id}
    headers = {}
    with db.session_scope() as s:
        for role, user_id in accounts.items():
            account = account_service.get_account_or_404(s, user_id=user_id)
            token, _ttl = account_service.issue_token(s, account=account, ttl_seconds=600)
            headers[role] = {"Authorization": f"Bearer {token}"}
    return headers


def run_setup(db: Database, setup: Any, users: Users) -> dict[str, str]:
    if setup is None:
        return {}
    with db.session_scope() as s:
        names: dict[str, str] = setup(s, users)
    return names


def send(
    client: TestClient,
    case: RouteCase,
    url: str,
    names: dict[str, str],
    headers: dict[str, str],
    *,
    body: dict[str, Any] | None = None,
    form: dict[str, str] | None = None,
) -> Any:
    """One request of a route case (body and form default to the case's own)."""
    kwargs: dict[str, Any] = {"headers": {**headers, "Accept": "application/json"}}
    body = body if body is not None else case.body
    form = form if form is not None else case.form
    if body is not None:
        kwargs["json"] = fill(body, names)
    if form is not None:
        kwargs["data"] = fill(form, names)
    if case.files is not None:
        kwargs["files"] = case.files
    return client.request(case.method, fill(url, names), follow_redirects=False, **kwargs)
