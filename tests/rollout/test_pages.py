"""Rollout pages through HTTP: forms keep what was typed, lists show reasons by line."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from epitrace.db import Database
from epitrace.venues.models import Sector
from tests.rollout.conftest import count_organisations


def test_organisation_form_keeps_the_typed_values_on_error(
    client: TestClient, make_staff: Any, places: Any, db: Database
) -> None:
    headers = make_staff("ward_official", "26743")
    form = {
        "name": "Trường Mầm non Hoa Sen",
        "kind": "school",
        "sector": "education",
        "ward_code": "26743",
        "tax_code": "123",
        "contact_email": "hoasen@",
    }
    response = client.post("/rollout/organisations", data=form, headers=headers)
    assert response.status_code == 422
    assert 'value="Trường Mầm non Hoa Sen"' in response.text
    assert "Mã số thuế gồm 10 chữ số" in response.text
    assert "Nhập địa chỉ thư điện tử" in response.text
    assert count_organisations(db) == 0
    ok = client.post(
        "/rollout/organisations",
        data={**form, "tax_code": "", "contact_email": ""},
        headers=headers,
        follow_redirects=False,
    )
    assert ok.status_code == 303
    page = client.get(ok.headers["location"], headers=headers)
    assert "Trường Mầm non Hoa Sen" in page.text
    assert "Đã đăng ký đơn vị." in page.text
    assert count_organisations(db) == 1


def test_import_page_lists_problems_by_line(
    client: TestClient, make_staff: Any, places: Any, db: Database
) -> None:
    headers = make_staff("district_official", "991")
    content = (
        "Tên đơn vị,Loại hình,Ngành quản lý,Mã phường/xã\n"
        "Trường A,school,education,99101\n"
        "Trường B,school,education,26743\n"
    ).encode()
    response = client.post(
        "/rollout/organisations/import",
        files={"file": ("ds.csv", content, "text/csv")},
        headers=headers,
    )
    assert response.status_code == 422
    assert 'data-testid="import-problems"' in response.text
    assert "Phường/xã 26743 không thuộc địa bàn của bạn." in response.text
    assert count_organisations(db) == 0
    good = client.post(
        "/rollout/organisations/import",
        files={"file": ("ds.csv", content.replace(b"26743", b"99102"), "text/csv")},
        headers=headers,
    )
    assert good.status_code == 200
    assert "đăng ký mới 2 đơn vị" in good.text


def test_sector_director_pages(
    client: TestClient,
    make_staff: Any,
    sector_director: Any,
    make_org: Callable[..., uuid.UUID],
) -> None:
    make_org("Bệnh viện Quận 1", sector=Sector.HEALTH)
    make_org("Trường Lê Quý Đôn", sector=Sector.EDUCATION)
    director = sector_director(username="so-y-te")
    dic = make_staff("dic_officer", "79", username="stttt")
    form = {"username": "so-y-te", "sector": "health"}
    appointed = client.post("/rollout/sectors", data=form, headers=dic)
    assert appointed.status_code == 200
    assert "Lãnh đạo này nay phụ trách ngành." in appointed.text
    again = client.post("/rollout/sectors", data=form, headers=dic)
    assert again.status_code == 409
    not_director = client.post("/rollout/sectors", data={**form, "username": "stttt"}, headers=dic)
    assert not_director.status_code == 422
    listed = client.get("/rollout/organisations", headers=director).text
    assert "Bệnh viện Quận 1" in listed
    assert "Trường Lê Quý Đôn" not in listed
