"""A check-in by someone under home quarantine is stored, and so is its breach, which health
officers then see (regression: every such check-in answered 500 because the breach row was
written before the presence it points to, so neither was stored)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from epitrace.cases.models import QuarantineBreach
from epitrace.checkins.models import Presence
from epitrace.db import Database
from epitrace.security.keys import Keyring
from epitrace.venues import service as venue_service
from epitrace.venues.models import Venue


def _token(db: Database, keyring: Keyring, venue_id: uuid.UUID) -> str:
    with db.session_scope() as s:
        venue = s.get(Venue, venue_id)
        assert venue is not None
        return venue_service.token_for(keyring, venue)


def _quarantined_citizen(client: TestClient, citizen: Any, officer: dict[str, str]) -> Any:
    me = citizen()
    client.put(
        "/api/v1/me/profile",
        headers=me,
        json={"full_name": "Trương Thị Hạnh", "ward_code": "26743"},
    )
    person_id = client.get("/api/v1/me", headers=me).json()["person_id"]
    order = client.post(
        "/api/v1/quarantine",
        headers=officer,
        json={"person_id": person_id, "reason": "f1", "kind": "home"},
    )
    assert order.status_code == 201, order.text
    return me


def _stored(db: Database) -> tuple[int, int]:
    with db.session_scope() as s:
        return (
            s.scalar(select(func.count()).select_from(Presence)) or 0,
            s.scalar(select(func.count()).select_from(QuarantineBreach)) or 0,
        )


def test_check_in_under_home_quarantine_stores_the_visit_and_the_breach(
    client: TestClient,
    db: Database,
    citizen: Any,
    operator: Callable[..., Any],
    keyring: Keyring,
    make_staff: Any,
) -> None:
    officer = make_staff("health_officer", "79")
    me = _quarantined_citizen(client, citizen, officer)
    market = operator()
    response = client.post(
        "/api/v1/checkins", headers=me, json={"token": _token(db, keyring, market["venue_id"])}
    )
    assert response.status_code == 201, response.text
    assert response.json()["outcome"] == "checked_in"
    assert _stored(db) == (1, 1)

    # health officers see it where they look: the API and the quarantine page
    breaches = client.get("/api/v1/quarantine/breaches", headers=officer).json()
    assert len(breaches) == 1
    assert breaches[0]["full_name"] == "Trương Thị Hạnh"
    assert breaches[0]["venue_name"] == "Chợ Bến Thành"
    page = client.get("/quarantine", headers=officer)
    table = page.text.split('data-testid="breaches"', 1)[1]
    assert "Trương Thị Hạnh" in table and "Chợ Bến Thành" in table
    # the officers of the order's ward and the units above it get the alert in their inbox
    inbox = client.get("/api/v1/inbox", headers=officer).json()
    alerts = [n for n in inbox["items"] if n["kind"] == "quarantine_breach"]
    assert len(alerts) == 1
    assert alerts[0]["title"] == "Vi phạm cách ly tại nhà"
    assert "Trương Thị Hạnh" in alerts[0]["body"] and "Chợ Bến Thành" in alerts[0]["body"]
    assert alerts[0]["link"] == "/quarantine"
    # and another province's officer neither sees nor hears of it
    hanoi = make_staff("health_officer", "01")
    assert client.get("/api/v1/quarantine/breaches", headers=hanoi).json() == []
    assert client.get("/api/v1/inbox", headers=hanoi).json()["items"] == []


def test_every_way_in_records_the_breach_once(
    client: TestClient,
    db: Database,
    citizen: Any,
    operator: Callable[..., Any],
    keyring: Keyring,
    make_staff: Any,
) -> None:
    officer = make_staff("health_officer", "79")
    me = _quarantined_citizen(client, citizen, officer)
    dependent = client.post(
        "/api/v1/me/dependents", headers=me, json={"full_name": "Bé Na", "birth_year": 2018}
    ).json()
    shop = operator(name="Tiệm tạp hoá")
    page = client.post(
        f"/c/{_token(db, keyring, shop['venue_id'])}",
        headers=me,
        data={"dependent_ids": dependent["id"]},
        follow_redirects=False,
    )
    assert page.status_code == 303
    assert _stored(db) == (2, 1)  # the dependent is not under quarantine

    market = operator()
    # made offline a moment ago, under the order
    scanned = datetime.now(UTC).isoformat()
    scans = [
        {
            "client_key": uuid.uuid4().hex,
            "token": _token(db, keyring, market["venue_id"]),
            "at": scanned,
        }
    ]
    batch = client.post("/api/v1/checkins/batch", headers=me, json={"scans": scans})
    assert batch.status_code == 200, batch.text
    assert batch.json()["results"][0]["status"] == "accepted"
    again = client.post("/api/v1/checkins/batch", headers=me, json={"scans": scans})
    assert again.json()["results"][0]["status"] == "duplicate"
    presences, breaches = _stored(db)
    assert breaches == 2
    # the clinic of the home ward is allowed
    clinic = operator(category="hospital_clinic", name="Trạm y tế phường")
    response = client.post(
        "/api/v1/checkins", headers=me, json={"token": _token(db, keyring, clinic["venue_id"])}
    )
    assert response.status_code == 201, response.text
    assert _stored(db) == (presences + 1, 2)


def test_a_dependent_under_home_quarantine_records_the_breach_not_the_guardian(
    client: TestClient,
    db: Database,
    citizen: Any,
    operator: Callable[..., Any],
    keyring: Keyring,
    make_staff: Any,
) -> None:
    # who is under an order is asked of everyone of the scan, with the lock on the people
    officer = make_staff("health_officer", "79")
    me = citizen()
    dependent = client.post(
        "/api/v1/me/dependents", headers=me, json={"full_name": "Bé Na", "birth_year": 2018}
    ).json()
    order = client.post(
        "/api/v1/quarantine",
        headers=officer,
        json={"person_id": dependent["id"], "reason": "f1", "kind": "home", "ward_code": "26743"},
    )
    assert order.status_code == 201, order.text
    market = operator()
    response = client.post(
        "/api/v1/checkins",
        headers=me,
        json={
            "token": _token(db, keyring, market["venue_id"]),
            "dependent_ids": [dependent["id"]],
        },
    )
    assert response.status_code == 201, response.text
    assert _stored(db) == (2, 1)
    with db.session_scope() as s:
        breach = s.scalars(select(QuarantineBreach)).one()
        presence = s.get(Presence, breach.presence_id)
        assert presence is not None
        assert str(presence.person_id) == dependent["id"]
