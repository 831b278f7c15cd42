"""Client keys are a phone's names for its own scans, kept in the person's receipts: another
person's phone that sends the same key at the same venue makes a scan of its own, never a
refusal or a server error, and each phone's resend is still answered from its own receipt:
when it arrives while the first sending is being applied, and when the venue's code no longer
holds."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from epitrace.checkins.models import Presence, ScanReceipt
from epitrace.db import Database
from epitrace.security.keys import Keyring
from tests.checkins.test_api import _token


def test_a_key_another_person_used_at_the_venue_is_their_own_scan(
    client: TestClient, db: Database, citizen: Any, operator: Callable[..., Any], keyring: Keyring
) -> None:
    token = _token(db, keyring, operator()["venue_id"])
    first, second = citizen(), citizen("0987000444")
    at = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    scan = {"client_key": "k-shared-0001", "token": token, "at": at}
    mine = client.post("/api/v1/checkins/batch", json={"scans": [scan]}, headers=first)
    assert mine.json()["accepted"] == 1
    later = (datetime.now(UTC) - timedelta(minutes=30)).isoformat()
    theirs = client.post(
        "/api/v1/checkins/batch",
        json={"scans": [scan, {"client_key": "k-own-0002", "token": token, "at": later}]},
        headers=second,
    )
    assert theirs.status_code == 200, theirs.text
    body = theirs.json()
    assert (body["accepted"], body["refused"]) == (2, 0)
    outcomes = {r["client_key"]: r["outcome"] for r in body["results"]}
    # their scan with the shared key checked them in; their own later one, 30 min on, out
    assert outcomes == {"k-shared-0001": "checked_in", "k-own-0002": "checked_out"}
    # the first person's scan is untouched; each has one visit
    assert len(client.get("/api/v1/checkins", headers=first).json()) == 1
    assert len(client.get("/api/v1/checkins", headers=second).json()) == 1
    # a resend by either phone is answered from its own receipt and stores nothing new
    for headers in (first, second):
        again = client.post("/api/v1/checkins/batch", json={"scans": [scan]}, headers=headers)
        assert again.status_code == 200, again.text
        assert again.json()["results"][0]["outcome"] == "checked_in"
        assert len(client.get("/api/v1/checkins", headers=headers).json()) == 1
    # the keys live in the receipts only: a central presence keeps none (its index stays empty)
    with db.session_scope() as s:
        assert s.scalars(select(Presence.client_key)).all() == [None, None]
        assert sorted(s.scalars(select(ScanReceipt.client_key))) == [
            "k-own-0002",
            "k-shared-0001",
            "k-shared-0001",
        ]


def test_a_check_in_sent_at_once_from_several_connections_is_stored_once(
    client: TestClient, db: Database, citizen: Any, operator: Callable[..., Any], keyring: Keyring
) -> None:
    # the phone resends before the first answer came back: every sending waits for the lock
    # on the person, and all but the first are answered from its receipt
    token = _token(db, keyring, operator()["venue_id"])
    me = citizen()
    sendings = 6
    barrier = threading.Barrier(sendings)
    answers: list[tuple[int, dict[str, Any]]] = []

    def send() -> None:
        barrier.wait()
        response = client.post(
            "/api/v1/checkins", json={"token": token, "client_key": "k-tap-tap-0001"}, headers=me
        )
        answers.append((response.status_code, response.json()))

    threads = [threading.Thread(target=send) for _ in range(sendings)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [status for status, _ in answers] == [201] * sendings, answers
    assert {body["outcome"] for _, body in answers} == {"checked_in"}
    assert len({body["presences"][0]["id"] for _, body in answers}) == 1
    with db.session_scope() as s:
        assert s.scalar(select(func.count()).select_from(Presence)) == 1
        assert s.scalar(select(func.count()).select_from(ScanReceipt)) == 1


def test_a_resend_is_answered_after_its_venue_was_suspended(
    client: TestClient, db: Database, citizen: Any, operator: Callable[..., Any], keyring: Keyring
) -> None:
    op = operator()
    token = _token(db, keyring, op["venue_id"])
    me = citizen()
    scan = {"token": token, "client_key": "k-before-close-01"}
    first = client.post("/api/v1/checkins", json=scan, headers=me)
    assert first.status_code == 201, first.text
    client.post(f"/api/v1/venues/{op['venue_id']}/suspend", headers=op["headers"])
    again = client.post("/api/v1/checkins", json=scan, headers=me)
    assert again.status_code == 201, again.text
    assert again.json()["presences"][0]["id"] == first.json()["presences"][0]["id"]
    fresh = {**scan, "client_key": "k-after-close-02"}
    new = client.post("/api/v1/checkins", json=fresh, headers=me)
    assert new.status_code == 410
