"""Cases, tracing and quarantine through the HTTP API, with the privacy rules."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from epitrace.db import Database
from epitrace.security.models import AuditEntry
from epitrace.venues.models import VenueCategory
from tests.tracing import factories as f

NOW = datetime.now(UTC)


def _minutes_ago(minutes: float) -> float:
    return (NOW - f.T0).total_seconds() / 60 - minutes


def _setup_contacts(db: Database) -> dict[str, Any]:
    """A market visit two days ago: F0 with A (F1); later A with B at an office (F2)."""
    with db.session_scope() as s:
        f0 = f.person(s, "Lê Văn Tám", phone="0911000001")
        a = f.person(s, "Phạm Thị Hoa", phone="0911000002")
        b = f.person(s, "Đỗ Minh Khôi", ward="26734", phone="0911000003")
        market = f.venue(s)
        office = f.venue(s, category=VenueCategory.AGENCY_OFFICE, name="Công ty Sao Mai")
        t = _minutes_ago(2 * 24 * 60)
        f.presence(s, venue=market, who=f0, start=t, end=t + 45)
        f.presence(s, venue=market, who=a, start=t + 10, end=t + 60)
        f.presence(s, venue=office, who=a, start=t + 24 * 60, end=t + 24 * 60 + 240)
        f.presence(s, venue=office, who=b, start=t + 24 * 60 + 60, end=t + 24 * 60 + 120)
        return {"f0": str(f0.id), "a": str(a.id), "b": str(b.id)}


def test_register_trace_and_export(
    client: TestClient, db: Database, places: Any, make_staff: Any
) -> None:
    ids = _setup_contacts(db)
    officer = make_staff("health_officer", "79")
    sampled = (NOW - timedelta(days=1)).isoformat()
    response = client.post(
        "/api/v1/cases",
        json={"person_id": ids["f0"], "sampled_at": sampled, "test_type": "pcr"},
        headers=officer,
    )
    assert response.status_code == 201, response.text
    case = response.json()
    assert case["ward_code"] == "26743"
    assert case["full_name"] == "Lê Văn Tám"

    response = client.post(f"/api/v1/cases/{case['id']}/trace", headers=officer)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["identities"] is True
    assert [c["full_name"] for c in body["f1"]] == ["Phạm Thị Hoa"]
    assert [c["full_name"] for c in body["f2"]] == ["Đỗ Minh Khôi"]
    assert body["f1"][0]["evidence"]["overlap_minutes"] == 35
    assert body["f2"][0]["source_name"] == "Phạm Thị Hoa"
    assert body["trace"]["policy_version"] == 0

    response = client.get(f"/api/v1/cases/{case['id']}/contacts/export.xlsx", headers=officer)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Mức", "Họ và tên", "Số điện thoại")
    assert [r[0] for r in rows[1:]] == ["F1", "F2"]

    response = client.get(
        f"/api/v1/cases/{case['id']}/contacts/export.csv?ward=26734", headers=officer
    )
    text = response.content.decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert len(lines) == 2 and lines[1].startswith("F2,Đỗ Minh Khôi")

    official = make_staff("district_official", "79")
    response = client.get(f"/api/v1/cases/{case['id']}/contacts", headers=official)
    assert response.status_code == 200
    body = response.json()
    assert body["identities"] is False
    assert (body["f1_count"], body["f2_count"], body["f1"]) == (1, 1, [])
    response = client.get(f"/api/v1/cases/{case['id']}/contacts/export.xlsx", headers=official)
    assert response.status_code == 403
    # the ward official of the case's ward sees who the contacts are; another ward's does not
    ward = make_staff("ward_official", "26743")
    response = client.get(f"/api/v1/cases/{case['id']}/contacts", headers=ward)
    assert response.json()["identities"] is True
    assert [c["full_name"] for c in response.json()["f1"]] == ["Phạm Thị Hoa"]
    other_ward = make_staff("ward_official", "26734")
    response = client.get(f"/api/v1/cases/{case['id']}/contacts", headers=other_ward)
    assert response.status_code == 403

    with db.session_scope() as s:
        seen = {(r[0], r[1]) for r in s.execute(select(AuditEntry.action, AuditEntry.subject_type))}
    assert {
        ("read", "case_contacts"),
        ("export", "case_contacts"),
        ("read", "case_contact_counts"),
    } <= seen


def test_new_person_case_and_bad_input(
    client: TestClient, db: Database, places: Any, make_staff: Any
) -> None:
    officer = make_staff("health_officer", "79")
    response = client.post(
        "/api/v1/cases",
        json={
            "person": {"full_name": "Võ Thị Sáu", "ward_code": "26734", "phone": "0912000111"},
            "sampled_at": (NOW - timedelta(days=1)).isoformat(),
            "onset_at": (NOW - timedelta(days=2)).isoformat(),
            "isolation_place": "Bệnh viện dã chiến số 3",
        },
        headers=officer,
    )
    assert response.status_code == 201, response.text
    person_id = response.json()["person_id"]
    again = client.post(
        "/api/v1/cases",
        json={"person_id": person_id, "sampled_at": (NOW - timedelta(days=1)).isoformat()},
        headers=officer,
    )
    assert again.status_code == 409
    future = client.post(
        "/api/v1/cases",
        json={
            "person": {"full_name": "Ai Đó", "ward_code": "26734"},
            "sampled_at": (NOW + timedelta(days=3)).isoformat(),
        },
        headers=officer,
    )
    assert future.status_code == 422
    naive = client.post(
        "/api/v1/cases",
        json={"person_id": person_id, "sampled_at": "2026-11-20T08:00:00"},
        headers=officer,
    )
    assert naive.status_code == 422
    outside = client.post(
        "/api/v1/cases",
        json={
            "person": {"full_name": "Ai Đó", "ward_code": "00070"},
            "sampled_at": (NOW - timedelta(days=1)).isoformat(),
        },
        headers=officer,
    )
    assert outside.status_code == 403


def test_positive_pcr_promotes_to_case(
    client: TestClient, db: Database, places: Any, make_staff: Any
) -> None:
    with db.session_scope() as s:
        person_id = str(f.person(s, "Trương Văn Lâm").id)
    officer = make_staff("health_officer", "79")
    sampled = (NOW - timedelta(hours=5)).isoformat()
    rapid = client.post(
        "/api/v1/tests",
        json={
            "person_id": person_id,
            "test_type": "rapid",
            "sampled_at": sampled,
            "result": "positive",
            "promote": True,
        },
        headers=officer,
    )
    assert rapid.status_code == 422
    pcr = client.post(
        "/api/v1/tests",
        json={
            "person_id": person_id,
            "test_type": "pcr",
            "sampled_at": sampled,
            "result": "positive",
            "promote": True,
        },
        headers=officer,
    )
    assert pcr.status_code == 201, pcr.text
    assert pcr.json()["case_id"]
