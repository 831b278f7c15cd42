"""Volumes of offline batches: new scans per account per local day, and how far back they go.

A batch is accepted up to the daily budget (oldest scans first); the rest are refused with
'daily_limit' and stored nowhere. Once the budget is spent a batch with new scans is answered
429 with Retry-After; scans sent before are still recognised.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from epitrace import localtime
from epitrace.checkins.models import ScanReceipt
from epitrace.db import Database
from epitrace.security.keys import Keyring
from epitrace.venues import service as venue_service
from epitrace.venues.models import Venue


def _token(db: Database, keyring: Keyring, venue_id: uuid.UUID) -> str:
    with db.session_scope() as s:
        venue = s.get(Venue, venue_id)
        assert venue is not None
        return venue_service.token_for(keyring, venue)


def _scans(token: str, prefix: str, count: int, now: datetime) -> list[dict[str, str]]:
    """`count` scans ten minutes apart, ending an hour ago."""
    start = now - timedelta(hours=1, minutes=10 * count)
    return [
        {
            "client_key": f"{prefix}-{i:04d}",
            "token": token,
            "at": (start + timedelta(minutes=10 * i)).isoformat(),
        }
        for i in range(count)
    ]


def _stored(db: Database) -> int:
    with db.session_scope() as s:
        return int(s.scalar(select(func.count()).select_from(ScanReceipt)) or 0)


def test_batches_are_accepted_up_to_the_daily_budget(
    app: FastAPI,
    client: TestClient,
    db: Database,
    citizen: Any,
    operator: Callable[..., Any],
    keyring: Keyring,
) -> None:
    app.state.settings.limit_batch_scans_per_day = 5
    app.state.settings.api_token_ttl_seconds = 3 * 86400  # the token outlives the next day
    token = _token(db, keyring, operator()["venue_id"])
    me = citizen()
    now = datetime.now(UTC)
    scans = _scans(token, "day1", 8, now)
    first = client.post("/api/v1/checkins/batch", json={"scans": scans}, headers=me)
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["accepted"], body["duplicates"], body["refused"]) == (5, 0, 3)
    held = [r for r in body["results"] if r["status"] == "refused"]
    assert [r["client_key"] for r in held] == [s["client_key"] for s in scans[5:]]  # the newest
    assert {r["reason"] for r in held} == {"daily_limit"}
    assert "5" in held[0]["message"] and "ngày mai" in held[0]["message"]
    assert body["retry_after"] > 0
    assert _stored(db) == 5

    # The budget is spent: new scans are refused whole, nothing is stored ...
    again = client.post("/api/v1/checkins/batch", json={"scans": scans}, headers=me)
    assert again.status_code == 429
    assert 0 < int(again.headers["Retry-After"]) <= 86400
    assert again.headers["content-type"].startswith("application/problem+json")
    assert again.json()["code"] == "daily_limit"
    assert again.json()["retry_after"] == int(again.headers["Retry-After"])
    assert "giới hạn" in again.json()["detail"]
    english = client.post(
        "/api/v1/checkins/batch", json={"scans": scans}, headers={**me, "Accept-Language": "en"}
    )
    assert english.json()["detail"].startswith("Today's limit of 5 offline scans is reached")
    assert _stored(db) == 5
    # ... but scans sent before are still recognised (a resend after a lost answer).
    resent = client.post("/api/v1/checkins/batch", json={"scans": scans[:5]}, headers=me)
    assert resent.status_code == 200
    assert resent.json()["duplicates"] == 5

    # Another account has its own budget.
    other = client.post(
        "/api/v1/checkins/batch", json={"scans": scans[5:]}, headers=citizen("0987000999")
    )
    assert other.json()["accepted"] == 3

    # The budget renews at local midnight: the held-back scans go in then.
    tomorrow = localtime.day_bounds(localtime.today(now))[1] + timedelta(minutes=1)
    with time_machine.travel(tomorrow, tick=True):
        later = client.post("/api/v1/checkins/batch", json={"scans": scans}, headers=me)
    assert later.status_code == 200, later.text
    assert (later.json()["accepted"], later.json()["duplicates"]) == (3, 5)


def test_refused_scans_do_not_spend_the_budget(
    app: FastAPI,
    client: TestClient,
    db: Database,
    citizen: Any,
    operator: Callable[..., Any],
    keyring: Keyring,
) -> None:
    app.state.settings.limit_batch_scans_per_day = 2
    token = _token(db, keyring, operator()["venue_id"])
    me = citizen()
    now = datetime.now(UTC)
    bad = [
        {"client_key": "bad-code-1", "token": "no such code", "at": now.isoformat()},
        {"client_key": "bad-time-1", "token": token, "at": (now + timedelta(hours=2)).isoformat()},
    ]
    first = client.post("/api/v1/checkins/batch", json={"scans": bad}, headers=me)
    assert first.json()["refused"] == 2
    good = client.post(
        "/api/v1/checkins/batch", json={"scans": _scans(token, "good", 2, now)}, headers=me
    )
    assert good.status_code == 200, good.text
    assert good.json()["accepted"] == 2


def test_offline_scans_cannot_be_back_dated_beyond_the_limit(
    client: TestClient, db: Database, citizen: Any, operator: Callable[..., Any], keyring: Keyring
) -> None:
    token = _token(db, keyring, operator()["venue_id"])
    me = citizen()
    now = datetime.now(UTC)
    scans = [
        {"client_key": "late-0001", "token": token, "at": (now - timedelta(days=4)).isoformat()},
        {"client_key": "late-0002", "token": token, "at": (now - timedelta(days=20)).isoformat()},
        {"client_key": "fine-0001", "token": token, "at": (now - timedelta(hours=70)).isoformat()},
    ]
    body = client.post("/api/v1/checkins/batch", json={"scans": scans}, headers=me).json()
    results = {r["client_key"]: r for r in body["results"]}
    assert results["late-0001"]["status"] == "refused"
    assert results["late-0001"]["reason"] == "too_late"
    assert "72" in results["late-0001"]["message"]
    assert results["late-0002"]["reason"] == "too_late"
    assert results["fine-0001"]["status"] == "accepted"
    assert _stored(db) == 1


def test_concurrent_batches_of_one_account_share_its_budget(
    app: FastAPI,
    client: TestClient,
    db: Database,
    citizen: Any,
    operator: Callable[..., Any],
    keyring: Keyring,
) -> None:
    app.state.settings.limit_batch_scans_per_day = 6
    token = _token(db, keyring, operator()["venue_id"])
    me = citizen()
    now = datetime.now(UTC)
    batches = [_scans(token, f"batch{n}", 4, now - timedelta(hours=n * 2)) for n in range(4)]
    barrier = threading.Barrier(len(batches))
    answers: list[tuple[int, dict[str, Any]]] = []

    def upload(n: int) -> None:
        barrier.wait()
        response = client.post("/api/v1/checkins/batch", json={"scans": batches[n]}, headers=me)
        answers.append((response.status_code, response.json()))

    threads = [threading.Thread(target=upload, args=(n,)) for n in range(len(batches))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {status for status, _ in answers} <= {200, 429}
    accepted = sum(body.get("accepted", 0) for status, body in answers if status == 200)
    assert accepted == 6
    assert _stored(db) == 6
