"""Writes are checked against the area stored for their subject, never one from the request.

Every write route of the app (discovered, so a new one cannot be forgotten) is sent, by each
role allowed to use it, with a subject outside the caller's area (its matrix "outside"
request) and a body naming the caller's own ward in every area field. No such request may
succeed. A write route without an outside request must be listed below with the reason it
has no stored subject of another area.
"""

from __future__ import annotations

import typing
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from epitrace.config import Settings
from epitrace.db import Database
from epitrace.security.roles import ROLE_ACTIONS, STAFF_ROLES
from epitrace.web.routing import iter_api_routes
from tests.matrix_support import (
    all_cases,
    fresh_tokens,
    make_users,
    protected_routes,
    run_setup,
    send,
)

OWN_WARD = "26743"  # inside area 79, where every matrix account is granted
AREA_KEYS = {"ward_code", "area_code", "ward", "area"}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

CITIZEN_SELF = "a citizen acts on themselves and the relatives in their care"
OWN_INBOX = "the caller's own inbox, its settings and this browser's push subscription"
OWN_ACCOUNT = "the caller's own sessions, tokens and password"
IMPORT_BY_LINE = (
    "a list of new or existing organisations: each line's stored (or named) ward is checked "
    "against the importer's area, and a line outside it refuses the whole file (422, by line)"
)
NO_STORED_SUBJECT: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/auth/logout"): "ends the caller's own token",
    ("POST", "/api/v1/me/sign-out-everywhere"): OWN_ACCOUNT,
    ("POST", "/account/sign-out-everywhere"): OWN_ACCOUNT,
    ("PUT", "/api/v1/me/password"): OWN_ACCOUNT,
    ("POST", "/account/password"): OWN_ACCOUNT,
    ("PUT", "/api/v1/me/profile"): CITIZEN_SELF,
    ("POST", "/api/v1/me/dependents"): CITIZEN_SELF,
    ("DELETE", "/api/v1/me/dependents/{dependent_id}"): CITIZEN_SELF,
    ("POST", "/me/profile"): CITIZEN_SELF,
    ("POST", "/me/dependents"): CITIZEN_SELF,
    ("POST", "/me/dependents/{dependent_id}/delete"): CITIZEN_SELF,
    ("POST", "/api/v1/me/quarantine/report"): CITIZEN_SELF,
    ("POST", "/me/quarantine"): CITIZEN_SELF,
    ("POST", "/api/v1/checkins"): CITIZEN_SELF,
    ("POST", "/api/v1/checkins/batch"): CITIZEN_SELF,
    ("POST", "/api/v1/checkins/{presence_id}/checkout"): CITIZEN_SELF,
    ("POST", "/c/{token}"): CITIZEN_SELF,
    ("POST", "/checkins/{presence_id}/checkout"): CITIZEN_SELF,
    ("POST", "/api/v1/declarations"): CITIZEN_SELF,
    ("POST", "/declare"): CITIZEN_SELF,
    ("POST", "/api/v1/feedback"): CITIZEN_SELF,
    ("POST", "/api/v1/me/data/erasure"): CITIZEN_SELF,
    ("POST", "/api/v1/me/data/notice"): CITIZEN_SELF,
    ("POST", "/me/data/erasure"): CITIZEN_SELF,
    ("POST", "/me/data/notice"): CITIZEN_SELF,
    ("POST", "/feedback"): CITIZEN_SELF,
    ("POST", "/api/v1/inbox/read-all"): OWN_INBOX,
    ("POST", "/api/v1/inbox/{key}/read"): OWN_INBOX,
    ("PUT", "/api/v1/inbox/settings"): OWN_INBOX,
    ("POST", "/api/v1/push/subscriptions"): OWN_INBOX,
    ("DELETE", "/api/v1/push/subscriptions"): OWN_INBOX,
    ("POST", "/inbox/read-all"): OWN_INBOX,
    ("POST", "/inbox/settings"): OWN_INBOX,
    ("POST", "/api/v1/organisations/import"): IMPORT_BY_LINE,
    ("POST", "/rollout/organisations/import"): IMPORT_BY_LINE,
    ("POST", "/api/v1/people/match"): (
        "a read sent as a body (phone, ID number): it writes only its audit entry, and a match "
        "outside the caller's area is shown with initials, never acted on"
    ),
    ("POST", "/api/v1/passes/verify"): (
        "a pass is shown wherever its holder goes; the door writes nothing about their area"
    ),
}


