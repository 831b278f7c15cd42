"""Citizen sign-up by one-time code, tokens, dependents and staff accounts over the API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update

from epitrace.accounts.models import OtpChallenge
from epitrace.accounts.sms import FileSmsChannel
from epitrace.db import Database, utcnow
from tests import factories


def test_sign_up_by_phone_creates_one_account_for_every_spelling(
    client: TestClient, sms: FileSmsChannel
) -> None:
    first = factories.citizen_headers(client, sms, "0912345678")
    me1 = client.get("/api/v1/me", headers=first).json()
    second = factories.citizen_headers(client, sms, "+84912345678")
    me2 = client.get("/api/v1/me", headers=second).json()
    assert me1["user_id"] == me2["user_id"]
    assert me1["kind"] == "citizen"
    assert me1["display_name"] == "0912 345 678"
    assert me1["grants"] == []
    assert sms.messages("+84912345678")[0]["text"].startswith("Ma xac thuc epitrace")


def test_invalid_phone_is_refused_in_vietnamese(client: TestClient) -> None:
    response = client.post("/api/v1/auth/otp", json={"phone": "0212345678x"})
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "0212345678x không phải số di động Việt Nam hợp lệ (ví dụ 0912345678)."
    assert body["errors"]["phone"] == "Nhập số di động Việt Nam, ví dụ 0912345678."


def test_wrong_expired_and_reused_codes(
    client: TestClient, sms: FileSmsChannel, db: Database
) -> None:
    client.post("/api/v1/auth/otp", json={"phone": "0987000111"})
    code = factories.last_code(sms, "+84987000111")
    wrong = "000000" if code != "000000" else "111111"
    response = client.post("/api/v1/auth/token", json={"phone": "0987000111", "code": wrong})
    assert response.status_code == 401
    assert response.json()["detail"] == "Mã không đúng hoặc đã hết hạn. Hãy yêu cầu mã mới."
    ok = client.post("/api/v1/auth/token", json={"phone": "0987000111", "code": code})
    assert ok.status_code == 200
    reused = client.post("/api/v1/auth/token", json={"phone": "0987000111", "code": code})
    assert reused.status_code == 401

    client.post("/api/v1/auth/otp", json={"phone": "0987000111"})
    code = factories.last_code(sms, "+84987000111")
    with db.session_scope() as s:
        s.execute(update(OtpChallenge).values(expires_at=utcnow() - timedelta(seconds=1)))
    expired = client.post("/api/v1/auth/token", json={"phone": "0987000111", "code": code})
    assert expired.status_code == 401


def test_code_guessing_is_limited_even_with_the_right_code_later(
    client: TestClient, sms: FileSmsChannel
) -> None:
    client.post("/api/v1/auth/otp", json={"phone": "0987000222"})
    code = factories.last_code(sms, "+84987000222")
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        r = client.post("/api/v1/auth/token", json={"phone": "0987000222", "code": wrong})
        assert r.status_code == 401
    blocked = client.post("/api/v1/auth/token", json={"phone": "0987000222", "code": code})
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert "Bạn đã thử quá nhiều lần" in blocked.json()["detail"]


def test_otp_requests_per_number_and_address_are_rate_limited(client: TestClient) -> None:
    statuses = [
        client.post("/api/v1/auth/otp", json={"phone": "0987000333"}).status_code for _ in range(4)
    ]
    assert statuses == [202] * 3 + [429]


def test_token_needs_one_kind_of_credentials(client: TestClient) -> None:
    response = client.post("/api/v1/auth/token", json={"username": "x"})
    assert response.status_code == 422
    assert response.json()["errors"]["body"] == (
        "Hãy nhập tên đăng nhập và mật khẩu, hoặc số điện thoại và mã."
    )


def test_staff_token_wrong_password_and_revocation(
    client: TestClient, places: Any, make_staff: Any
) -> None:
    headers = make_staff("ward_official", "26743", username="lan")
    me = client.get("/api/v1/me", headers=headers).json()
    assert me["grants"] == [{"role": "ward_official", "area_code": "26743"}]
    bad = client.post("/api/v1/auth/token", json={"username": "lan", "password": "nope-nope-nope"})
    assert bad.status_code == 401
    assert bad.json()["detail"] == "Sai tên đăng nhập hoặc mật khẩu."
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_dependents_belong_to_their_guardian(client: TestClient, citizen: Any) -> None:
    mother = citizen("0912000001")
    stranger = citizen("0912000002")
    created = client.post(
        "/api/v1/me/dependents",
        headers=mother,
        json={"full_name": "Lê Văn Tí", "birth_year": 2016, "relationship": "con"},
    )
    assert created.status_code == 201
    dep = created.json()
    assert dep["relationship_to_guardian"] == "con"
    listed = client.get("/api/v1/me/dependents", headers=mother).json()
    assert [d["full_name"] for d in listed] == ["Lê Văn Tí"]
    assert client.get("/api/v1/me/dependents", headers=stranger).json() == []
    gone = client.delete(f"/api/v1/me/dependents/{dep['id']}", headers=stranger)
    assert gone.status_code == 404
    assert client.delete(f"/api/v1/me/dependents/{dep['id']}", headers=mother).status_code == 204
    assert client.get("/api/v1/me/dependents", headers=mother).json() == []


def test_dependent_validation(client: TestClient, citizen: Any) -> None:
    headers = citizen()
    response = client.post(
        "/api/v1/me/dependents", headers=headers, json={"full_name": "", "birth_year": 1800}
    )
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"full_name", "birth_year"}


def test_profile_update_checks_the_ward(client: TestClient, citizen: Any, places: Any) -> None:
    headers = citizen()
    bad = client.put(
        "/api/v1/me/profile", headers=headers, json={"full_name": "Phạm Thu", "ward_code": "55555"}
    )
    assert bad.status_code == 404
    ok = client.put(
        "/api/v1/me/profile",
        headers=headers,
        json={"full_name": "Phạm Thu", "ward_code": "26743", "birth_year": 1988},
    )
    assert ok.status_code == 200
    assert client.get("/api/v1/me", headers=headers).json()["display_name"] == "Phạm Thu"


def test_admin_creates_staff_with_area_bound_roles(
    client: TestClient, places: Any, make_staff: Any
) -> None:
    admin = make_staff("system_admin", None)
    body = {
        "username": "huong",
        "password": "a-long-password",
        "grants": [
            {"role": "health_officer", "area_code": "79"},
            {"role": "ward_official", "area_code": "26743"},
        ],
    }
    created = client.post("/api/v1/users", headers=admin, json=body)
    assert created.status_code == 201
    assert {g["role"] for g in created.json()["grants"]} == {"health_officer", "ward_official"}
    duplicate = client.post("/api/v1/users", headers=admin, json=body)
    assert duplicate.status_code == 409
    unbound = client.post(
        "/api/v1/users",
        headers=admin,
        json={
            "username": "x-1",
            "password": "a-long-password",
            "grants": [{"role": "ward_official"}],
        },
    )
    assert unbound.status_code == 422
    assert unbound.json()["detail"] == "Vai trò ward_official phải gắn với một địa bàn."
    short = client.post(
        "/api/v1/users", headers=admin, json={"username": "x-2", "password": "short", "grants": []}
    )
    assert short.status_code == 422
    audit = client.get(
        "/api/v1/audit", headers=admin, params={"subject_type": "user_account"}
    ).json()
    assert audit["total"] == 1
    assert audit["items"][0]["detail"]["grants"][0] == ["health_officer", "79"]
