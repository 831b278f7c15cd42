"""The OpenAPI document lists the error responses of every route, as problem details.

The list is derived from the code (epitrace.web.openapi); these tests check it against what
the routes are (signed-in or public, path ids, bodies) and against known errors of known
routes. The fuzz test (test_fuzz.py) checks it against what the routes answer.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from epitrace.accounts import service as account_service
from epitrace.errors import Conflict, Forbidden, NotFound, TooManyRequests, Unauthorized
from epitrace.security.permissions import is_public, require
from epitrace.web import openapi
from epitrace.web.routing import iter_api_routes

PROBLEM = "application/problem+json"
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the document does not depend on the database


@pytest.fixture
def document(client: TestClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    doc: dict[str, Any] = response.json()
    return doc


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def _routes(app: FastAPI) -> dict[tuple[str, str], Any]:
    return {
        (method.lower(), route.path_format): route
        for route in iter_api_routes(app.routes)
        if route.include_in_schema
        for method in route.methods or ()
    }


def test_every_api_route_is_in_the_document(document: dict[str, Any], app: FastAPI) -> None:
    documented = {(m, p) for m, p, _ in _operations(document)}
    api_routes = {key for key in _routes(app) if key[1].startswith("/api/")}
    assert api_routes
    assert api_routes <= documented


def test_every_error_response_is_a_problem_document(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert set(schemas["Problem"]["required"]) >= {"type", "title", "status", "detail", "code"}
    assert "HTTPValidationError" not in schemas
    for method, path, operation in _operations(document):
        for status, response in operation["responses"].items():
            if not status.startswith(("4", "5")):
                continue
            content = response.get("content", {})
            assert list(content) == [PROBLEM], (method, path, status)
            assert content[PROBLEM]["schema"] == {"$ref": "#/components/schemas/Problem"}
            assert response["description"]
            if status in {"429", "503"}:
                assert "Retry-After" in response["headers"], (method, path)


def test_error_responses_follow_the_shape_of_each_route(
    document: dict[str, Any], app: FastAPI
) -> None:
    routes = _routes(app)
    checked = 0
    for method, path, operation in _operations(document):
        if not path.startswith("/api/"):
            continue
        route = routes[(method, path)]
        statuses = {int(s) for s in operation["responses"] if s[0] in "45"}
        where = f"{method.upper()} {path}"
        if not is_public(route.endpoint):
            assert {401, 403} <= statuses, where
            assert operation["security"] == [{"bearer": []}], where
        if re.search(r"\{\w+\}", path):
            assert 404 in statuses, where
        if operation.get("parameters") or operation.get("requestBody"):
            assert 422 in statuses, where
        if operation.get("requestBody"):
            assert 400 in statuses, where
        checked += 1
    assert checked >= 90


# (method, path): statuses the route is known to give, each from a different source of errors
KNOWN = {
    ("post", "/api/v1/users"): {409, 403, 401},  # a taken username; an admin's area
    ("post", "/api/v1/cases"): {409, 404},  # already an active case; unknown person
    ("post", "/api/v1/auth/otp"): {429},  # codes per number and per address
    ("post", "/api/v1/auth/token"): {429, 401},  # login attempts; wrong password
    ("post", "/api/v1/checkins/batch"): {429},  # offline batches per account
    ("post", "/api/v1/exposure/keys"): {409, 410, 429},  # used, expired code; uploads
    ("post", "/api/v1/feedback"): {413},  # photo too large
}


@pytest.mark.parametrize(("method", "path"), sorted(KNOWN))
def test_known_errors_are_listed(document: dict[str, Any], method: str, path: str) -> None:
    listed = {int(s) for s in document["paths"][path][method]["responses"] if s[0] in "45"}
    assert KNOWN[(method, path)] <= listed


def test_public_routes_that_need_no_one_list_no_sign_in(document: dict[str, Any]) -> None:
    for path in ("/api/v1/auth/otp", "/api/v1/exposure/exports/index.txt"):
        responses = document["paths"][path]["get" if path.endswith(".txt") else "post"]
        assert "401" not in responses["responses"]
        assert "security" not in responses


def test_errors_are_followed_through_the_functions_a_route_calls() -> None:
    reachable = openapi.reachable_errors(require)
    assert Forbidden in reachable
    assert any(issubclass(error, Unauthorized) for error in reachable)  # SignInRequired
    assert Conflict in openapi.reachable_errors(account_service.create_staff)
    assert TooManyRequests in openapi.reachable_errors(account_service.request_otp)
    assert NotFound not in openapi.reachable_errors(len)  # not ours: not read


def test_docs_page_serves_swagger_ui_from_the_package_without_inline_script(
    client: TestClient,
) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "script-src 'self';" in csp
    assert "unsafe-inline" not in csp
    html = page.text
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.S)
    assert scripts
    assert all('src="/' in attrs and not body.strip() for attrs, body in scripts)
    assert "cdn" not in html.lower()
    for asset in (
        "/static/vendor/swagger-ui/swagger-ui-bundle.js",
        "/static/vendor/swagger-ui/swagger-ui.css",
        "/static/apidocs/apidocs.js",
        "/static/apidocs/apidocs.css",
    ):
        assert asset in html
        assert client.get(asset).status_code == 200, asset
