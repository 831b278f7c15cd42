"""A named person's health record: read for an active case, or for a stated purpose (audited)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from epitrace.accounts.models import Person
from epitrace.cases import models as case_models
from epitrace.cases.models import Case, QuarantineKind, QuarantineOrder
from epitrace.db import Database, utcnow
from epitrace.security.models import AuditEntry


def _person(db: Database, ward: str = "26743") -> str:
    with db.session_scope() as s:
        person = Person(full_name="Lê Thị Hồng", ward_code=ward, phone="+84911222333")
        s.add(person)
        s.flush()
        return str(person.id)


def _reads(db: Database, person_id: str) -> list[AuditEntry]:
    with db.session_scope() as s:
        rows = list(
            s.scalars(
                select(AuditEntry).where(
                    AuditEntry.subject_id == person_id, AuditEntry.action == "read"
                )
            )
        )
        s.expunge_all()
        return rows


def test_outside_a_case_a_purpose_is_required_and_recorded(
    client: TestClient, db: Database, places: Any, make_staff: Any
) -> None:
    person_id = _person(db)
    officer = make_staff("health_officer", "79")
    url = f"/api/v1/people/{person_id}/record"
    refused = client.get(url, headers=officer)
    assert refused.status_code == 428
    problem = refused.json()
    assert problem["code"] == "purpose_required"
    assert "mục đích" in problem["detail"]  # the reason, in Vietnamese first
    assert "citizen_request" in {p["code"] for p in problem["purposes"]}
    assert _reads(db, person_id) == []  # nothing was read, nothing logged

    unknown = client.get(url, params={"purpose": "curiosity"}, headers=officer)
    assert unknown.status_code == 422
    other = client.get(url, params={"purpose": "other"}, headers=officer)
    assert other.status_code == 422 and "note" in other.json()["errors"]

    ok = client.get(
        url, params={"purpose": "citizen_request", "note": "gọi  đường dây nóng"}, headers=officer
    )
    assert ok.status_code == 200, ok.text
    body = ok.json()
    assert body["full_name"] == "Lê Thị Hồng" and body["context"] is None
    assert body["purpose"] == "citizen_request"
    (entry,) = _reads(db, person_id)
    assert entry.purpose == "citizen_request"
    assert entry.detail == {
        "record": "health_record",
        "ward": "26743",
        "note": "gọi đường dây nóng",
        "in_case": None,
    }


def test_an_active_case_or_order_is_the_purpose(
    client: TestClient, db: Database, places: Any, make_staff: Any
) -> None:
    case_person, order_person = _person(db), _person(db)
    now = utcnow()
    with db.session_scope() as s:
        s.add(
            Case(
                person_id=uuid.UUID(case_person),
                ward_code="26743",
                test_type=case_models.TestType.PCR,
                sampled_at=now - timedelta(days=1),
                confirmed_at=now,
            )
        )
        s.add(
            QuarantineOrder(
                person_id=uuid.UUID(order_person),
                reason="f1",
                kind=QuarantineKind.HOME,
                ward_code="26743",
                starts_at=now - timedelta(days=1),
                ends_at=now + timedelta(days=6),
            )
        )
    officer = make_staff("health_officer", "79")
    for person_id, context in ((case_person, "active_case"), (order_person, "active_quarantine")):
        answer = client.get(f"/api/v1/people/{person_id}/record", headers=officer)
        assert answer.status_code == 200, answer.text
        assert answer.json()["context"] == context
        (entry,) = _reads(db, person_id)
        assert entry.purpose == context
    cases = client.get(f"/api/v1/people/{case_person}/record", headers=officer).json()["cases"]
    assert [c["status"] for c in cases] == ["active"]


def test_outside_the_area_is_refused_before_any_purpose(
    client: TestClient, db: Database, places: Any, make_staff: Any
) -> None:
    hanoi = _person(db, ward="00070")
    officer = make_staff("health_officer", "79")
    answer = client.get(
        f"/api/v1/people/{hanoi}/record", params={"purpose": "citizen_request"}, headers=officer
    )
    assert answer.status_code == 403
    assert _reads(db, hanoi) == []


def test_the_page_asks_for_the_purpose_then_shows_the_record(
    client: TestClient, db: Database, places: Any, make_staff: Any
) -> None:
    person_id = _person(db)
    officer = make_staff("ward_official", "26743")
    form = client.get(f"/people/{person_id}/record", headers=officer)
    assert form.status_code == 200 and 'data-testid="purpose-form"' in form.text
    assert "Lê Thị Hồng" not in form.text  # initials only until a purpose is given
    missing = client.post(f"/people/{person_id}/record", data={"note": ""}, headers=officer)
    assert missing.status_code == 422 and 'id="purpose-error"' in missing.text
    shown = client.post(
        f"/people/{person_id}/record",
        data={"purpose": "quarantine_supervision"},
        headers=officer,
    )
    assert shown.status_code == 200 and "Lê Thị Hồng" in shown.text
    assert 'data-testid="record-purpose"' in shown.text
    assert [e.purpose for e in _reads(db, person_id)] == ["quarantine_supervision"]
