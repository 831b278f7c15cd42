"""Check-in pages over HTTP: landing page, one-tap form, history, door forms, counts, XLSX."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from epitrace.db import Database
from epitrace.security.keys import Keyring
from epitrace.venues import service as venue_service
from epitrace.venues.models import Venue


def _token(db: Database, keyring: Keyring, venue_id: uuid.UUID) -> str:
    with db.session_scope() as s:
        venue = s.get(Venue, venue_id)
        assert venue is not None
        return venue_service.token_for(keyring, venue)


def test_landing_page_for_anyone_and_one_tap_for_citizens(
    client: TestClient, db: Database, citizen: Any, operator: Callable[..., Any], keyring: Keyring
) -> None:
    token = _token(db, keyring, operator()["venue_id"])
    anonymous = client.get(f"/c/{token}")
    assert anonymous.status_code == 200
    assert "Chợ Bến Thành" in anonymous.text
    assert f"/signin?next=/c/{token}" in anonymous.text
    assert "<script>" not in anonymous.text and 'style="' not in anonymous.text
    bad = client.get(f"/c/{token[:-4]}")
    assert bad.status_code == 422
    assert "Mã không đầy đủ hoặc bị hỏng." in bad.text

    headers = citizen()
    page = client.get(f"/c/{token}", headers=headers)
    assert 'data-testid="checkin-button"' in page.text
    done = client.post(f"/c/{token}", headers=headers, follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"] == "/checkins"
    page = client.get(f"/c/{token}", headers=headers)
    assert 'data-testid="checkout-button"' in page.text
    history = client.get("/checkins", headers=headers)
    assert "Chợ Bến Thành" in history.text
    refused = client.post(f"/c/{token[:-4]}", headers=headers, follow_redirects=False)
    assert refused.status_code == 303
    assert refused.headers["location"] == f"/c/{token[:-4]}"
    assert client.get("/checkins/scan", headers=headers).status_code == 200


def test_service_worker_is_served_from_the_root(client: TestClient) -> None:
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["service-worker-allowed"] == "/"
    assert "epitrace-checkin" in response.text


def test_door_page_manual_form_and_exit(
    client: TestClient, db: Database, operator: Callable[..., Any]
) -> None:
    op = operator()
    base = f"/venues/{op['venue_id']}/door"
    page = client.get(base, headers=op["headers"])
    assert page.status_code == 200
    assert 'data-testid="occupancy"' in page.text
    bad = client.post(
        f"{base}/manual", data={"full_name": "Ông Sáu", "phone": "123"}, headers=op["headers"]
    )
    assert bad.status_code == 422
    assert "Hãy nhập số di động Việt Nam" in bad.text or "0912345678" in bad.text
    ok = client.post(
        f"{base}/manual",
        data={"full_name": "Ông Sáu", "phone": "0912 000 666"},
        headers=op["headers"],
        follow_redirects=False,
    )
    assert ok.status_code == 303
    log = client.get(f"/api/v1/venues/{op['venue_id']}/door-log", headers=op["headers"]).json()
    presence_id = log["rows"][0]["presence"]["id"]
    out = client.post(f"{base}/exit/{presence_id}", headers=op["headers"], follow_redirects=False)
    assert out.status_code == 303
    page = client.get(base, headers=op["headers"])
    assert "Ông Sáu" in page.text


def test_counts_page_and_spreadsheet(
    client: TestClient,
    db: Database,
    citizen: Any,
    operator: Callable[..., Any],
    keyring: Keyring,
    make_staff: Any,
) -> None:
    token = _token(db, keyring, operator()["venue_id"])
    client.post("/api/v1/checkins", json={"token": token}, headers=citizen())
    ward = make_staff("ward_official", "26743")
    page = client.get("/checkins/counts", headers=ward)
    assert page.status_code == 200
    assert "Phường Bến Thành" in page.text
    sheet = client.get("/checkins/counts.xlsx", headers=ward)
    assert sheet.status_code == 200
    book = load_workbook(io.BytesIO(sheet.content))
    wards = book["Theo phường-xã"]
    assert [c.value for c in wards[1]] == [
        "Ngày",
        "Mã phường/xã",
        "Tên phường/xã",
        "Số địa điểm",
        "Số lượt vào",
    ]
    assert [c.value for c in wards[2]][1:] == ["26743", "Phường Bến Thành", 1, 1]


def test_a_relatives_visit_is_checked_out_on_its_own(
    client: TestClient, db: Database, citizen: Any, operator: Callable[..., Any], keyring: Keyring
) -> None:
    token = _token(db, keyring, operator()["venue_id"])
    me = citizen()
    child = client.post(
        "/api/v1/me/dependents", json={"full_name": "Lê Văn Bé", "birth_year": 2019}, headers=me
    ).json()
    client.post(
        "/api/v1/checkins", json={"token": token, "dependent_ids": [child["id"]]}, headers=me
    )
    page = client.get("/checkins", headers=me)
    assert page.text.count('data-testid="checkout"') == 2
    assert 'aria-label="Khai báo ra: Lê Văn Bé"' in page.text
    visits = client.get("/api/v1/checkins", headers=me).json()
    childs = next(v for v in visits if v["dependent_name"])
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    out = client.post(
        f"/checkins/{childs['presence']['id']}/checkout",
        data={"csrf_token": csrf},
        headers=me,
        follow_redirects=False,
    )
    assert out.status_code == 303
    left = {
        v["dependent_name"]: v["presence"]["left_at"]
        for v in client.get("/api/v1/checkins", headers=me).json()
    }
    assert left["Lê Văn Bé"] is not None
    assert left[""] is None  # the guardian is still inside
