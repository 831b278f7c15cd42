"""Client keys are a phone's names for its own scans: another person's phone that sends the
same key at the same venue is refused for that scan, never answered with a server error."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from epitrace.db import Database
from epitrace.security.keys import Keyring
from tests.checkins.test_api import _token


def test_a_key_another_person_used_at_the_venue_is_refused_for_that_scan(
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
    assert (body["accepted"], body["refused"]) == (1, 1)
    [refused] = [r for r in body["results"] if r["status"] == "refused"]
    assert refused["client_key"] == "k-shared-0001"
    assert refused["reason"] == "client_key_taken"
    assert refused["message"]  # in the caller's language
    # the first person's scan is untouched and theirs is stored once
    assert len(client.get("/api/v1/checkins", headers=first).json()) == 1
    # a resend of the refused scan is answered (here: already checked in since, by their own
    # later scan), never with a server error, and stores nothing new
    again = client.post("/api/v1/checkins/batch", json={"scans": [scan]}, headers=second)
    assert again.status_code == 200, again.text
    assert len(client.get("/api/v1/checkins", headers=second).json()) == 1
