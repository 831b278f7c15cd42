"""The permission matrix: every role × every protected route × inside/outside the area.

Each domain lists its routes in `tests/<domain>/matrix.py`. The test fails when a route is
missing from the lists (a new route must be classified), when a role the matrix allows is
refused, or when a role it does not allow — or any role outside its area — gets through.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from epitrace.config import Settings
from epitrace.db import Database
from epitrace.security.roles import ROLE_ACTIONS, STAFF_ROLES, Role
from epitrace.web.routing import GuardedRoute, iter_api_routes
from tests.matrix_support import (
    all_cases,
    fresh_tokens,
    make_users,
    matrix_modules,
    protected_routes,
    run_setup,
    send,
)


@pytest.fixture(params=matrix_modules(), ids=lambda m: m.__name__.split(".")[1])
def matrix_module(request: pytest.FixtureRequest) -> ModuleType:
    module: ModuleType = request.param
    return module


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


def test_matrix(
    client: TestClient,
    db: Database,
    places: Any,
    sms: Any,
    settings: Settings,
    matrix_module: ModuleType,
) -> None:
    users = make_users(client, db, sms, settings)
    failures: list[str] = []
    setup_default = getattr(matrix_module, "setup", None)
    for case in matrix_module.CASES:
        setup = case.setup or setup_default
        headers = fresh_tokens(db, users)
        allowed_roles = ROLE_ACTIONS[case.action]
        if case.roles is not None:
            assert case.roles <= allowed_roles, f"{case.path}: roles beyond {case.action}"
            allowed_roles = case.roles
        for role in (*STAFF_ROLES, Role.CITIZEN, None):
            names = run_setup(db, setup, users)
            url_kinds = [("inside", case.inside)]
            if case.outside is not None and role is not None:
                url_kinds.append(("outside", case.outside))
            for kind, url in url_kinds:
                if kind == "outside":
                    names = run_setup(db, setup, users)
                outside = kind == "outside"
                response = send(
                    client,
                    case,
                    url,
                    names,
                    headers.get(role, {}) if role else {},
                    body=case.outside_body if outside else None,
                    form=case.outside_form if outside else None,
                )
                status = response.status_code
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
