"""Fixtures of the venue tests: a keyring shared with the app, operators, venues."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from epitrace.db import Database
from epitrace.security.keys import Keyring
from tests import factories
from tests.venues import factories as venue_factories


@pytest.fixture
def keyring(app: FastAPI) -> Keyring:
    ring: Keyring = app.state.keyring
    return ring


@pytest.fixture
def operator(db: Database, client: TestClient, places: Any) -> Callable[..., dict[str, Any]]:
    """A venue operator (granted on ward 26743) who runs a fresh venue there."""

    def _make(category: str = "market", **fields: Any) -> dict[str, Any]:
        username = f"op-{uuid.uuid4().hex[:6]}"
        with db.session_scope() as s:
            factories.staff(s, username=username, role="venue_operator", area="26743")
            v = venue_factories.venue(s, category=category, **fields)  # type: ignore[arg-type]
            venue_factories.operator_of(s, v, username)
            venue_id = v.id
        return {
            "headers": factories.token_headers(client, username=username),
            "venue_id": venue_id,
            "username": username,
        }

    return _make
