"""Declarations, statuses, passes and the officials' lists through the HTTP API."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from epitrace.config import Settings
from epitrace.db import Database
from epitrace.declarations import passes
from epitrace.security import audit
from epitrace.security.keys import Keyring
from epitrace.security.tokens import b64decode, b64encode
from tests.declarations.factories import days_ago, payload


def me(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 200
    return dict(response.json())


def test_declare_with_symptoms_gives_yellow_and_the_reason(
    client: TestClient, places: Any, citizen: Any
) -> None:
    headers = citizen()
    body = payload(
        symptoms=["fever", "loss_of_taste_smell"],
        travel=[{"place": "Đà Nẵng", "date": days_ago(3)}],
        dose_dates=["2021-08-01", "2021-10-01"],
        test_kind="rapid",
        test_date=days_ago(1),
        test_result="negative",
    )
    response = client.post("/api/v1/declarations", json=body, headers=headers)
    assert response.status_code == 201, response.text
    data = response.json()
    assert data["declaration"]["has_symptoms"] is True
    assert data["declaration"]["phone"] == "+84912345678"
    assert data["declaration"]["travel"] == [{"place": "Đà Nẵng", "date": days_ago(3)}]
    assert data["status"]["colour"] == "yellow"
    assert data["status"]["reason_code"] == "symptoms"
    assert data["status"]["reason"] == "Đã khai báo có triệu chứng trong 14 ngày qua."


def test_invalid_declaration_names_fields_in_vietnamese_and_english(
    client: TestClient, places: Any, citizen: Any
) -> None:
    headers = citizen()
    body = payload(id_number="12345", dose_dates=["2021-10-01", "2021-09-01"], consent=False)
    response = client.post("/api/v1/declarations", json=body, headers=headers)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors["id_number"] == "Số căn cước công dân (CCCD) gồm đúng 12 chữ số."
    assert errors["dose_dates.1"] == "Mỗi mũi tiêm phải sau mũi trước."
    assert "consent" in errors
    response = client.post(
        "/api/v1/declarations", json=body, headers={**headers, "Accept-Language": "en"}
    )
    assert response.json()["errors"]["id_number"] == (
        "A citizen ID (CCCD) number has exactly 12 digits."
    )
    # type errors too get a message per field, never a 500
    response = client.post(
        "/api/v1/declarations",
        json=payload(birth_year="abc", dose_dates=["not-a-date"]),
        headers=headers,
    )
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"birth_year", "dose_dates.0"}
    assert client.get("/api/v1/declarations", headers=headers).json() == []


def test_history_and_status_for_self_and_dependents(
    client: TestClient, places: Any, citizen: Any
) -> None:
    headers = citizen()
    dependent = client.post(
        "/api/v1/me/dependents",
        json={"full_name": "Nguyễn Thị Bé", "birth_year": 2016, "relationship": "con"},
        headers=headers,
    ).json()
    client.post("/api/v1/declarations", json=payload(), headers=headers)
    client.post("/api/v1/declarations", json=payload(exposures=["outbreak_area"]), headers=headers)
    child = payload(
        subject="dependent",
        person_id=dependent["id"],
        full_name="Nguyễn Thị Bé",
        id_kind="passport",
        id_number="C1234567",
        birth_year=2016,
        gender="female",
    )
    assert client.post("/api/v1/declarations", json=child, headers=headers).status_code == 201

    history = client.get("/api/v1/declarations", headers=headers).json()
    assert [d["has_exposure"] for d in history] == [True, False]
    statuses = {
        s["full_name"]: s for s in client.get("/api/v1/declarations/status", headers=headers).json()
    }
    assert statuses["Nguyễn Thị Bé"]["colour"] == "green"
    assert statuses["Nguyễn Thị Bé"]["reason_code"] == "declared_no_risk"
    mine = statuses[next(n for n in statuses if n != "Nguyễn Thị Bé")]
    assert (mine["colour"], mine["reason_code"]) == ("yellow", "exposure")
    child_history = client.get(
        "/api/v1/declarations", params={"person_id": dependent["id"]}, headers=headers
    ).json()
    assert [d["subject"] for d in child_history] == ["dependent"]
    child_pass = client.get(f"/api/v1/passes/{dependent['id']}", headers=headers).json()
    assert (child_pass["full_name"], child_pass["colour"]) == ("Nguyễn Thị Bé", "green")

    # someone else's relative is not reachable
    other = citizen("0987000111")
    response = client.get(
        "/api/v1/declarations", params={"person_id": dependent["id"]}, headers=other
    )
    assert response.status_code == 403
    assert client.get(f"/api/v1/passes/{dependent['id']}", headers=other).status_code == 403


def test_pass_is_issued_verified_and_the_read_logged(
    client: TestClient, places: Any, citizen: Any, make_staff: Any, db: Database
) -> None:
    headers = citizen()
    person_id = me(client, headers)["person_id"]
    client.post("/api/v1/declarations", json=payload(symptoms=["cough"]), headers=headers)
    issued = client.get(f"/api/v1/passes/{person_id}", headers=headers)
    assert issued.status_code == 200
    data = issued.json()
    assert data["text"].startswith("EPP1.") and len(data["text"]) == 115
    assert data["colour"] == "yellow"
    assert data["qr_svg"].startswith("data:image/svg+xml")
    assert 0 < data["refresh_in_seconds"] < 300

    svg = client.get(f"/api/v1/passes/{person_id}/qr.svg", headers=headers)
    assert svg.headers["content-type"] == "image/svg+xml"
    assert svg.headers["cache-control"] == "no-store"
    assert svg.text.lstrip().startswith("<?xml") or "<svg" in svg.text

    operator = make_staff("venue_operator", "79")
    verified = client.post("/api/v1/passes/verify", json={"text": data["text"]}, headers=operator)
    assert verified.status_code == 200, verified.text
    assert verified.json()["colour"] == "yellow"
    assert verified.json()["display_name"] == "Nguyễn Văn An"
    assert verified.json()["birth_year"] == 1990
    with db.session_scope() as s:
        entries, _ = audit.get_all(s, subject_type="person", subject_id=person_id)
        assert [(e.purpose, e.action) for e in entries] == [("pass.verify", "read")]
        assert entries[0].detail is not None and entries[0].detail["colour"] == "yellow"


def test_expired_forged_and_altered_passes_are_refused(
    client: TestClient, places: Any, citizen: Any, make_staff: Any, settings: Settings
) -> None:
    headers = citizen()
    person_id = me(client, headers)["person_id"]
    text = client.get(f"/api/v1/passes/{person_id}", headers=headers).json()["text"]
    operator = make_staff("venue_operator", "79")
    keyring = Keyring(settings.keys_dir)
    pseudonym = passes.verify(keyring, text, now=datetime.now(UTC)).pseudonym

    old = passes.issue(
        keyring,
        pseudonym=pseudonym,
        colour=passes.Colour.GREEN,
        now=datetime.now(UTC) - timedelta(minutes=10),
    )
    response = client.post("/api/v1/passes/verify", json={"text": old}, headers=operator)
    assert response.status_code == 422
    assert response.json()["code"] == "pass_expired"
    assert response.json()["detail"] == "Mã đã hết hạn. Hãy đề nghị người đó mở lại mã."

    raw = bytearray(b64decode(text.removeprefix("EPP1.")))
    raw[2 + 9] = 1  # yellow → green, without re-signing
    altered = "EPP1." + b64encode(bytes(raw))
    response = client.post("/api/v1/passes/verify", json={"text": altered}, headers=operator)
    assert (response.status_code, response.json()["code"]) == (422, "pass_forged")

    other_keys = Keyring(settings.keys_dir.parent / "other-keys")
    forged = passes.issue(
        other_keys, pseudonym=pseudonym, colour=passes.Colour.GREEN, now=datetime.now(UTC)
    )
    response = client.post("/api/v1/passes/verify", json={"text": forged}, headers=operator)
    assert response.status_code == 422
    assert response.json()["code"] in ("pass_forged", "pass_unknown_key")

    response = client.post("/api/v1/passes/verify", json={"text": "hello"}, headers=operator)
    assert (response.status_code, response.json()["code"]) == (422, "pass_malformed")
    stranger = passes.issue(
        keyring, pseudonym="AAAAAAAAAAAA", colour=passes.Colour.GREEN, now=datetime.now(UTC)
    )
    response = client.post("/api/v1/passes/verify", json={"text": stranger}, headers=operator)
    assert (response.status_code, response.json()["code"]) == (422, "pass_unknown")
    # a citizen cannot verify passes
    response = client.post("/api/v1/passes/verify", json={"text": text}, headers=headers)
    assert response.status_code == 403


def test_officials_list_export_counts_and_follow_up(
    client: TestClient, places: Any, citizen: Any, make_staff: Any
) -> None:
    headers = citizen()
    client.post("/api/v1/declarations", json=payload(symptoms=["fever"]), headers=headers)
    other = citizen("0987000222")
    client.post(
        "/api/v1/declarations",
        json=payload(phone="0987000222", ward_code="00070", exposures=["case"]),
        headers=other,
    )
    ward_official = make_staff("ward_official", "26743")
    listed = client.get("/api/v1/declarations/flagged", headers=ward_official)
    assert listed.status_code == 200
    rows = listed.json()
    assert [r["ward_code"] for r in rows] == ["26743"]
    assert rows[0]["symptoms"] == ["fever"] and rows[0]["followed_up_at"] is None
    # a ward official cannot look at another province
    outside = client.get("/api/v1/declarations/flagged?area=01", headers=ward_official)
    assert outside.status_code == 403

    health = make_staff("health_officer", "79")
    hanoi = make_staff("province_official", "01")
    assert [
        r["ward_code"]
        for r in client.get("/api/v1/declarations/flagged?days=3", headers=health).json()
    ] == ["26743"]
    assert client.get("/api/v1/declarations/flagged?kind=exposure", headers=health).json() == []
    only_exposure = client.get("/api/v1/declarations/flagged?kind=exposure", headers=hanoi).json()
    assert [r["ward_code"] for r in only_exposure] == ["00070"]
    bad = client.get("/api/v1/declarations/flagged?days=999", headers=health)
    assert bad.status_code == 422

    done = client.post(
        f"/api/v1/declarations/{rows[0]['id']}/follow-up",
        json={"note": "Trạm y tế đã gọi"},
        headers=ward_official,
    )
    assert done.status_code == 200, done.text
    again = client.get("/api/v1/declarations/flagged?followed_up=true", headers=ward_official)
    assert again.json()[0]["followed_up_by"]
    assert (
        client.get("/api/v1/declarations/flagged?followed_up=false", headers=ward_official).json()
        == []
    )
    # following up a declaration outside one's ward is refused
    outside_id = only_exposure[0]["id"]
    refused = client.post(f"/api/v1/declarations/{outside_id}/follow-up", headers=ward_official)
    assert refused.status_code == 403

    export = client.get("/api/v1/declarations/flagged.xlsx", headers=health)
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert sheet is not None
    values = list(sheet.values)
    assert values[0][:3] == ("STT", "Thời điểm khai báo", "Họ và tên")
    assert len(values) == 2
    assert any("Sốt" in str(row[7]) for row in values[1:])

    counts = client.get("/api/v1/declarations/counts?area=79", headers=health).json()
    assert [(c["ward_code"], c["declarations"], c["with_symptoms"]) for c in counts] == [
        ("26743", 1, 1)
    ]
    # a ward outside one's area shows nothing rather than someone else's list
    assert client.get("/api/v1/declarations/flagged?ward=00070", headers=health).json() == []
    admin = make_staff("system_admin", None)
    national = client.get("/api/v1/declarations/counts", headers=admin).json()
    assert {c["ward_code"] for c in national} == {"26743", "00070"}
    dic = make_staff("dic_officer", "79")
    assert client.get("/api/v1/declarations/counts", headers=dic).status_code == 200
    assert client.get("/api/v1/declarations/flagged", headers=dic).status_code == 403
