"""The OpenAPI document, with the error responses each route can give as problem details.

Which errors a route gives is read from its code, not written beside it: the endpoint, its
dependencies and every epitrace function they call (followed through the source, by name) are
searched for the domain exceptions they raise or build (`NotFound`, `Conflict`,
`TooManyRequests` …), and the request's shape adds the framework's own: 422 for parameters or a
body that do not validate, 400 for a body that cannot be read, 401 and 403 where a principal is
loaded, 404 where a path names a record. A new `raise Conflict(...)` in a service therefore
shows up in the document of every route that reaches it, and the fuzz test (tests/web/
test_fuzz.py) checks that no route answers a status its document does not list.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable, Iterator
from functools import cache
from types import FunctionType, MethodType, ModuleType
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from epitrace.errors import DomainError
from epitrace.web.deps import get_db, get_principal
from epitrace.web.routing import iter_api_routes

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_SCHEMA_REF = "#/components/schemas/Problem"

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An error, as RFC 9457 problem details, in the caller's language.",
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "description": "A URI naming the kind of problem."},
        "title": {"type": "string", "description": "The stable code again (RFC 9457 title)."},
        "status": {"type": "integer", "description": "The HTTP status code."},
        "detail": {"type": "string", "description": "What went wrong, for a person to read."},
        "code": {
            "type": "string",
            "description": "A stable machine-readable code, e.g. `not_found`, `invalid`, "
            "`unauthenticated`, `forbidden`, `conflict`, `rate_limited`.",
        },
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "For 422: the message of each field that is not valid, by its name "
            "(dotted for nested fields).",
        },
    },
    "additionalProperties": True,
}

# What each error status means in this API (the description of the response).
STATUS_DESCRIPTIONS = {
    400: "The request body could not be read (not UTF-8, broken JSON or multipart).",
    401: "Not signed in: send a bearer token (`Authorization: Bearer …`) or sign in.",
    403: "The caller's role or area does not allow this (or a cookie write without its CSRF "
    "token).",
    404: "The record named in the path does not exist or is not visible to the caller.",
    409: "The request conflicts with the record's current state.",
    410: "The resource existed but is no longer valid (for example an expired code).",
    413: "The upload is too large.",
    422: "A parameter or a field of the body is not valid; `errors` names each field.",
    428: "A purpose must be stated first (reading a named person's record outside an active "
    "case); the answer lists the purposes.",
    429: "Too many requests; wait the seconds given in `Retry-After`.",
    503: "The database stayed busy with other writes; try again after `Retry-After` seconds.",
}

_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer"},
    }
}


# -- reading the code ----------------------------------------------------------------------


def _is_ours(obj: object) -> bool:
    return str(getattr(obj, "__module__", "") or "").startswith("epitrace")


def _resolve(node: ast.expr, namespace: dict[str, Any]) -> object | None:
    """The object a name or dotted name refers to in a function's module, when known."""
    if isinstance(node, ast.Name):
        return namespace.get(node.id)
    if isinstance(node, ast.Attribute):
        base = _resolve(node.value, namespace)
        if isinstance(base, (ModuleType, type)):
            return getattr(base, node.attr, None)
    return None


def _function_of(obj: object) -> FunctionType | None:
    if isinstance(obj, MethodType):
        obj = obj.__func__
    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    obj = inspect.unwrap(obj) if callable(obj) else obj
    if isinstance(obj, FunctionType) and _is_ours(obj):
        return obj
    return None


@cache
def _direct_reach(func: FunctionType) -> tuple[frozenset[type[DomainError]], tuple[Any, ...]]:
    """The domain errors `func` raises or builds itself, and the functions of ours it calls."""
    try:
        source = textwrap.dedent(inspect.getsource(func))
    except (OSError, TypeError):
        return frozenset(), ()
    namespace = {**func.__globals__}
    if func.__closure__:
        namespace.update(
            zip(func.__code__.co_freevars, (c.cell_contents for c in func.__closure__), strict=True)
        )
    errors: set[type[DomainError]] = set()
    callees: list[FunctionType] = []
    for node in ast.walk(ast.parse(source)):
        target: ast.expr | None = None
        if isinstance(node, ast.Call):
            target = node.func
        elif isinstance(node, ast.Raise) and node.exc is not None:
            target = node.exc
        if target is None:
            continue
        obj = _resolve(target, namespace)
        if isinstance(obj, type) and issubclass(obj, DomainError):
            errors.add(obj)
            continue
        callee = _function_of(obj)
        if callee is not None and callee is not func:
            callees.append(callee)
    return frozenset(errors), tuple(callees)


def reachable_errors(func: Callable[..., Any]) -> set[type[DomainError]]:
    """Every domain error that `func` or an epitrace function it calls may raise."""
    start = _function_of(func)
    if start is None:
        return set()
    seen: set[FunctionType] = set()
    pending = [start]
    found: set[type[DomainError]] = set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        errors, callees = _direct_reach(current)
        found |= errors
        pending.extend(callees)
    return found


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def error_statuses(route: APIRoute) -> set[int]:
    """The error statuses `route` may answer, besides an unexpected 500."""
    statuses: set[int] = set()
    calls = [d.call for d in _dependants(route.dependant) if d.call is not None]
    for call in calls:
        statuses |= {error.status_code for error in reachable_errors(call)}
    if get_principal in calls:
        # a cookie-authenticated write without its CSRF token
        statuses.add(403)
    if get_db in calls:
        statuses.add(503)
    flat = route.dependant
    has_body = route.body_field is not None or any(
        d.body_params for d in _dependants(route.dependant)
    )
    has_params = has_body or any(
        d.path_params or d.query_params or d.header_params or d.cookie_params
        for d in _dependants(flat)
    )
    if has_params:
        statuses.add(422)
    if has_body:
        statuses.add(400)
    if any(d.path_params for d in _dependants(flat)):
        statuses.add(404)
    return {s for s in statuses if 400 <= s < 600}


def needs_principal(route: APIRoute) -> bool:
    """True when the route answers 401 to a caller who is not signed in."""
    return 401 in error_statuses(route)


def file_responses(*media_types: str, description: str = "The file.") -> dict[int | str, Any]:
    """`responses=` of a route whose answer is a file, not JSON (the 200 document it shows)."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {200: {"description": description, "content": dict.fromkeys(media_types, binary)}}


# -- the document --------------------------------------------------------------------------


def _problem_response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": STATUS_DESCRIPTIONS.get(status, "An error."),
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_SCHEMA_REF}}},
    }
    if status in (429, 503):
        response["headers"] = _RETRY_AFTER
    return response


def build_openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, with problem-details error responses and bearer authentication."""
    document = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        description=app.description,
        routes=app.routes,
    )
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    # Validation errors are problem details too, not the framework's own shape.
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    components.setdefault("securitySchemes", {})["bearer"] = {
        "type": "http",
        "scheme": "bearer",
        "description": "A token from `POST /api/v1/auth/token`.",
    }
    paths = document.get("paths", {})
    for route in iter_api_routes(app.routes):
        if not route.include_in_schema or route.path_format not in paths:
            continue
        statuses = error_statuses(route)
        for method in route.methods or ():
            operation = paths[route.path_format].get(method.lower())
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            for status in sorted(statuses):
                responses[str(status)] = _problem_response(status)
            if 401 in statuses:
                operation["security"] = [{"bearer": []}]
    return document


def install(app: FastAPI) -> None:
    """Serve `build_openapi`'s document (built once, on first request) at the app's URL."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
