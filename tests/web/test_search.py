"""Text search: `_` and `%` typed by a user match only themselves, on every search route."""

from __future__ import annotations

import ast
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from epitrace.db import Database, contains_text, path_within
from epitrace.places.models import AdminUnit
from epitrace.security import audit
from epitrace.security.permissions import Principal
from epitrace.venues import service as venue_service
from tests.venues.factories import venue

SRC = Path(__file__).resolve().parents[2] / "src" / "epitrace"
WILDCARD_NAME = "Kho_A giảm 50%"  # the only name holding `_` and `%`
PLAIN_NAME = "Chợ Bến Thành"


@pytest.fixture
def searchable(db: Database, places: Any) -> None:
    with db.session_scope() as s:
        venue(s, name=WILDCARD_NAME)
        venue(s, name=PLAIN_NAME)
        venue_service.create_organisation(s, name=WILDCARD_NAME, ward_code="26743")
        venue_service.create_organisation(s, name=PLAIN_NAME, ward_code="26743")
        for label in (WILDCARD_NAME, PLAIN_NAME):
            actor = Principal(user_id=uuid.uuid4(), kind="staff", display_name=label)
            audit.record(s, actor=actor, action="read", subject_type="case", subject_id=1)


# (path, query parameter, how to read the names found, role that may search)
SEARCH_ROUTES = [
    ("/api/v1/places", "q", "json", "system_admin"),
    ("/places", "q", "html", "system_admin"),
    ("/api/v1/venues", "q", "json", "system_admin"),
    ("/venues", "q", "html", "system_admin"),
    ("/api/v1/organisations", "q", "json", "dic_officer"),
    ("/rollout/organisations", "q", "html", "dic_officer"),
    ("/admin/audit", "actor", "html", "system_admin"),
]
PLACE_NAME = "Phường Bến Thành"  # units: no name holds a wildcard, so nothing must be found


def _names(body: Any) -> list[str]:
    items = body["items"] if isinstance(body, dict) else body
    return [item.get("name") or item.get("actor_label") for item in items]


@pytest.mark.parametrize(("path", "param", "kind", "role"), SEARCH_ROUTES)
def test_wildcards_match_only_themselves(
    client: TestClient,
    make_staff: Any,
    searchable: None,
    path: str,
    param: str,
    kind: str,
    role: str,
) -> None:
    headers = make_staff(role, None if role == "system_admin" else "79")
    units = "places" in path
    plain, literal = (PLACE_NAME, None) if units else (PLAIN_NAME, WILDCARD_NAME)

    def found(query: str) -> str | list[str]:
        response = client.get(path, params={param: query}, headers=headers)
        assert response.status_code == 200, response.text
        return response.text if kind == "html" else _names(response.json())

    assert plain in found("bến")
    for wildcard in ("_", "%", "%%", "_%_", "B_n"):
        names = found(wildcard)
        assert plain not in names, (path, wildcard)
        if literal is not None and wildcard in literal:
            assert (literal in names) if kind == "json" else ("Kho_A" in names)
        if kind == "json" and units:
            assert names == []


def test_area_paths_with_wildcards_do_not_reach_neighbours(db: Database) -> None:
    with db.session_scope() as s:
        s.add_all(
            [
                AdminUnit(code="9_", name="A", unit_type="tỉnh", path="9_.", level=0),
                AdminUnit(code="91", name="B", unit_type="tỉnh", path="91.", level=0),
            ]
        )
    with db.sessionmaker() as s:
        inside = s.scalars(select(AdminUnit.code).where(path_within(AdminUnit.path, "9_.")))
        assert list(inside) == ["9_"]
        stored = select(AdminUnit.path).where(AdminUnit.code == "91").scalar_subquery()
        outer = s.scalars(select(AdminUnit.code).where(path_within(stored, AdminUnit.path)))
        assert list(outer) == ["91"]
        assert (
            list(s.scalars(select(AdminUnit.code).where(contains_text(AdminUnit.name, "_")))) == []
        )


def test_like_patterns_are_built_only_by_the_shared_helpers() -> None:
    """`.like`/`.ilike`/`.contains` elsewhere would take `_` and `%` as wildcards again."""
    offenders = []
    for module in SRC.rglob("*.py"):
        if module == SRC / "db.py" or "migrations" in module.parts:
            continue
        for node in ast.walk(ast.parse(module.read_text(), str(module))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr
                in {"like", "ilike", "notlike", "notilike", "contains", "icontains", "startswith"}
                and not _is_plain_string_call(node)
            ):
                offenders.append(f"{module.relative_to(SRC)}:{node.lineno}")
    assert offenders == []


def _is_plain_string_call(node: ast.Call) -> bool:
    """`text.startswith("x")` on Python strings is not SQL; columns are capitalised models."""
    if node.func.attr != "startswith":  # type: ignore[attr-defined]
        return False
    owner = node.func.value  # type: ignore[attr-defined]
    while isinstance(owner, ast.Attribute):
        owner = owner.value
    return not (isinstance(owner, ast.Name) and owner.id[:1].isupper())
