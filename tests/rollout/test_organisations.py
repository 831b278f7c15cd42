"""Organisations as accountable units: registry, scoping by area / sector / own, list import."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook

from epitrace.db import Database
from epitrace.venues.models import Sector
from tests.rollout.conftest import count_organisations

HEADER = "Tên đơn vị,Loại hình,Ngành quản lý,Mã phường/xã,Mã số thuế,Người đứng đầu,Thư điện tử\n"


def _upload(client: TestClient, headers: dict[str, str], name: str, content: bytes) -> Any:
    return client.post(
        "/api/v1/organisations/import",
        files={"file": (name, content, "application/octet-stream")},
        headers=headers,
    )


def test_officials_register_organisations_in_their_area_only(
    client: TestClient, make_staff: Any, places: Any
) -> None:
    ward = make_staff("ward_official", "26743")
    body = {"name": "Chợ Bến Thành", "kind": "market", "sector": "industry_trade"}
    created = client.post(
        "/api/v1/organisations", json={**body, "ward_code": "26743"}, headers=ward
    )
    assert created.status_code == 201, created.text
    assert created.json()["sector"] == "industry_trade"
    # a neighbouring ward, another province: outside the ward official's area
    for code in ("26734", "00070"):
        refused = client.post(
            "/api/v1/organisations", json={**body, "ward_code": code}, headers=ward
        )
        assert refused.status_code == 403
    # a ward that does not exist is a clear 422, not a 403
    missing = client.post(
        "/api/v1/organisations", json={**body, "ward_code": "12345"}, headers=ward
    )
    assert missing.status_code == 422
    assert "ward_code" in missing.json()["errors"]
    # the old "agency" kind still reads as a state agency
    legacy = client.post(
        "/api/v1/organisations",
        json={"name": "UBND phường", "kind": "agency", "ward_code": "26743"},
        headers=ward,
    )
    assert legacy.json()["kind"] == "state_agency"
    assert legacy.json()["sector"] == "people_committee"


def test_sector_director_sees_and_registers_only_their_sector(
    client: TestClient, make_org: Callable[..., uuid.UUID], sector_director: Any
) -> None:
    school = make_org("Trường THPT Lê Quý Đôn", sector=Sector.EDUCATION)
    make_org("Bệnh viện Quận 1", sector=Sector.HEALTH)
    make_org("Trường Hà Nội", sector=Sector.EDUCATION, ward="00070")
    director = sector_director(Sector.EDUCATION)
    listed = client.get("/api/v1/organisations", headers=director).json()
    assert [o["id"] for o in listed["items"]] == [str(school)]
    assert listed["total"] == 1
    assert client.get(f"/api/v1/organisations/{school}", headers=director).status_code == 200
    body = {"name": "Trường mới", "kind": "school", "ward_code": "26734"}
    assert (
        client.post(
            "/api/v1/organisations", json={**body, "sector": "education"}, headers=director
        ).status_code
        == 201
    )
    assert (
        client.post(
            "/api/v1/organisations", json={**body, "sector": "health"}, headers=director
        ).status_code
        == 403
    )
    # moving their school to the health sector would take it out of their hands
    moved = client.patch(
        f"/api/v1/organisations/{school}", json={"sector": "health"}, headers=director
    )
    assert moved.status_code == 403


def test_org_admin_sees_own_organisation_only(
    client: TestClient, make_org: Callable[..., uuid.UUID], org_admin: Any
) -> None:
    mine = make_org("Công ty Bến Thành", sector=Sector.INDUSTRY_TRADE)
    other = make_org("Công ty Sài Gòn", sector=Sector.INDUSTRY_TRADE)
    headers = org_admin(mine)
    assert [
        o["id"] for o in client.get("/api/v1/organisations", headers=headers).json()["items"]
    ] == [str(mine)]
    assert client.get(f"/api/v1/organisations/{other}", headers=headers).status_code == 403
    # reading is not managing: an org admin does not edit the registry entry
    patch = client.patch(f"/api/v1/organisations/{mine}", json={"head_name": "X"}, headers=headers)
    assert patch.status_code == 403


def test_admins_are_org_admin_accounts_covering_the_ward(
    client: TestClient, make_org: Callable[..., uuid.UUID], make_staff: Any
) -> None:
    org = make_org()
    ward = make_staff("ward_official", "26743")
    make_staff("org_admin", "26743", username="hieu-truong")
    make_staff("org_admin", "00070", username="ha-noi-admin")
    make_staff("venue_operator", "26743", username="bao-ve")
    url = f"/api/v1/organisations/{org}/admins"
    added = client.post(url, json={"username": "hieu-truong"}, headers=ward)
    assert added.status_code == 201, added.text
    for username in ("ha-noi-admin", "bao-ve", "nobody"):
        refused = client.post(url, json={"username": username}, headers=ward)
        assert refused.status_code == 422, username
        assert "username" in refused.json()["errors"]
    admins = client.get(url, headers=ward).json()
    assert [a["username"] for a in admins] == ["hieu-truong"]
    user_id = admins[0]["user_id"]
    assert client.delete(f"{url}/{user_id}", headers=ward).status_code == 204
    assert client.delete(f"{url}/{user_id}", headers=ward).status_code == 404
    assert client.get(url, headers=ward).json() == []


def test_import_creates_then_updates(
    client: TestClient, make_staff: Any, db: Database, places: Any
) -> None:
    district = make_staff("district_official", "991")
    csv_text = (
        HEADER
        + "Trường THCS Một A,Trường học,Giáo dục và Đào tạo,99101,0301234567,Nguyễn Văn An,a@x.vn\n"
        + "Trạm Y tế xã Một B,health_facility,y te,99102,,,\n"
        # a ward by its name, marks optional
        + "Chợ Một B,cho,cong thuong,,,,\n"
    ).replace(",,,\n", ",,,\n")
    # the third row gives the ward by name in a column of its own
    rows = csv_text.splitlines()
    rows[0] += ",Phường/xã"
    rows[1] += ","
    rows[2] += ","
    rows[3] = "Chợ Một B,Chợ / trung tâm thương mại,cong thuong,,,,,Xã Một B"
    content = ("\n".join(rows) + "\n").encode()
    first = _upload(client, district, "don-vi.csv", content)
    assert first.status_code == 200, first.text
    assert first.json() == {"created": 3, "updated": 0}
    listed = client.get("/api/v1/organisations", headers=district).json()["items"]
    by_name = {o["name"]: o for o in listed}
    assert by_name["Trường THCS Một A"]["kind"] == "school"
    assert by_name["Trường THCS Một A"]["sector"] == "education"
    assert by_name["Trạm Y tế xã Một B"]["sector"] == "health"
    assert by_name["Chợ Một B"]["ward_code"] == "99102"
    assert by_name["Chợ Một B"]["kind"] == "market"
    # the same list again, with a new head: updated, not duplicated
    again = _upload(
        client,
        district,
        "don-vi.csv",
        content.replace(b"Nguy\xe1\xbb\x85n V\xc4\x83n An", b"Tr\xe1\xba\xa7n B"),
    )
    assert again.json() == {"created": 0, "updated": 3}
    assert count_organisations(db) == 3


def test_broken_list_is_refused_whole_with_a_reason_per_line(
    client: TestClient, make_staff: Any, make_org: Callable[..., uuid.UUID], db: Database
) -> None:
    make_org("Đã có")
    before = count_organisations(db)
    district = make_staff("district_official", "991")
    content = (
        HEADER
        + "Trường tốt,school,education,99101,,,\n"  # line 2: fine
        + ",school,education,99101,,,\n"  # 3: no name
        + "Trường X,castle,education,99101,,,\n"  # 4: unknown kind
        + "Trường Y,school,ministry,99101,,,\n"  # 5: unknown sector
        + "Trường Z,school,education,26743,,,\n"  # 6: a ward outside the district
        + "Trường W,school,education,99999,,,\n"  # 7: no such ward
        + "Trường V,school,education,99101,12,,\n"  # 8: bad tax code
        + "Trường U,school,education,99101,,,không-phải-thư\n"  # 9: bad e-mail
        + "Trường tốt,school,education,99101,,,\n"  # 10: line 2 again
        + "\n"  # blank lines are skipped
        + "Trường T,,education,99101,,,\n"  # 12: no kind
    ).encode()
    response = _upload(client, district, "hong.csv", content)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "file_rejected"
    by_line: dict[int, list[dict[str, Any]]] = {}
    for problem in body["lines"]:
        by_line.setdefault(problem["line"], []).append(problem)
    assert sorted(by_line) == [3, 4, 5, 6, 7, 8, 9, 10, 12]
    assert by_line[3][0]["column"] == "name"
    assert by_line[4][0]["column"] == "kind"
    assert by_line[5][0]["column"] == "sector"
    assert "26743" in by_line[6][0]["message"]
    assert by_line[8][0]["column"] == "tax_code"
    assert by_line[9][0]["column"] == "contact_email"
    assert "2" in by_line[10][0]["message"]
    assert by_line[12][0]["column"] == "kind"
    # messages are in the reader's language (Vietnamese by default for pages; here the API
    # asked nothing, so Vietnamese)
    assert all(p["message"] for p in body["lines"])
    assert count_organisations(db) == before


def test_files_that_are_not_lists_are_refused(
    client: TestClient, make_staff: Any, db: Database, places: Any
) -> None:
    district = make_staff("district_official", "991")
    cases = {
        "empty.csv": b"",
        "latin1.csv": "Tên đơn vị,Loại hình,Ngành quản lý,Mã phường/xã\n".encode(
            "cp1258", "replace"
        )
        + b"\xff\xfe\n",
        "fake.xlsx": b"PK\x03\x04 not really a zip",
        "old.xls": b"\xd0\xcf\x11\xe0",
        "noheader.csv": b"a,b,c\n1,2,3\n",
        "onlyheader.csv": HEADER.encode(),
    }
    for name, content in cases.items():
        response = _upload(client, district, name, content)
        assert response.status_code == 422, (name, response.text)
        assert response.json()["lines"], name
    too_big = _upload(client, district, "big.csv", b"x" * (5 * 1024 * 1024 + 10))
    assert too_big.status_code == 422
    assert count_organisations(db) == 0


def test_xlsx_list_with_numbers_as_cells(client: TestClient, make_staff: Any, places: Any) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Tên đơn vị", "Loại hình", "Ngành quản lý", "Mã phường/xã", "Mã số thuế"])
    # spreadsheets turn codes into numbers: 70 is ward 00070, the tax code keeps its digits
    sheet.append(["Công ty Hoàn Kiếm", "enterprise", "industry_trade", 70, 1234567890])
    buffer = io.BytesIO()
    book.save(buffer)
    province = make_staff("province_official", "01")
    response = _upload(client, province, "list.xlsx", buffer.getvalue())
    assert response.status_code == 200, response.text
    org = client.get("/api/v1/organisations", headers=province).json()["items"][0]
    assert org["ward_code"] == "00070"
    assert org["tax_code"] == "1234567890"


def test_template_reads_back_as_a_valid_list(
    client: TestClient, make_staff: Any, places: Any
) -> None:
    ward = make_staff("ward_official", "26743")
    template = client.get("/rollout/organisations/template.xlsx", headers=ward)
    assert template.status_code == 200
    sheet = load_workbook(io.BytesIO(template.content)).worksheets[0]
    assert [c.value for c in sheet[1]][:4] == [
        "Tên đơn vị",
        "Loại hình",
        "Ngành quản lý",
        "Mã phường/xã",
    ]
    # the example row is itself importable (its ward is Bến Thành)
    response = _upload(client, ward, "mau.xlsx", template.content)
    assert response.status_code == 200, response.text
    assert response.json() == {"created": 1, "updated": 0}


def test_a_line_cannot_take_over_an_organisation_of_another_area(
    client: TestClient, make_staff: Any, make_org: Callable[..., uuid.UUID], db: Database
) -> None:
    hanoi = make_org("Công ty Hà Nội", ward="00070", tax_code="0100000001")
    district = make_staff("district_official", "991")
    # the same tax code, a ward of the district: it would move Hà Nội's organisation here
    content = (HEADER + "Công ty Hà Nội,enterprise,industry_trade,99101,0100000001,,\n").encode()
    response = _upload(client, district, "chiem.csv", content)
    assert response.status_code == 422
    assert response.json()["lines"][0]["column"] == "tax_code"
    province = make_staff("province_official", "01")
    kept = client.get(f"/api/v1/organisations/{hanoi}", headers=province).json()
    assert kept["ward_code"] == "00070"
