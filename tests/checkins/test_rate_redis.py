"""The check-in limits with the counters in Redis: the server writes no counter rows."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from epitrace.config import Settings
from epitrace.db import Database
from epitrace.security import ratelimit
from epitrace.security.keys import Keyring
from epitrace.security.models import RateCounter
from tests.checkins.test_api import _token


@pytest.fixture
def settings(settings: Settings) -> Iterator[Settings]:
    # a prefix of its own: Redis keeps counting across test runs, the database does not
    yield settings.model_copy(
        update={
            "redis_url": "redis://127.0.0.1:6379/0",
            "redis_key_prefix": f"test-{uuid.uuid4().hex}",
        }
    )
    ratelimit.configure("")


def test_per_minute_limit_counted_in_redis(
    client: TestClient, db: Database, citizen: Any, operator: Callable[..., Any], keyring: Keyring
) -> None:
    token = _token(db, keyring, operator()["venue_id"])
    me = citizen()
    device = f"phone-{uuid.uuid4()}"
    statuses = [
        client.post(
            "/api/v1/checkins", json={"token": token, "device_id": device}, headers=me
        ).status_code
        for _ in range(61)  # over at most two fixed windows: one of them passes the limit
    ]
    assert 429 in statuses
    assert statuses.count(201) <= 60
    with db.sessionmaker() as s:
        assert s.scalar(select(func.count()).select_from(RateCounter)) == 0
