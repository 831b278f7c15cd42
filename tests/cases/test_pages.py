"""Pages: register a case by form, run the trace, see F1/F2; counts only for other officials."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from epitrace.accounts.models import Person, UserAccount
from epitrace.db import Database
from tests.tracing import factories as f


def test_case_form_trace_and_privacy(
    client: TestClient, db: Database, places: Any, make_staff: Any
) -> None:
    now = datetime.now(UTC)
    start = (now - f.T0).total_seconds() / 60 - 3 * 24 * 60
    with db.session_scope() as s:
        f0, a = f.person(s, "Châu Văn Bình"), f.person(s, "Lý Thị Cúc")
        market = f.venue(s)
        f.presence(s, venue=market, who=f0, start=start, end=start + 60)
        f.presence(s, venue=market, who=a, start=start, end=start + 60)
        person_id = str(f0.id)
    officer = make_staff("health_officer", "79")
    page = client.get("/cases/new", headers=officer)
    assert page.status_code == 200
    local = (now - timedelta(days=1)).astimezone().strftime("%Y-%m-%dT%H:%M")
    bad = client.post(
        "/cases/new", data={"person_id": person_id, "sampled_at": ""}, headers=officer
    )
    assert bad.status_code == 422 and "Nhập ngày và giờ." in bad.text
    response = client.post(
        "/cases/new",
        data={"person_id": person_id, "sampled_at": local, "test_type": "pcr"},
        headers=officer,
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    url = response.headers["location"]
    traced = client.post(url + "/trace", headers=officer, follow_redirects=True)
    assert traced.status_code == 200
    assert "Lý Thị Cúc" in traced.text and 'data-testid="f1-table"' in traced.text
    graph = client.get(url + "/graph", headers=officer)
    assert graph.status_code == 200 and "<svg" in graph.text and "Lý Thị Cúc" in graph.text
    listing = client.get("/cases", headers=officer)
    assert "Châu Văn Bình" in listing.text
    official = make_staff("province_official", "79")
    counts = client.get(url, headers=official)
    assert counts.status_code == 200
    assert "Lý Thị Cúc" not in counts.text and "F1: 1" in counts.text
    assert client.get(url + "/graph", headers=official).status_code == 403
    ward = make_staff("ward_official", "26743")  # the ward the case is filed in
    assert "Lý Thị Cúc" in client.get(url, headers=ward).text
    assert client.get(url + "/graph", headers=ward).status_code == 200


def test_quarantine_pages_orders_visits_and_self_report(
    client: TestClient, db: Database, places: Any, make_staff: Any, citizen: Any
) -> None:
    citizen_headers = citizen("0912345678")
    me = client.get("/me/quarantine", headers=citizen_headers)
    assert me.status_code == 200 and "không có quyết định cách ly" in me.text
    with db.session_scope() as s:
        person_id = s.scalar(select(UserAccount.person_id).where(UserAccount.phone.is_not(None)))
        assert person_id is not None
        person = s.get(Person, person_id)
        assert person is not None
        person.ward_code = "26743"
    officer = make_staff("health_officer", "79")
    issued = client.post(
        "/quarantine/new",
        data={
            "person_id": str(person_id),
            "reason": "f1",
            "kind": "home",
            "next": "//evil.example",
        },
        headers=officer,
        follow_redirects=False,
    )
    assert issued.status_code == 303 and issued.headers["location"] == "/quarantine"
    listing = client.get("/quarantine?show=missing", headers=officer)
    assert 'data-testid="quarantine-table"' in listing.text
    report = client.post(
        "/me/quarantine",
        data={"temperature": "36,9", "symptoms": ""},
        headers=citizen_headers,
        follow_redirects=False,
    )
    assert report.status_code == 303
    assert "quarantine-table" not in client.get("/quarantine?show=missing", headers=officer).text
    exported = client.get("/api/v1/quarantine/export.csv?ward=26743", headers=officer)
    assert exported.status_code == 200
    text = exported.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Họ và tên,Số điện thoại,Đối tượng")
    assert "F1,Tại nhà" in text and text.strip().endswith("Có")
