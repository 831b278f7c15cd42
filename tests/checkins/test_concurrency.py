"""Offline batches under concurrency: every request waits its turn, none fails, none half-stores.

Run on SQLite (a real file database, as `epitrace serve` uses it) and PostgreSQL.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from epitrace.checkins import service as checkin_service
from epitrace.checkins.models import Presence, ScanReceipt
from epitrace.db import Database
from epitrace.security.keys import Keyring
from epitrace.venues import service as venue_service
from epitrace.venues.models import Venue

CITIZENS = 6
SCANS_PER_BATCH = 60


def _tokens(db: Database, keyring: Keyring, venue_ids: list[uuid.UUID]) -> list[str]:
    with db.session_scope() as s:
        venues = [s.get(Venue, venue_id) for venue_id in venue_ids]
        return [venue_service.token_for(keyring, v) for v in venues if v is not None]


def _batch(tokens: list[str], *, prefix: str, count: int, now: datetime) -> list[dict[str, str]]:
    """`count` scans five minutes apart, alternating venues: each one is a new check-in."""
    start = now - timedelta(minutes=5 * count + 5)
    return [
        {
            "client_key": f"scan-{prefix}-{i:04d}",
            "token": tokens[i % len(tokens)],
            "at": (start + timedelta(minutes=5 * i)).isoformat(),
        }
        for i in range(count)
    ]


def _stored(db: Database, person_id: uuid.UUID) -> tuple[int, int]:
    with db.session_scope() as s:
        receipts = s.scalar(
            select(func.count()).select_from(ScanReceipt).where(ScanReceipt.person_id == person_id)
        )
        presences = s.scalar(
            select(func.count()).select_from(Presence).where(Presence.person_id == person_id)
        )
        return int(receipts or 0), int(presences or 0)


def _person(client: TestClient, headers: dict[str, str]) -> uuid.UUID:
    return uuid.UUID(client.get("/api/v1/me", headers=headers).json()["person_id"])


def test_simultaneous_offline_batches_all_succeed_and_store_each_scan_once(
    client: TestClient, db: Database, citizen: Any, operator: Callable[..., Any], keyring: Keyring
) -> None:
    tokens = _tokens(db, keyring, [operator()["venue_id"], operator()["venue_id"]])
    people = [citizen(f"09870005{i:02d}") for i in range(CITIZENS)]
    now = datetime.now(UTC)
    batches = [
        _batch(tokens, prefix=f"c{n}", count=SCANS_PER_BATCH, now=now) for n in range(CITIZENS)
    ]
    barrier = threading.Barrier(CITIZENS)
    answers: dict[int, tuple[int, dict[str, Any]]] = {}

    def upload(n: int) -> None:
        barrier.wait()
        response = client.post(
            "/api/v1/checkins/batch", json={"scans": batches[n]}, headers=people[n]
        )
        answers[n] = (response.status_code, response.json())

    threads = [threading.Thread(target=upload, args=(n,)) for n in range(CITIZENS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(answers) == list(range(CITIZENS))
    for n in range(CITIZENS):
        status, body = answers[n]
        assert status == 200, body.get("errors", body)
        assert (body["accepted"], body["duplicates"], body["refused"]) == (SCANS_PER_BATCH, 0, 0)
        assert _stored(db, _person(client, people[n])) == (SCANS_PER_BATCH, SCANS_PER_BATCH)
    # resent at once too: every scan is recognised, nothing is stored twice
    resent: list[int] = []

    def resend(n: int) -> None:
        response = client.post(
            "/api/v1/checkins/batch", json={"scans": batches[n]}, headers=people[n]
        )
        resent.append(response.json()["duplicates"])

    threads = [threading.Thread(target=resend, args=(n,)) for n in range(CITIZENS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert resent == [SCANS_PER_BATCH] * CITIZENS
    for n in range(CITIZENS):
        assert _stored(db, _person(client, people[n])) == (SCANS_PER_BATCH, SCANS_PER_BATCH)


def test_a_batch_that_fails_midway_stores_nothing(
    app: FastAPI,
    client: TestClient,
    db: Database,
    citizen: Any,
    operator: Callable[..., Any],
    keyring: Keyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tokens = _tokens(db, keyring, [operator()["venue_id"], operator()["venue_id"]])
    me = citizen()
    person_id = _person(client, me)
    scans = _batch(tokens, prefix="fail", count=10, now=datetime.now(UTC))
    applied = 0
    # batches are applied in bulk (`ingest_batch`), one scan at a time in memory
    real_scan = checkin_service._scan_in_memory

    def failing_scan(*args: Any, **kwargs: Any) -> Any:
        nonlocal applied
        applied += 1
        if applied == 6:  # an unexpected failure after five scans were applied
            raise RuntimeError("disk full")
        return real_scan(*args, **kwargs)

    monkeypatch.setattr(checkin_service, "_scan_in_memory", failing_scan)
    with TestClient(app, raise_server_exceptions=False) as failing:
        response = failing.post("/api/v1/checkins/batch", json={"scans": scans}, headers=me)
    assert response.status_code == 500
    assert _stored(db, person_id) == (0, 0)

    monkeypatch.setattr(checkin_service, "_scan_in_memory", real_scan)
    response = client.post("/api/v1/checkins/batch", json={"scans": scans}, headers=me)
    assert response.json()["accepted"] == 10
    assert _stored(db, person_id) == (10, 10)
