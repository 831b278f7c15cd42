"""Pages: the officer's code page, the figures page, the citizen's warning page."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from epitrace.db import Database
from epitrace.exposure.models import VerificationCode
from tests.exposure.conftest import WARD, WARD_OUTSIDE, days_ago, today


def test_code_page_issues_a_code_once(
    client: TestClient, db: Database, officer: dict[str, str]
) -> None:
    page = client.get("/exposure/codes", headers=officer)
    assert page.status_code == 200
    assert "Mã xác minh Bluetooth" in page.text
    assert 'value="79"' in page.text
    response = client.post(
        "/exposure/codes",
        data={"area_code": WARD, "test_date": today().isoformat(), "onset_date": days_ago(1),
              "report_type": "confirmed_test", "valid_minutes": "30"},
        headers=officer,
    )  # fmt: skip
    assert response.status_code == 201
    assert 'data-testid="issued"' in response.text
    with db.session_scope() as s:
        row = s.scalars(select(VerificationCode)).one()
        assert row.area_code == WARD
        assert str(row.onset_date) == days_ago(1)
    # the code is shown once; the list shows only its status
    listing = client.get("/exposure/codes", headers=officer)
    assert 'data-testid="issued"' not in listing.text
    assert "Đang chờ" in listing.text


def test_code_page_explains_errors_beside_the_fields(
    client: TestClient, officer: dict[str, str]
) -> None:
    response = client.post(
        "/exposure/codes",
        data={"area_code": WARD, "test_date": "", "report_type": "confirmed_test"},
        headers=officer,
    )
    assert response.status_code == 422
    assert "Trường này là bắt buộc." in response.text
    response = client.post(
        "/exposure/codes",
        data={"area_code": WARD, "test_date": today().isoformat(), "valid_minutes": "9999"},
        headers=officer,
    )
    assert response.status_code == 422
    assert "Từ 5 đến 1440 phút." in response.text
    response = client.post(
        "/exposure/codes",
        data={"area_code": WARD, "test_date": "not-a-date"},
        headers=officer,
    )
    assert response.status_code == 422
    assert "ngày hợp lệ" in response.text
    response = client.post(
        "/exposure/codes",
        data={"area_code": WARD, "test_date": today().isoformat(), "case_id": "abc"},
        headers=officer,
    )
    assert response.status_code == 422
    outside = client.post(
        "/exposure/codes",
        data={"area_code": WARD_OUTSIDE, "test_date": today().isoformat()},
        headers=officer,
    )
    assert outside.status_code == 403


def test_counts_page(client: TestClient, issue: Any, make_staff: Any) -> None:
    issue()
    headers = make_staff("dic_officer", "79")
    page = client.get("/exposure/counts", headers=headers)
    assert page.status_code == 200
    assert 'data-testid="codes-issued">1<' in page.text
    assert "Thành phố Hồ Chí Minh" in page.text


def test_citizen_page_without_exposure(client: TestClient, citizen: Any) -> None:
    page = client.get("/me/exposure", headers=citizen())
    assert page.status_code == 200
    assert 'data-testid="no-exposure"' in page.text
    assert 'data-testid="exposure-warning"' not in page.text


def test_staff_home_and_citizen_page_link_here(
    client: TestClient, officer: dict[str, str], citizen: Any
) -> None:
    assert "/exposure/codes" in client.get("/staff", headers=officer).text
    assert "/me/exposure" in client.get("/me", headers=citizen()).text
