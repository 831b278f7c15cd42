"""Places API: parent chains, children, errors, and who may read."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def test_place_with_parent_chain(client: TestClient, places: Any, make_staff: Any) -> None:
    headers = make_staff("ward_official", "26743")
    body = client.get("/api/v1/places/26743", headers=headers).json()
    assert body["code"] == "26743"
    assert body["name"] == "Phường Bến Thành"
    assert [p["code"] for p in body["parents"]] == ["79"]
    deep = client.get("/api/v1/places/99201", headers=headers).json()
    assert [p["code"] for p in deep["parents"]] == ["99", "992"]


def test_children_and_search(client: TestClient, places: Any, make_staff: Any) -> None:
    headers = make_staff("province_official", "79")
    children = client.get("/api/v1/places/99/children", headers=headers).json()
    assert [c["code"] for c in children] == ["992", "991"] or {c["code"] for c in children} == {
        "991",
        "992",
    }
    roots = client.get("/api/v1/places", headers=headers).json()
    assert {r["code"] for r in roots} == {"01", "79", "99"}
    found = client.get("/api/v1/places", params={"q": "Bến Thành"}, headers=headers).json()
    assert [f["code"] for f in found] == ["26743"]


def test_unknown_code_is_a_clear_404_in_vietnamese(
    client: TestClient, places: Any, make_staff: Any
) -> None:
    headers = make_staff("ward_official", "26743")
    response = client.get("/api/v1/places/12345", headers=headers)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["detail"] == "Đơn vị hành chính 12345 không tồn tại."
    english = client.get("/api/v1/places/12345", headers={**headers, "Accept-Language": "en"})
    assert english.json()["detail"] == "Administrative unit 12345 does not exist."


def test_anonymous_reads_are_refused(client: TestClient, places: Any) -> None:
    response = client.get("/api/v1/places/79")
    assert response.status_code == 401
