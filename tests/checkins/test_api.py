"""Check-in through the HTTP API: self-scan, batches, check-out, door, manual entry, counts."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from epitrace.accounts.models import Person
from epitrace.db import Database
from epitrace.declarations import passes
from epitrace.declarations.passes import Colour
from epitrace.security.keys import Keyring, KeyStatus, Purpose
from epitrace.security.models import AuditEntry
from epitrace.venues import codes
from epitrace.venues import service as venue_service
from epitrace.venues.models import Venue


def _token(db: Database, keyring: Keyring, venue_id: uuid.UUID) -> str:
    with db.session_scope() as s:
        venue = s.get(Venue, venue_id)
        assert venue is not None
        return venue_service.token_for(keyring, venue)


def _person(client: TestClient, headers: dict[str, str]) -> uuid.UUID:
    return uuid.UUID(client.get("/api/v1/me", headers=headers).json()["person_id"])


def test_check_in_history_and_check_out(
    client: TestClient, db: Database, citizen: Any, operator: Callable[..., Any], keyring: Keyring
) -> None:
    op = operator()
    token = _token(db, keyring, op["venue_id"])
    me = citizen()
    dependent = client.post(
        "/api/v1/me/dependents", json={"full_name": "Lê Văn Bé", "birth_year": 2019}, headers=me
    ).json()
    url = f"https://epitrace.example.vn/c/{token}"
    response = client.post(
        "/api/v1/checkins", json={"token": url, "dependent_ids": [dependent["id"]]}, headers=me
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["outcome"] == "checked_in"
    assert body["message"] == "Đã khai báo vào Chợ Bến Thành."
    assert len(body["presences"]) == 2
    again = client.post("/api/v1/checkins", json={"token": token}, headers=me).json()
    assert again["outcome"] == "already_checked_in"

    visits = client.get("/api/v1/checkins", headers=me).json()
    assert len(visits) == 2
    assert {v["dependent_name"] for v in visits} == {"", "Lê Văn Bé"}
    mine = next(v for v in visits if not v["dependent_name"])
    out = client.post(f"/api/v1/checkins/{mine['presence']['id']}/checkout", headers=me)
    assert out.status_code == 200
    assert all(p["left_at"] for p in out.json())
    assert all(v["presence"]["left_at"] for v in client.get("/api/v1/checkins", headers=me).json())

    other = citizen("0987000111")
    stolen = client.post(f"/api/v1/checkins/{mine['presence']['id']}/checkout", headers=other)
    assert stolen.status_code == 404


def test_refused_codes_and_malformed_input(
    client: TestClient, db: Database, citizen: Any, operator: Callable[..., Any], keyring: Keyring
) -> None:
    op = operator()
    me = citizen()
    en = {**me, "Accept-Language": "en"}
    response = client.post("/api/v1/checkins", json={"token": "no such code!"}, headers=en)
    assert response.status_code == 422
    assert response.json()["detail"] == "The code is not a valid epitrace code."
    client.post(f"/api/v1/venues/{op['venue_id']}/suspend", headers=op["headers"])
    token = _token(db, keyring, op["venue_id"])
    response = client.post("/api/v1/checkins", json={"token": token}, headers=en)
    assert response.status_code == 410
    assert response.json()["detail"] == "This venue is temporarily closed; check-ins are paused."
    for body in (
        {},
        {"token": ""},
        {"token": token, "dependent_ids": ["x"]},
        {"token": token, "client_key": "short"},
        {"token": token, "extra": 1},
    ):
        response = client.post("/api/v1/checkins", json=body, headers=me)
        assert response.status_code == 422, body
        assert response.json()["errors"]
    response = client.post(
        "/api/v1/checkins",
        content=b"{not json",
        headers={**me, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    staff = client.post("/api/v1/checkins", json={"token": token}, headers=op["headers"])
    assert staff.status_code == 403


def test_batch_sync_is_idempotent_and_refuses_per_scan(
    client: TestClient, db: Database, citizen: Any, operator: Callable[..., Any], keyring: Keyring
) -> None:
    token = _token(db, keyring, operator()["venue_id"])
    me = citizen()
    now = datetime.now(UTC)
    scans = [
        {"client_key": "k-offline-1", "token": token, "at": (now - timedelta(hours=2)).isoformat()},
        {"client_key": "k-offline-2", "token": token, "at": (now - timedelta(hours=1)).isoformat()},
        {"client_key": "k-offline-3", "token": token, "at": (now - timedelta(days=30)).isoformat()},
        {"client_key": "k-offline-4", "token": token, "at": (now + timedelta(hours=1)).isoformat()},
    ]
    first = client.post("/api/v1/checkins/batch", json={"scans": scans}, headers=me)
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["accepted"], body["duplicates"], body["refused"]) == (2, 0, 2)
    reasons = {r["client_key"]: r["reason"] for r in body["results"]}
    assert reasons["k-offline-3"] == "too_old"
    assert reasons["k-offline-4"] == "future"
    messages = {r["client_key"]: r["message"] for r in body["results"]}
    assert messages["k-offline-3"] == "Lượt quét đã quá 21 ngày nên không còn được lưu."
    again = client.post("/api/v1/checkins/batch", json={"scans": scans[:2]}, headers=me).json()
    assert (again["accepted"], again["duplicates"]) == (0, 2)
    visits = client.get("/api/v1/checkins", headers=me).json()
    assert len(visits) == 1
    assert visits[0]["presence"]["left_at"] is not None  # the second scan checked out

    naive = client.post(
        "/api/v1/checkins/batch",
        json={"scans": [{"client_key": "k-naive-01", "token": token, "at": "2026-11-25T10:00:00"}]},
        headers=me,
    )
    assert naive.status_code == 422
    assert "scans.0.at" in naive.json()["errors"]
    empty = client.post("/api/v1/checkins/batch", json={"scans": []}, headers=me)
    assert empty.json() == {
        "accepted": 0,
        "duplicates": 0,
        "refused": 0,
        "results": [],
        "retry_after": None,
        "close_tokens": {},  # the escrow privacy mode's only
    }
    too_many = [
        {"client_key": f"k-many-{i:04d}", "token": token, "at": now.isoformat()} for i in range(201)
    ]
    assert (
        client.post("/api/v1/checkins/batch", json={"scans": too_many}, headers=me).status_code
        == 422
    )


def test_rate_limit_per_account_and_device(
    client: TestClient, db: Database, citizen: Any, operator: Callable[..., Any], keyring: Keyring
) -> None:
    token = _token(db, keyring, operator()["venue_id"])
    me = citizen()
    statuses = [
        client.post(
            "/api/v1/checkins", json={"token": token, "device_id": "phone-1"}, headers=me
        ).status_code
        for _ in range(61)  # 61 over at most two fixed windows: one of them passes the limit
    ]
    assert 429 in statuses
    assert statuses.count(201) <= 60
    limited = client.post("/api/v1/checkins", json={"token": token}, headers=me)
    if limited.status_code == 429:
        assert int(limited.headers["Retry-After"]) <= 60
    visits = client.get("/api/v1/checkins", headers=me).json()
    assert len(visits) == 1  # repeated scans within a minute never make two presences
    # another account on the same device is limited too
    other = citizen("0987000222")
    statuses = [
        client.post(
            "/api/v1/checkins", json={"token": token, "device_id": "phone-2"}, headers=other
        ).status_code
        for _ in range(31)
    ]
    device_only = citizen("0987000333")
    after = [
        client.post(
            "/api/v1/checkins", json={"token": token, "device_id": "phone-2"}, headers=device_only
        ).status_code
        for _ in range(31)
    ]
    assert 429 in statuses + after


def test_door_scan_shows_colour_and_name_and_is_audited(
    client: TestClient, db: Database, citizen: Any, operator: Callable[..., Any], keyring: Keyring
) -> None:
    op = operator()
    visitor = citizen()
    client.put(
        "/api/v1/me/profile",
        json={"full_name": "Phạm Thị Hoa", "ward_code": "26743"},
        headers=visitor,
    )
    person_id = _person(client, visitor)
    with db.session_scope() as s:
        pseudonym = s.get(Person, person_id).pseudonym  # type: ignore[union-attr]
    now = datetime.now(UTC)
    text = passes.issue(keyring, pseudonym=pseudonym, colour=Colour.YELLOW, now=now)
    url = f"/api/v1/venues/{op['venue_id']}/door-scans"
    response = client.post(url, json={"text": text}, headers=op["headers"])
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["colour"], body["name"], body["outcome"]) == (
        "yellow",
        "Phạm Thị Hoa",
        "checked_in",
    )
    assert body["occupancy"] == 1
    # Messages are for the operator and name the visitor.
    assert body["message"] == "Đã ghi vào: Phạm Thị Hoa."
    again = client.post(url, json={"text": text}, headers=op["headers"]).json()
    assert again["outcome"] == "already_checked_in"
    assert again["message"] == "Phạm Thị Hoa đang ở bên trong; không ghi thêm."
    out = client.post(url, json={"text": text, "direction": "out"}, headers=op["headers"]).json()
    assert out["outcome"] == "checked_out"
    assert out["message"] == "Đã ghi ra: Phạm Thị Hoa."
    assert out["occupancy"] == 0
    with db.session_scope() as s:
        reads = s.scalars(
            select(AuditEntry).where(
                AuditEntry.subject_id == str(person_id), AuditEntry.purpose == "door_scan"
            )
        ).all()
        assert len(reads) == 3

    red = passes.issue(keyring, pseudonym=pseudonym, colour=Colour.RED, now=now)
    refused = client.post(url, json={"text": red}, headers=op["headers"]).json()
    assert refused["outcome"] == "refused_entry"
    assert refused["presence"] is None

    expired = passes.issue(
        keyring, pseudonym=pseudonym, colour=Colour.GREEN, now=now - timedelta(hours=1)
    )
    response = client.post(url, json={"text": expired}, headers=op["headers"])
    assert response.status_code == 422
    assert response.json()["detail"] == "Mã đã hết hạn. Hãy đề nghị người đó mở lại mã."
    response = client.post(url, json={"text": "EPP1.nonsense"}, headers=op["headers"])
    assert response.status_code == 422
    other_op = operator()
    response = client.post(url, json={"text": text}, headers=other_op["headers"])
    assert response.status_code == 403


def test_manual_entry_door_log_and_exit(
    client: TestClient, db: Database, citizen: Any, operator: Callable[..., Any], keyring: Keyring
) -> None:
    op = operator()
    base = f"/api/v1/venues/{op['venue_id']}"
    bad = client.post(
        f"{base}/manual-entries",
        json={"full_name": "Bà Năm", "id_number": "123456789012"},
        headers=op["headers"],
    )
    assert bad.status_code == 422
    assert bad.json()["errors"]["id_number"] == "Ba chữ số đầu phải là mã tỉnh."
    short = client.post(
        f"{base}/manual-entries",
        json={"full_name": "Bà Năm", "id_number": "07909"},
        headers=op["headers"],
    )
    assert short.json()["errors"]["id_number"] == "Nhập 12 chữ số của căn cước công dân."
    entered = client.post(
        f"{base}/manual-entries",
        json={"full_name": "Bà Năm", "phone": "0912 000 111", "id_number": "079180001234"},
        headers=op["headers"],
    )
    assert entered.status_code == 201, entered.text
    token = _token(db, keyring, op["venue_id"])
    client.post("/api/v1/checkins", json={"token": token}, headers=citizen())
    log = client.get(f"{base}/door-log", headers=op["headers"]).json()
    assert (log["entries"], log["exits"], log["occupancy"]) == (2, 0, 2)
    assert "Bà Năm" in {r["name"] for r in log["rows"]}
    exit_ = client.post(f"{base}/presences/{entered.json()['id']}/exit", headers=op["headers"])
    assert exit_.status_code == 200
    assert exit_.json()["close_reason"] == "door_exit"
    log = client.get(f"{base}/door-log", headers=op["headers"]).json()
    assert (log["entries"], log["exits"], log["occupancy"]) == (2, 1, 1)
    assert client.get(f"{base}/door-log?day=yesterday", headers=op["headers"]).status_code == 422


def test_officials_see_counts_without_personal_data(
    client: TestClient,
    db: Database,
    citizen: Any,
    operator: Callable[..., Any],
    keyring: Keyring,
    make_staff: Any,
) -> None:
    op = operator()
    token = _token(db, keyring, op["venue_id"])
    for phone in ("0987000401", "0987000402", "0987000403"):
        client.post("/api/v1/checkins", json={"token": token}, headers=citizen(phone))
    ward = make_staff("ward_official", "26743")
    counts = client.get("/api/v1/checkins/counts", headers=ward)
    assert counts.status_code == 200
    body = counts.json()
    assert body["venues"] == [
        {
            "venue_id": str(op["venue_id"]),
            "venue_name": "Chợ Bến Thành",
            "ward_code": "26743",
            "checkins": 3,
        }
    ]
    assert body["wards"] == [
        {"ward_code": "26743", "ward_name": "Phường Bến Thành", "checkins": 3, "venues": 1}
    ]
    assert "09870" not in counts.text
    hanoi = make_staff("ward_official", "00070")
    assert client.get("/api/v1/checkins/counts", headers=hanoi).json()["venues"] == []
    assert client.get("/api/v1/checkins/counts?area=26743", headers=hanoi).status_code == 403
    assert client.get("/api/v1/checkins/counts", headers=op["headers"]).status_code == 403


def test_simultaneous_scans_of_one_person_make_one_presence(
    client: TestClient, db: Database, citizen: Any, operator: Callable[..., Any], keyring: Keyring
) -> None:
    token = _token(db, keyring, operator()["venue_id"])
    me = citizen()
    statuses: list[int] = []

    def scan() -> None:
        response = client.post("/api/v1/checkins", json={"token": token}, headers=me)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=scan) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [201] * 4
    assert len(client.get("/api/v1/checkins", headers=me).json()) == 1


def test_a_remembered_code_is_refused_at_once_when_its_venue_or_key_changes(
    client: TestClient, db: Database, citizen: Any, operator: Callable[..., Any], keyring: Keyring
) -> None:
    # the server remembers that a code's signature verified; everything else is read each time
    op = operator()
    token = _token(db, keyring, op["venue_id"])
    me = citizen()
    first = client.post("/api/v1/checkins", json={"token": token}, headers=me)
    assert first.status_code == 201, first.text
    assert first.json()["outcome"] == "checked_in"

    client.post(f"/api/v1/venues/{op['venue_id']}/suspend", headers=op["headers"])
    closed = client.post("/api/v1/checkins", json={"token": token}, headers=me)
    assert closed.status_code == 410
    client.post(f"/api/v1/venues/{op['venue_id']}/resume", headers=op["headers"])
    assert client.post("/api/v1/checkins", json={"token": token}, headers=me).status_code == 201

    client.post(f"/api/v1/venues/{op['venue_id']}/reissue", headers=op["headers"])
    en = {**me, "Accept-Language": "en"}
    revoked = client.post("/api/v1/checkins", json={"token": token}, headers=en)
    assert revoked.status_code == 422
    withdrawn = "This QR code has been withdrawn. Scan the venue's new poster."
    assert revoked.json()["detail"] == withdrawn
    current = _token(db, keyring, op["venue_id"])
    assert client.post("/api/v1/checkins", json={"token": current}, headers=me).status_code == 201

    # an operator retires the signing key from the command line (another process)
    other_process = Keyring(keyring.directory)
    kid = codes.read_token(keyring, current).kid
    other_process.create(Purpose.VENUE)
    other_process.set_status(Purpose.VENUE, kid, KeyStatus.RETIRED)
    retired = client.post("/api/v1/checkins", json={"token": current}, headers=en)
    assert retired.status_code == 422
    assert retired.json()["detail"] == "The code was signed by a key that is not trusted."
