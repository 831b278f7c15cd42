"""Test data builders shared by every domain's tests."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from epitrace.accounts import service as account_service
from epitrace.accounts.sms import FileSmsChannel
from epitrace.places import service as place_service
from epitrace.places.service import UnitRow
from epitrace.security.roles import Role

STAFF_PASSWORD = "correct-horse-battery"

PLACE_ROWS = [
    UnitRow("01", "Thành phố Hà Nội", "thành phố trung ương", None, 8_500_000),
    UnitRow("00070", "Phường Hoàn Kiếm", "phường", "01", 130_000),
    UnitRow("00004", "Phường Ba Đình", "phường", "01", 120_000),
    UnitRow("79", "Thành phố Hồ Chí Minh", "thành phố trung ương", None, 9_400_000),
    UnitRow("26743", "Phường Bến Thành", "phường", "79", 60_000),
    UnitRow("26734", "Phường Sài Gòn", "phường", "79", 45_000),
    # a three-level province (old structure): province → district → wards
    UnitRow("99", "Tỉnh Thử Nghiệm", "tỉnh", None, 1_000_000),
    UnitRow("991", "Huyện Một", "huyện", "99", 400_000),
    UnitRow("99101", "Xã Một A", "xã", "991", 150_000),
    UnitRow("99102", "Xã Một B", "xã", "991", 250_000),
    UnitRow("992", "Huyện Hai", "huyện", "99", 600_000),
    UnitRow("99201", "Xã Hai A", "xã", "992", 600_000),
]


def make_places(session: Session) -> dict[str, Any]:
    place_service.load(session, PLACE_ROWS)
    return {r.code: r for r in PLACE_ROWS}


def staff(session: Session, *, username: str, role: str, area: str | None) -> None:
    account_service.create_staff(
        session,
        username=username,
        password=STAFF_PASSWORD,
        grants=[(Role(role), area)],
        granter=None,
    )


def token_headers(
    client: TestClient, *, username: str, password: str = STAFF_PASSWORD
) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def last_code(sms: FileSmsChannel, phone: str) -> str:
    text = sms.messages(phone)[-1]["text"]
    return next(word.rstrip(",") for word in text.split() if word.rstrip(",").isdigit())


def citizen_headers(client: TestClient, sms: FileSmsChannel, phone: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/otp", json={"phone": phone})
    assert response.status_code == 202, response.text
    canonical = response.json()["phone"]
    code = last_code(sms, canonical)
    response = client.post("/api/v1/auth/token", json={"phone": phone, "code": code})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
