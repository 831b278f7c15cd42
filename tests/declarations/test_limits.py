"""Declarations made for other people: at most EPITRACE_LIMIT_DECLARATIONS_FOR_OTHERS_PER_DAY."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from epitrace import localtime
from epitrace.accounts.models import Person
from epitrace.db import Database
from tests.declarations.factories import payload
from tests.declarations.matrix import FORM


def _people(db: Database) -> int:
    with db.session_scope() as s:
        return int(s.scalar(select(func.count()).select_from(Person)) or 0)


def test_declarations_for_others_per_day_are_limited(
    app: FastAPI, client: TestClient, db: Database, places: Any, citizen: Any
) -> None:
    app.state.settings.limit_declarations_for_others_per_day = 2
    app.state.settings.api_token_ttl_seconds = 3 * 86400
    me = citizen()

    def other(n: int) -> Any:
        body = payload(subject="other", full_name=f"Người Thứ {n}", phone=f"09871112{n:02d}")
        return client.post("/api/v1/declarations", json=body, headers=me)

    assert [other(n).status_code for n in range(2)] == [201, 201]
    people = _people(db)
    refused = other(3)
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert 0 < int(refused.headers["Retry-After"]) <= 86400
    assert refused.json()["detail"].startswith("Hôm nay bạn đã khai báo hộ 2 người khác")
    assert _people(db) == people  # no person record was made for the refused one
    # Declaring for oneself is not limited by it.
    assert client.post("/api/v1/declarations", json=payload(), headers=me).status_code == 201
    # Invalid forms still get their field errors first.
    invalid = client.post(
        "/api/v1/declarations", json=payload(subject="other", full_name=""), headers=me
    )
    assert invalid.status_code == 422
    tomorrow = localtime.day_bounds(localtime.today())[1] + timedelta(minutes=1)
    with time_machine.travel(tomorrow, tick=True):
        assert other(4).status_code == 201


def test_the_form_comes_back_as_typed_when_over_the_limit(
    app: FastAPI, client: TestClient, places: Any, citizen: Any
) -> None:
    app.state.settings.limit_declarations_for_others_per_day = 1
    headers = citizen()
    form = {**FORM, "subject": "other", "full_name": "Phạm Thị Dung", "phone": "0987111222"}
    first = client.post("/declare", data=form, headers=headers, follow_redirects=False)
    assert first.status_code == 303
    again = {**form, "full_name": "Hoàng Văn Em", "street": "99 Hàng Bạc"}
    refused = client.post("/declare", data=again, headers=headers)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "Hôm nay bạn đã khai báo hộ 1 người khác" in refused.text
    assert 'value="Hoàng Văn Em"' in refused.text
    assert 'value="99 Hàng Bạc"' in refused.text
