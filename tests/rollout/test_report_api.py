"""The reporting chain through the HTTP API and pages: a ward's weekly report up to the
district and the province, refusals outside the chain, bad input, the rate and reminders."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select

from epitrace.db import Database
from epitrace.rollout import indicators
from epitrace.security.models import AuditEntry

WEEK = "2026-W40"  # 28 September – 4 October 2026
VI = {"Accept-Language": "vi"}


@pytest.fixture
def chain(client: TestClient, db: Database, places: Any, make_staff: Any) -> dict[str, Any]:
    """The three-level province 99: its DIC, its province, two districts' and three wards'
    officials, a weekly form that districts and wards submit, and indicators of one day."""
    people = {
        "dic": make_staff("dic_officer", "99"),
        "province": make_staff("province_official", "99"),
        "d991": make_staff("district_official", "991"),
        "d992": make_staff("district_official", "992"),
        "w99101": make_staff("ward_official", "99101"),
        "w99102": make_staff("ward_official", "99102"),
        "w99201": make_staff("ward_official", "99201"),
    }
    response = client.post(
        "/api/v1/report-forms",
        json={
            "name": "Báo cáo tiến độ hằng tuần",
            "area_code": "99",
            "period_type": "weekly",
            "due_days": 1,
            "levels": ["district", "ward"],
        },
        headers=people["dic"],
    )
    assert response.status_code == 201, response.text
    with db.session_scope() as s:
        indicators.compute_day(s, date(2026, 10, 4), smartphone_share=0.8)
    return {"form": response.json()["id"], **people}


def _url(chain: dict[str, Any], unit: str, suffix: str = "", period: str = WEEK) -> str:
    return f"/api/v1/report-forms/{chain['form']}/reports/{unit}/{period}{suffix}"


def test_a_ward_report_goes_up_and_is_locked_once_approved(
    client: TestClient, db: Database, chain: dict[str, Any]
) -> None:
    ward, district = chain["w99101"], chain["d991"]
    opened = client.get(_url(chain, "99101"), headers=ward).json()
    assert opened["status"] == "missing"
    assert opened["figures"]["population"] == 150_000
    assert opened["figures"]["signup_target"] == 120_000
    response = client.post(
        _url(chain, "99101", "/submit"), json={"results": "Phát 500 tờ rơi"}, headers=ward
    )
    assert response.status_code == 200 and response.json()["status"] == "submitted"
    response = client.post(
        _url(chain, "99101", "/return"), json={"comment": "Bổ sung số hộ"}, headers=district
    )
    assert response.json()["status"] == "returned"
    assert client.get(_url(chain, "99101"), headers=ward).json()["review_comment"] == (
        "Bổ sung số hộ"
    )
    response = client.put(
        _url(chain, "99101"), json={"results": "Phát 500 tờ rơi, 120 hộ"}, headers=ward
    )
    assert response.json()["status"] == "returned"
    response = client.post(_url(chain, "99101", "/submit"), json={}, headers=ward)
    body = response.json()
    assert body["status"] == "resubmitted" and body["results"] == "Phát 500 tờ rơi, 120 hộ"
    response = client.post(_url(chain, "99101", "/approve"), json={}, headers=district)
    assert response.json()["status"] == "approved"
    assert [e["kind"] for e in response.json()["events"]][-1] == "approve"
    # locked: the ward cannot submit or change it again, the district cannot return it
    for method, suffix, body_ in (
        ("POST", "/submit", {}),
        ("PUT", "", {"results": "sửa"}),
    ):
        response = client.request(
            method, _url(chain, "99101", suffix), json=body_, headers={**ward, **VI}
        )
        assert response.status_code == 409
        assert response.json()["code"] == "report_locked"
        assert "đã được phê duyệt và đã khoá" in response.text
    response = client.post(_url(chain, "99101", "/return"), json={"comment": "x"}, headers=district)
    assert response.status_code == 409
    with db.session_scope() as s:
        actions = set(
            s.scalars(select(AuditEntry.action).where(AuditEntry.subject_type == "report"))
        )
    assert {"read", "submit", "return", "save", "approve"} <= actions


def test_the_district_is_approved_by_the_province_after_its_wards(
    client: TestClient, chain: dict[str, Any]
) -> None:
    client.post(_url(chain, "991", "/submit"), json={}, headers=chain["d991"])
    response = client.post(
        _url(chain, "991", "/approve"), json={}, headers={**chain["province"], **VI}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "children_not_approved"
    assert "chưa được phê duyệt" in response.text
    for ward in ("99101", "99102"):
        client.post(_url(chain, ward, "/submit"), json={}, headers=chain[f"w{ward}"])
        response = client.post(_url(chain, ward, "/approve"), json={}, headers=chain["d991"])
        assert response.status_code == 200
    # the district cannot approve its own report: the province above it does
    assert (
        client.post(_url(chain, "991", "/approve"), json={}, headers=chain["d991"]).status_code
        == 403
    )
    response = client.post(_url(chain, "991", "/approve"), json={}, headers=chain["province"])
    assert response.status_code == 200 and response.json()["status"] == "approved"


@pytest.mark.parametrize(
    ("who", "method", "unit", "suffix"),
    [
        ("w99102", "POST", "99101", "/submit"),  # a neighbour ward
        ("d991", "POST", "99101", "/submit"),  # the level above writes nothing for its wards
        ("w99101", "POST", "99101", "/approve"),  # nobody approves their own ward's report
        ("d992", "POST", "99101", "/return"),  # another district
        ("w99102", "GET", "99101", ""),  # reading a neighbour's report
    ],
)
def test_outside_the_chain_is_refused(
    client: TestClient, chain: dict[str, Any], who: str, method: str, unit: str, suffix: str
) -> None:
    client.post(_url(chain, "99101", "/submit"), json={}, headers=chain["w99101"])
    body = {"comment": "x"} if suffix in ("/return", "/approve") else {}
    response = client.request(
        method, _url(chain, unit, suffix), json=body, headers={**chain[who], **VI}
    )
    assert response.status_code == 403, response.text


@pytest.mark.parametrize(
    ("unit", "period", "status"),
    [
        ("99101", "2026-13", 422),  # not a week
        ("99101", "2099-W01", 422),  # has not started
        ("99999", WEEK, 422),  # no such unit
        ("99", WEEK, 422),  # the province does not submit this form
        ("26743", WEEK, 403),  # another province's ward: outside the DIC's area
    ],
)
def test_bad_periods_and_units_are_refused_clearly(
    client: TestClient, chain: dict[str, Any], unit: str, period: str, status: int
) -> None:
    response = client.get(_url(chain, unit, period=period), headers={**chain["dic"], **VI})
    assert response.status_code == status, response.text
    assert response.json()["title"]


def test_bad_bodies_are_refused(client: TestClient, chain: dict[str, Any]) -> None:
    ward, district = chain["w99101"], chain["d991"]
    assert (
        client.put(_url(chain, "99101"), json={"results": "x" * 4001}, headers=ward).status_code
        == 422
    )
    assert client.put(_url(chain, "99101"), json={"other": 1}, headers=ward).status_code == 422
    client.post(_url(chain, "99101", "/submit"), json={}, headers=ward)
    response = client.post(
        _url(chain, "99101", "/return"), json={"comment": " "}, headers={**district, **VI}
    )
    assert response.status_code == 422
    assert "chỉnh sửa" in response.text
    missing = "/api/v1/report-forms/00000000-0000-0000-0000-000000000000/reports/99101/" + WEEK
    assert client.get(missing, headers=ward).status_code == 404
    for body in (
        {"name": "x", "area_code": "99", "levels": ["hamlet"]},
        {"name": "x", "area_code": "99", "levels": ["ward"], "due_days": 99},
        {"name": "", "area_code": "99", "levels": ["ward"]},
        {"name": "x", "area_code": "nowhere", "levels": ["ward"]},
    ):
        response = client.post("/api/v1/report-forms", json=body, headers=chain["dic"])
        assert response.status_code == 422, body
    # a district official does not define forms
    body = {"name": "x", "area_code": "99", "levels": ["ward"]}
    assert client.post("/api/v1/report-forms", json=body, headers=district).status_code == 403


def test_the_rate_and_reminders(client: TestClient, db: Database, chain: dict[str, Any]) -> None:
    client.post(_url(chain, "99101", "/submit"), json={}, headers=chain["w99101"])
    client.post(_url(chain, "99101", "/approve"), json={}, headers=chain["d991"])
    rate_url = f"/api/v1/report-forms/{chain['form']}/rate?area=99&period={WEEK}"
    rate = client.get(rate_url, headers=chain["province"]).json()
    rows = {r["code"]: (r["expected"], r["submitted"], r["approved"]) for r in rate["rows"]}
    assert rows == {"991": (3, 1, 1), "992": (2, 0, 0)}
    assert {u["code"] for u in rate["lagging"]} == {"991", "99102", "992", "99201"}
    # a district sees its own wards only
    mine = client.get(
        f"/api/v1/report-forms/{chain['form']}/rate?area=991&period={WEEK}", headers=chain["d991"]
    ).json()
    assert {r["code"] for r in mine["rows"]} == {"991", "99101", "99102"}
    assert client.get(rate_url, headers=chain["d991"]).status_code == 403
    # the XLSX export through the project's writer
    page = f"/rollout/reports/{chain['form']}/rate.xlsx?area=99&period={WEEK}"
    response = client.get(page, headers=chain["dic"])
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert [c.value for c in sheet[1]][:3] == ["Mã", "Đơn vị", "Phải báo cáo"]
    # one action reminds every lagging unit; the ward official finds the notice
    remind = f"/api/v1/report-forms/{chain['form']}/remind/99/{WEEK}"
    sent = client.post(remind, headers=chain["dic"]).json()
    assert sent["units"] == 4 and sent["recipients"] == 4
    inbox = client.get("/api/v1/inbox", headers={**chain["w99102"], **VI}).json()
    assert any("Báo cáo tiến độ hằng tuần" in str(item) for item in inbox["items"])
    approved_ward_inbox = client.get("/api/v1/inbox", headers=chain["w99101"]).json()
    assert not any("report" in str(item.get("link", "")) for item in approved_ward_inbox["items"])
    assert client.post(remind, headers=chain["w99102"]).status_code == 403
    with db.session_scope() as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "remind"))
        assert entry is not None and entry.detail == {
            "area": "99",
            "period": WEEK,
            "units": 4,
            "recipients": 4,
        }
        reads = s.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "read_rate")
        )
        assert reads == 3  # the province's, the district's and the export's


def test_pages_walk_the_same_chain(client: TestClient, chain: dict[str, Any]) -> None:
    page = f"/rollout/reports/{chain['form']}/99101/{WEEK}"
    response = client.get(page, headers=chain["w99101"])
    assert response.status_code == 200 and "Gửi báo cáo" in response.text
    assert client.get("/rollout/reports", headers=chain["w99101"]).status_code == 200
    response = client.post(
        page,
        data={"results": "Đã làm", "do": "submit"},
        headers=chain["w99101"],
        follow_redirects=False,
    )
    assert response.status_code == 303
    response = client.post(
        page + "/review", data={"decision": "return", "comment": ""}, headers=chain["d991"]
    )
    assert response.status_code == 422 and "chỉnh sửa" in response.text
    response = client.get(f"/rollout/reports/{chain['form']}/rate?area=99", headers=chain["dic"])
    assert response.status_code == 200


def test_the_top_unit_approves_its_own_report_after_its_wards(
    client: TestClient, places: Any, make_staff: Any
) -> None:
    """In a two-level province the province's own report waits for its wards' and is approved
    by the province's officials; a ward official cannot."""
    dic = make_staff("dic_officer", "79")
    wards = {code: make_staff("ward_official", code) for code in ("26743", "26734")}
    response = client.post(
        "/api/v1/report-forms",
        json={
            "name": "Báo cáo tháng",
            "area_code": "79",
            "period_type": "monthly",
            "levels": ["province", "ward"],
        },
        headers=dic,
    )
    form = response.json()["id"]
    month = "2026-10"

    def url(unit: str, suffix: str) -> str:
        return f"/api/v1/report-forms/{form}/reports/{unit}/{month}{suffix}"

    assert client.post(url("79", "/submit"), json={}, headers=dic).status_code == 200
    response = client.post(url("79", "/approve"), json={}, headers=dic)
    assert response.status_code == 409 and response.json()["code"] == "children_not_approved"
    for code, headers in wards.items():
        assert client.post(url(code, "/submit"), json={}, headers=headers).status_code == 200
        assert client.post(url(code, "/approve"), json={}, headers=dic).status_code == 200
    assert client.post(url("79", "/approve"), json={}, headers=wards["26743"]).status_code == 403
    response = client.post(url("79", "/approve"), json={}, headers=dic)
    assert response.status_code == 200 and response.json()["status"] == "approved"


def test_the_form_page_explains_a_bad_form(client: TestClient, chain: dict[str, Any]) -> None:
    response = client.get("/rollout/reports", headers=chain["dic"])
    assert response.status_code == 200 and "Tạo biểu mẫu" in response.text
    response = client.post(
        "/rollout/reports/forms",
        data={"name": "Báo cáo", "area_code": "99", "period_type": "weekly", "due_days": "x"},
        headers=chain["dic"],
    )
    assert response.status_code == 422 and "Hãy chọn loại kỳ và số ngày." in response.text
    response = client.post(
        "/rollout/reports/forms",
        data={"name": "Báo cáo", "area_code": "99", "period_type": "weekly", "due_days": "1"},
        headers=chain["dic"],
    )
    assert response.status_code == 422 and "Hãy chọn cấp đơn vị" in response.text
