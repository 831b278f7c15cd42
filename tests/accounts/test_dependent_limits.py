"""Relatives one citizen account may hold: at most EPITRACE_LIMIT_DEPENDENTS."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from epitrace.accounts.models import Person
from epitrace.db import Database


def test_dependents_per_account_are_limited(
    app: FastAPI, client: TestClient, db: Database, citizen: Any
) -> None:
    app.state.settings.limit_dependents = 2
    me = citizen()

    def add(name: str) -> Any:
        return client.post("/api/v1/me/dependents", json={"full_name": name}, headers=me)

    first, second = add("Lê Văn Một"), add("Lê Văn Hai")
    assert (first.status_code, second.status_code) == (201, 201)
    refused = add("Lê Văn Ba")
    # Waiting does not help, removing one does: 409 with the reason, no Retry-After.
    assert refused.status_code == 409
    assert refused.json()["code"] == "limit_reached"
    assert refused.json()["detail"] == "Bạn đã có 2 người thân, số tối đa cho một tài khoản."
    with db.session_scope() as s:
        dependents = select(func.count()).select_from(Person).where(Person.guardian_id.is_not(None))
        held = s.scalar(dependents)
    assert held == 2
    removed = client.delete(f"/api/v1/me/dependents/{first.json()['id']}", headers=me)
    assert removed.status_code == 204
    assert add("Lê Văn Ba").status_code == 201


def test_the_page_keeps_what_was_typed_when_over_the_limit(
    app: FastAPI, client: TestClient, citizen: Any
) -> None:
    app.state.settings.limit_dependents = 0
    me = citizen()
    refused = client.post(
        "/me/dependents",
        data={"full_name": "Lê Thị Bé", "birth_year": "2019", "relationship": "con gái"},
        headers=me,
    )
    assert refused.status_code == 409
    assert "Bạn đã có 0 người thân" in refused.text
    assert 'value="Lê Thị Bé"' in refused.text
    assert 'value="2019"' in refused.text
    assert 'value="con gái"' in refused.text
    bad_year = client.post(
        "/me/dependents", data={"full_name": "Lê Thị Bé", "birth_year": "19x"}, headers=me
    )
    assert bad_year.status_code == 422
    assert 'value="Lê Thị Bé"' in bad_year.text
