"""Staff reads of a named person's record are logged against the person (one helper,
`security.audit.record_person_read`), so that the person's access history shows them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from epitrace.accounts import service as account_service
from epitrace.checkins.models import Presence, PresenceMethod
from epitrace.db import Database
from epitrace.security.models import AuditEntry
from epitrace.venues.models import Venue, VenueCategory
from tests.mydata.support import WARD, add_case, add_order


def person_reads(db: Database, person_id: uuid.UUID) -> list[str]:
    with db.session_scope() as s:
        return sorted(
            s.scalars(
                select(AuditEntry.purpose).where(
                    AuditEntry.subject_type == "person",
                    AuditEntry.subject_id == str(person_id),
                    AuditEntry.action == "read",
                )
            )
        )


def new_person(db: Database, name: str) -> uuid.UUID:
    with db.session_scope() as s:
        person = account_service.create_person(s, full_name=name)
        person.ward_code = WARD
        return person.id


def test_case_pages_and_lists_log_a_read_of_the_person(
    client: TestClient, places: Any, db: Database, make_staff: Any
) -> None:
    person_id = new_person(db, "Phạm Văn Cường")
    case_id = add_case(db, person_id, datetime.now(UTC))
    officer = make_staff("health_officer", "79")
    assert client.get(f"/cases/{case_id}", headers=officer).status_code == 200
    assert client.get("/cases", headers=officer).status_code == 200
    assert client.get("/api/v1/cases", headers=officer).status_code == 200
    assert person_reads(db, person_id) == ["case list", "case list", "case page"]
    # an official who sees counts only reads no identity: nothing is logged against the person
    counts_only = make_staff("dic_officer", "79")
    assert client.get(f"/cases/{case_id}", headers=counts_only).status_code == 200
    assert person_reads(db, person_id) == ["case list", "case list", "case page"]


def test_quarantine_lists_log_a_read_of_each_person_listed(
    client: TestClient, places: Any, db: Database, make_staff: Any
) -> None:
    person_id = new_person(db, "Đỗ Thị Lan")
    add_order(db, person_id, datetime.now(UTC), days=5)
    official = make_staff("ward_official", WARD)
    assert client.get("/quarantine", headers=official).status_code == 200
    assert client.get("/api/v1/quarantine", headers=official).status_code == 200
    assert person_reads(db, person_id) == ["quarantine list", "quarantine list"]


def test_a_contact_list_logs_a_read_of_each_contact(
    client: TestClient, places: Any, db: Database, make_staff: Any
) -> None:
    case_person = new_person(db, "Vũ Văn Dũng")
    contact = new_person(db, "Hà Thị Em")
    now = datetime.now(UTC)
    case_id = add_case(db, case_person, now)
    with db.session_scope() as s:
        venue = Venue(
            number=770001, name="Quán Cà Phê", category=VenueCategory.MARKET, ward_code=WARD
        )
        s.add(venue)
        s.flush()
        for person_id in (case_person, contact):
            s.add(
                Presence(
                    venue_id=venue.id,
                    ward_code=WARD,
                    person_id=person_id,
                    entered_at=now - timedelta(days=1, hours=1),
                    left_at=now - timedelta(days=1),
                    method=PresenceMethod.SELF_SCAN,
                )
            )
    officer = make_staff("health_officer", "79")
    traced = client.post(f"/api/v1/cases/{case_id}/trace", headers=officer)
    assert traced.status_code == 200, traced.text
    assert [c["person_id"] for c in traced.json()["f1"]] == [str(contact)]
    assert client.get(f"/api/v1/cases/{case_id}/contacts", headers=officer).status_code == 200
    assert (
        client.get(f"/api/v1/cases/{case_id}/contacts/export.csv", headers=officer).status_code
        == 200
    )
    assert client.get(f"/cases/{case_id}", headers=officer).status_code == 200
    assert person_reads(db, contact) == [
        "case page",
        "contact tracing",
        "contact tracing",
        "contact tracing export",
    ]
