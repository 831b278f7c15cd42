"""The permission matrix: every role × every protected route × inside/outside the area.

Each domain lists its routes in `tests/<domain>/matrix.py`. The test fails when a route is
missing from the lists (a new route must be classified), when a role the matrix allows is
refused, or when a role it does not allow — or any role outside its area — gets through.
"""

from __future__ import annotations

import importlib
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from epitrace.accounts import service as account_service
from epitrace.config import Settings
from epitrace.db import Database
from epitrace.security.keys import Keyring
from epitrace.security.permissions import is_public
from epitrace.security.roles import ROLE_ACTIONS, STAFF_ROLES, Role
from epitrace.web.routing import GuardedRoute, iter_api_routes
from tests import factories
from tests.matrix_support import RouteCase, Users, fill

TESTS_DIR = Path(__file__).resolve().parent.parent
CITIZEN_PHONE = "0987654321"


def matrix_modules() -> list[ModuleType]:
    names = sorted(p.parent.name for p in TESTS_DIR.glob("*/matrix.py"))
    return [importlib.import_module(f"tests.{name}.matrix") for name in names]


@pytest.fixture(params=matrix_modules(), ids=lambda m: m.__name__.split(".")[1])
def matrix_module(request: pytest.FixtureRequest) -> ModuleType:
    module: ModuleType = request.param
    return module


def all_cases() -> list[tuple[RouteCase, Any]]:
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


def test_every_protected_route_is_in_the_matrix(app: FastAPI) -> None:
    listed = {(case.method, case.path) for case, _ in all_cases()}
    unlisted = protected_routes(app) - listed
    assert not unlisted, f"routes without a permission-matrix entry: {sorted(unlisted)}"
    stale = listed - protected_routes(app)
    assert not stale, f"matrix entries for routes that do not exist: {sorted(stale)}"


def test_every_route_is_guarded(app: FastAPI) -> None:
    routes = list(iter_api_routes(app.routes))
    assert len(routes) > 20
    unguarded = [r.path for r in routes if not isinstance(r, GuardedRoute)]
    assert unguarded == []


def _make_users(db: Database) -> Users:
    users = Users()
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
    return users


def _fresh_tokens(db: Database, users: Users) -> dict[Role, dict[str, str]]:
    """New bearer tokens for every account (a case may revoke the one it used)."""
    accounts = {**users.ids, Role.CITIZEN: users.citizen_user_id}
    headers = {}
    with db.session_scope() as s:
        for role, user_id in accounts.items():
            account = account_service.get_account_or_404(s, user_id=user_id)
            token, _ttl = account_service.issue_token(s, account=account, ttl_seconds=600)
            headers[role] = {"Authorization": f"Bearer {token}"}
    return headers


def _request(
    client: TestClient,
    case: RouteCase,
    url: str,
    names: dict[str, str],
    headers: dict[str, str],
    *,
    outside: bool = False,
) -> int:
    kwargs: dict[str, Any] = {"headers": {**headers, "Accept": "application/json"}}
    body = case.outside_body if outside and case.outside_body is not None else case.body
    form = case.outside_form if outside and case.outside_form is not None else case.form
    if body is not None:
        kwargs["json"] = fill(body, names)
    if form is not None:
        kwargs["data"] = fill(form, names)
    response = client.request(case.method, fill(url, names), follow_redirects=False, **kwargs)
    return response.status_code


def test_matrix(
    client: TestClient,
    db: Database,
    places: Any,
    sms: Any,
    settings: Settings,
    matrix_module: ModuleType,
) -> None:
    users = _make_users(db)
    users.keyring = Keyring(settings.keys_dir)
    users.settings = settings
    citizen_headers = factories.citizen_headers(client, sms, CITIZEN_PHONE)
    me = client.get("/api/v1/me", headers=citizen_headers).json()
    users.citizen_user_id = uuid.UUID(me["user_id"])
    users.citizen_person_id = uuid.UUID(me["person_id"])
    with db.session_scope() as s:
        users.citizen_pseudonym = account_service.get_person(
            s, person_id=users.citizen_person_id
        ).pseudonym

    failures: list[str] = []
    setup_default = getattr(matrix_module, "setup", None)
    for case in matrix_module.CASES:
        setup = case.setup or setup_default
        headers = _fresh_tokens(db, users)
        allowed_roles = ROLE_ACTIONS[case.action]
        for role in (*STAFF_ROLES, Role.CITIZEN, None):
            names = _setup(db, setup, users)
            url_kinds = [("inside", case.inside)]
            if case.outside is not None and role is not None:
                url_kinds.append(("outside", case.outside))
            for kind, url in url_kinds:
                if kind == "outside":
                    names = _setup(db, setup, users)
                status = _request(
                    client,
                    case,
                    url,
                    names,
                    headers.get(role, {}) if role else {},
                    outside=kind == "outside",
                )
                if role is None:
                    expected_ok = status == 401
                elif kind == "inside" and role in allowed_roles:
                    expected_ok = status in case.ok
                else:
                    expected_ok = status == 403
                if not expected_ok:
                    who = role.value if role else "anonymous"
                    failures.append(f"{case.method} {case.path} {kind} as {who}: {status}")
    assert not failures, "\n".join(failures)


def _setup(db: Database, setup: Any, users: Users) -> dict[str, str]:
    if setup is None:
        return {}
    with db.session_scope() as s:
        names: dict[str, str] = setup(s, users)
    return names
