"""Venue pages: the list, the registration form with errors, a venue's code and actions."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def test_register_venue_through_the_form(client: TestClient, make_staff: Any, places: Any) -> None:
    headers = make_staff("org_admin", "79")
    page = client.get("/venues", headers=headers)
    assert page.status_code == 200
    assert "Đăng ký địa điểm" in page.text
    bad = client.post(
        "/venues",
        data={"name": "Xe buýt 19", "category": "vehicle", "ward_code": "26743"},
        headers=headers,
    )
    assert bad.status_code == 422
    assert "Phương tiện cần có biển số." in bad.text
    unknown = client.post(
        "/venues", data={"name": "Chợ", "category": "market", "ward_code": "999"}, headers=headers
    )
    assert unknown.status_code == 422
    assert "Không có phường/xã tên này." in unknown.text  # nor with that code
    done = client.post(
        "/venues",
        data={"name": "Chợ Bến Thành", "category": "market", "ward_code": "26743"},
        headers=headers,
        follow_redirects=False,
    )
    assert done.status_code == 303
    detail = client.get(done.headers["location"], headers=headers)
    assert "data:image/svg+xml" in detail.text
    assert "https://epitrace.example.vn/c/" in detail.text
    venue_path = done.headers["location"]
    for action in ("suspend", "resume", "reissue"):
        response = client.post(f"{venue_path}/{action}", headers=headers, follow_redirects=False)
        assert response.status_code == 303
    assert "Phiên bản mã" in client.get(venue_path, headers=headers).text
    ward = make_staff("ward_official", "26743")
    assert client.get(venue_path, headers=ward).status_code == 200
    hanoi = make_staff("ward_official", "00070")
    assert client.get(venue_path, headers=hanoi).status_code == 403
