"""Person search inside one's area, and merging two records of the same human."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from epitrace.accounts.models import Person
from epitrace.cases import models as case_models
from epitrace.cases.models import Case, QuarantineOrder
from epitrace.checkins.models import Presence
from epitrace.db import Database
from epitrace.security.models import AuditEntry
from tests.tracing import factories as f

NOW = datetime.now(UTC)


def _people(db: Database) -> dict[str, str]:
    with db.session_scope() as s:
        ben_thanh = f.person(s, "Nguyễn Thị Bến", ward="26743", phone="0911000001")
        sai_gon = f.person(s, "Đặng Văn Đức", ward="26734", phone="+84911000002")
        hanoi = f.person(s, "Nguyễn Văn Hà", ward="00070", phone="0911000003")
        unplaced = Person(full_name="Lý Thị Lạc", phone="+84911000004", id_number="079190000004")
        s.add(unplaced)
        s.flush()
        return {
            "ben_thanh": str(ben_thanh.id),
            "sai_gon": str(sai_gon.id),
            "hanoi": str(hanoi.id),
            "unplaced": str(unplaced.id),
        }


def _names(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [p["full_name"] for p in response.json()]


def test_search_by_name_with_or_without_diacritics_phone_id_and_ward(
    client: TestClient, db: Database, places: Any, make_staff: Any
) -> None:
    _people(db)
    officer = make_staff("health_officer", "79")
    assert _names(client.get("/api/v1/people?q=nguyen", headers=officer)) == ["Nguyễn Thị Bến"]
    assert _names(client.get("/api/v1/people?q=DUC", headers=officer)) == ["Đặng Văn Đức"]
    assert _names(client.get("/api/v1/people?q=Đức", headers=officer)) == ["Đặng Văn Đức"]
    # a citizen the health system has no area for is found by exact phone or ID number only
    assert _names(client.get("/api/v1/people?q=lac", headers=officer)) == []
    assert _names(client.get("/api/v1/people?q=0911 000 004", headers=officer)) == ["Lý Thị Lạc"]
    assert _names(client.get("/api/v1/people?q=079190000004", headers=officer)) == ["Lý Thị Lạc"]
    # never someone of another province, whatever is typed
    assert _names(client.get("/api/v1/people?q=0911000003", headers=officer)) == []
    assert _names(client.get("/api/v1/people?ward=26734", headers=officer)) == ["Đặng Văn Đức"]
    for wildcard in ("_", "%", "N_uy"):  # taken literally
        assert _names(client.get("/api/v1/people", params={"q": wildcard}, headers=officer)) == []
    assert client.get("/api/v1/people?ward=00070", headers=officer).status_code == 403
    for bad in ("0911", "09x", "Nguyễn 1"):
        refused = client.get("/api/v1/people", params={"q": bad}, headers=officer)
        assert refused.status_code == 422 and "q" in refused.json()["errors"], bad
    assert client.get("/api/v1/people?q=" + "a" * 101, headers=officer).status_code == 422

    # a ward official searches their own ward only
    ward = make_staff("ward_official", "26743")
    assert _names(client.get("/api/v1/people?q=nguyen", headers=ward)) == ["Nguyễn Thị Bến"]
    assert _names(client.get("/api/v1/people?q=duc", headers=ward)) == []
    with db.session_scope() as s:
        entries = list(s.scalars(select(AuditEntry).where(AuditEntry.purpose == "person search")))
    assert len(entries) == 13


def test_merge_moves_everything_keeps_history_and_checks_both_areas(
    client: TestClient, db: Database, places: Any, make_staff: Any, citizen: Any
) -> None:
    ids = _people(db)
    signed_up = citizen("0911000009")
    account_person = client.get("/api/v1/me", headers=signed_up).json()["person_id"]
    with db.session_scope() as s:
        duplicate = f.person(s, "Trần Văn Chín", ward="26743", phone="0911000009")
        duplicate.id_number = "079190000009"
        market = f.venue(s)
        visit = f.presence(
            s, venue=market, who=s.get(Person, uuid.UUID(account_person)), start=0, end=30
        )
        s.add(
            Case(
                person_id=duplicate.id,
                ward_code="26743",
                test_type=case_models.TestType.PCR,
                sampled_at=NOW - timedelta(days=1),
                confirmed_at=NOW,
            )
        )
        s.flush()
        duplicate_id, visit_id = str(duplicate.id), visit.id
    officer = make_staff("health_officer", "79")
    merged = client.post(
        "/api/v1/people/merge",
        json={"keep_id": account_person, "merge_id": duplicate_id},
        headers=officer,
    )
    assert merged.status_code == 200, merged.text
    body = merged.json()
    assert body["moved"]["cases"] == 1
    assert set(body["filled"]) >= {"id_number", "ward_code", "full_name"}
    with db.session_scope() as s:
        kept = s.get(Person, uuid.UUID(account_person))
        old = s.get(Person, uuid.UUID(duplicate_id))
        assert kept is not None and old is not None
        assert old.merged_into_id == kept.id  # the merged record stays, as history
        assert kept.id_number == "079190000009"
        case_people = set(s.scalars(select(Case.person_id)))
        assert case_people == {kept.id}
        presence = s.get(Presence, visit_id)
        assert presence is not None and presence.person_id == kept.id
        audited = set(s.scalars(select(AuditEntry.subject_id).where(AuditEntry.action == "merge")))
        assert audited == {account_person, duplicate_id}
    # the old id now answers with the kept record: a case for it lands on the kept person
    again = client.post(
        "/api/v1/quarantine",
        json={"person_id": duplicate_id, "reason": "f0", "kind": "home"},
        headers=officer,
    )
    assert again.status_code == 201
    assert again.json()["person_id"] == account_person
    twice = client.post(
        "/api/v1/people/merge",
        json={"keep_id": ids["ben_thanh"], "merge_id": duplicate_id},
        headers=officer,
    )
    assert twice.status_code == 409
    same = client.post(
        "/api/v1/people/merge",
        json={"keep_id": ids["ben_thanh"], "merge_id": ids["ben_thanh"]},
        headers=officer,
    )
    assert same.status_code == 422
    # a record of another province cannot be pulled in
    outside = client.post(
        "/api/v1/people/merge",
        json={"keep_id": ids["ben_thanh"], "merge_id": ids["hanoi"]},
        headers=officer,
    )
    assert outside.status_code == 403
    with db.session_scope() as s:
        assert s.scalar(select(QuarantineOrder.person_id)) == uuid.UUID(account_person)
        hanoi = s.get(Person, uuid.UUID(ids["hanoi"]))
        assert hanoi is not None and hanoi.merged_into_id is None


def test_two_account_holders_are_never_merged(
    client: TestClient, db: Database, places: Any, make_staff: Any, citizen: Any
) -> None:
    one = client.get("/api/v1/me", headers=citizen("0911000011")).json()["person_id"]
    two = client.get("/api/v1/me", headers=citizen("0911000012")).json()["person_id"]
    officer = make_staff("health_officer", "79")
    response = client.post(
        "/api/v1/people/merge", json={"keep_id": one, "merge_id": two}, headers=officer
    )
    assert response.status_code == 409
    assert "tài khoản" in response.json()["detail"]
