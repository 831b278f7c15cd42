"""A case reported by phone lands on the citizen who checked in, and the trace finds the F1.

Regression: a case registered by name and phone was stored as a new person, not linked to the
citizen with that phone, so the trace found 0 F1 and said nothing was wrong.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from epitrace.accounts.models import Person
from epitrace.checkins.models import Presence
from epitrace.db import Database
from epitrace.security.keys import Keyring
from epitrace.security.models import AuditEntry
from epitrace.venues import service as venue_service
from epitrace.venues.models import Venue

NOW = datetime.now(UTC)
SAMPLED = (NOW - timedelta(hours=1)).isoformat()


def _check_in_together(
    client: TestClient,
    db: Database,
    keyring: Keyring,
    venue_id: uuid.UUID,
    *people: dict[str, str],
) -> None:
    """Each citizen scans the venue's poster; the visits are then set two hours back."""
    with db.session_scope() as s:
        venue = s.get(Venue, venue_id)
        assert venue is not None
        token = venue_service.token_for(keyring, venue)
    for headers in people:
        response = client.post("/api/v1/checkins", json={"token": token}, headers=headers)
        assert response.status_code == 201, response.text
    with db.session_scope() as s:
        s.execute(
            update(Presence)
            .where(Presence.venue_id == venue_id)
            .values(entered_at=NOW - timedelta(hours=3), left_at=NOW - timedelta(hours=2))
        )


def _person_id(client: TestClient, headers: dict[str, str]) -> str:
    return str(client.get("/api/v1/me", headers=headers).json()["person_id"])


def test_a_case_by_phone_only_is_matched_confirmed_and_traced(
    client: TestClient,
    db: Database,
    citizen: Any,
    operator: Callable[..., Any],
    keyring: Keyring,
    make_staff: Any,
) -> None:
    sick, neighbour = citizen("0912000001"), citizen("0912000002")
    venue = operator()["venue_id"]
    _check_in_together(client, db, keyring, venue, sick, neighbour)
    officer = make_staff("health_officer", "79")

    # the laboratory's list has the phone number only, written its own way
    by_phone = {"person": {"phone": "+84 912 000 001"}, "sampled_at": SAMPLED}
    match = client.post("/api/v1/cases", json=by_phone, headers=officer)
    assert match.status_code == 409, match.text
    body = match.json()
    assert body["code"] == "person_match"
    assert "đã có trong hệ thống" in body["detail"]
    [candidate] = body["candidates"]
    assert candidate["person_id"] == _person_id(client, sick)
    assert candidate["matched_on"] == ["phone"]
    assert candidate["phone_masked"] == "091****001"
    assert candidate["has_account"] is True
    assert candidate["in_area"] is True  # no home ward yet: filed in the officer's area
    # nothing was written by the refused request
    with db.session_scope() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 2

    confirmed = client.post(
        "/api/v1/cases",
        json={"person_id": candidate["person_id"], "sampled_at": SAMPLED},
        headers=officer,
    )
    assert confirmed.status_code == 201, confirmed.text
    case_id = confirmed.json()["id"]
    trace = client.post(f"/api/v1/cases/{case_id}/trace", headers=officer).json()
    assert [c["person_id"] for c in trace["f1"]] == [_person_id(client, neighbour)]
    assert trace["f0_presences"] == 1
    assert trace["warning"] is None


def test_the_match_endpoint_shows_the_evidence_and_is_audited(
    client: TestClient, db: Database, citizen: Any, make_staff: Any, places: Any
) -> None:
    citizen("0912000001")
    with db.session_scope() as s:
        declared = Person(
            full_name="Trần Thị Mai",
            phone="0912000001",
            id_number="079190000001",
            birth_year=1990,
            ward_code="26734",
        )
        hanoi = Person(full_name="Ngô Văn Hà", id_number="C1234567", ward_code="00070")
        s.add_all([declared, hanoi])
    officer = make_staff("health_officer", "79")
    found = client.post(
        "/api/v1/people/match",
        json={"phone": "0912000001", "id_number": "079 190 000 001"},
        headers=officer,
    )
    assert found.status_code == 200, found.text
    first, second = found.json()
    # both identifiers matched comes first
    assert first["full_name"] == "Trần Thị Mai"
    assert first["matched_on"] == ["phone", "id_number"]
    assert first["ward_name"] == "Phường Sài Gòn"
    assert first["birth_year"] == 1990
    assert second["matched_on"] == ["phone"]
    # someone of another province: shown, with initials, and not the officer's to act on
    passport = client.post(
        "/api/v1/people/match", json={"id_number": "c1234567"}, headers=officer
    ).json()
    assert [(p["full_name"], p["in_area"]) for p in passport] == [("N. V. H.", False)]
    bad = client.post(
        "/api/v1/people/match", json={"phone": "12", "id_number": "1"}, headers=officer
    )
    assert bad.status_code == 422
    assert set(bad.json()["errors"]) == {"phone", "id_number"}
    with db.session_scope() as s:
        purposes = s.scalars(select(AuditEntry.purpose).where(AuditEntry.subject_type == "person"))
        assert list(purposes).count("identity match") == 2


def test_a_new_person_needs_name_and_ward_and_an_explicit_choice_on_a_match(
    client: TestClient, db: Database, citizen: Any, make_staff: Any, places: Any
) -> None:
    citizen("0912000001")
    officer = make_staff("health_officer", "79")
    unknown = client.post(
        "/api/v1/cases",
        json={"person": {"phone": "0912999999"}, "sampled_at": SAMPLED},
        headers=officer,
    )
    assert unknown.status_code == 422
    assert set(unknown.json()["errors"]) == {"full_name", "ward_code"}
    # the officer knows better (a shared family phone): a new person, said explicitly
    twin = {"full_name": "Lê Văn Hai", "ward_code": "26743", "phone": "0912000001"}
    refused = client.post(
        "/api/v1/quarantine",
        json={"person": twin, "reason": "f1", "kind": "home"},
        headers=officer,
    )
    assert refused.status_code == 409
    created = client.post(
        "/api/v1/quarantine",
        json={"person": twin, "reason": "f1", "kind": "home", "new_person": True},
        headers=officer,
    )
    assert created.status_code == 201, created.text
    with db.session_scope() as s:
        stored = s.get(Person, uuid.UUID(created.json()["person_id"]))
        assert stored is not None
        assert stored.phone == "+84912000001"  # stored in the one canonical form
    tests = client.post(
        "/api/v1/tests",
        json={"person": {"phone": "0912000001"}, "test_type": "rapid", "sampled_at": SAMPLED},
        headers=officer,
    )
    assert tests.status_code == 409
    assert len(tests.json()["candidates"]) == 2


def test_a_trace_that_finds_nobody_because_the_f0_never_checked_in_says_so(
    client: TestClient, db: Database, citizen: Any, make_staff: Any, places: Any
) -> None:
    officer = make_staff("health_officer", "79")
    case = client.post(
        "/api/v1/cases",
        json={
            "person": {"full_name": "Người Chưa Quét", "ward_code": "26743", "phone": "0933000111"},
            "sampled_at": SAMPLED,
        },
        headers=officer,
    ).json()
    trace = client.post(f"/api/v1/cases/{case['id']}/trace", headers=officer).json()
    assert trace["f1_count"] == 0
    assert trace["f0_presences"] == 0
    assert "không có lượt khai báo" in trace["warning"]
    page = client.get(f"/cases/{case['id']}", headers=officer)
    assert 'data-testid="no-checkins"' in page.text