def forbids_extra_fields(app: FastAPI, method: str, path: str) -> bool:
    """True when the route's JSON body model refuses fields it does not define."""
    for route in iter_api_routes(app.routes):
        if route.path == path and method in route.methods and route.body_field is not None:
            annotation = route.body_field.field_info.annotation
            # an optional body (`Model | None`) is the model too
            for model in (annotation, *typing.get_args(annotation)):
                if isinstance(model, type) and issubclass(model, BaseModel):
                    return model.model_config.get("extra") == "forbid"
    return False


def name_own_area(value: Any, *, add: bool = True) -> Any:
    """The body with every area field set to the caller's own ward (one added if none)."""

    def rewrite(item: Any) -> tuple[Any, bool]:
        if isinstance(item, dict):
            found = False
            out = {}
            for key, inner in item.items():
                if key in AREA_KEYS and isinstance(inner, str | type(None)):
                    out[key] = OWN_WARD
                    found = True
                else:
                    out[key], inner_found = rewrite(inner)
                    found = found or inner_found
            return out, found
        if isinstance(item, list):
            pairs = [rewrite(i) for i in item]
            return [p[0] for p in pairs], any(p[1] for p in pairs)
        return item, False

    rewritten, found = rewrite(value if value is not None else {})
    if not found and add:
        rewritten["ward_code"] = OWN_WARD
    return rewritten


def test_every_write_route_has_a_subject_outside_the_area_or_a_reason(app: FastAPI) -> None:
    writes = {r for r in protected_routes(app) if r[0] in WRITE_METHODS}
    hostile = {
        (case.method, case.path)
        for case, _ in all_cases()
        if case.outside is not None and not case.new_subject
    }
    # a new subject's area is the one the request names: its matrix outside request names 01
    new = {
        (case.method, case.path)
        for case, _ in all_cases()
        if case.new_subject and (case.outside_body or case.outside_form)
    }
    unclassified = writes - hostile - new - set(NO_STORED_SUBJECT)
    assert not unclassified, (
        "write routes without an outside subject in the permission matrix "
        f"(add an outside request, or a reason here): {sorted(unclassified)}"
    )
    stale = set(NO_STORED_SUBJECT) - writes
    assert not stale, f"reasons for routes that do not exist: {sorted(stale)}"


def test_no_write_reaches_a_subject_outside_the_area_by_naming_ones_own(
    app: FastAPI, client: TestClient, db: Database, places: Any, sms: Any, settings: Settings
) -> None:
    users = make_users(client, db, sms, settings)
    failures: list[str] = []
    tried = 0
    for case, setup in all_cases():
        if case.method not in WRITE_METHODS or case.outside is None or case.new_subject:
            continue
        headers = fresh_tokens(db, users)
        for role in STAFF_ROLES:
            if role not in ROLE_ACTIONS[case.action]:
                continue
            names = run_setup(db, setup, users)
            body = case.outside_body if case.outside_body is not None else case.body
            form = case.outside_form if case.outside_form is not None else case.form
            response = send(
                client,
                case,
                case.outside,
                names,
                headers[role],
                body=(
                    name_own_area(body, add=not forbids_extra_fields(app, case.method, case.path))
                    if body is not None or form is None
                    else None
                ),
                form=name_own_area(form) if form is not None else None,
            )
            tried += 1
            if response.status_code not in (403, 404):
                failures.append(
                    f"{case.method} {case.path} as {role.value}: {response.status_code} "
                    f"{response.text[:200]}"
                )
    assert tried > 30
    assert not failures, "\n".join(failures)
