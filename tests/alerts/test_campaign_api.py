"""Campaigns through HTTP: the JSON routes and the pages, four eyes, refused texts and lists,
the dashboard against raw rows, and who sees which area."""

from __future__ import annotations

import io
import re
import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from epitrace.alerts.models import CampaignPhone, OutboxMessage, Status
from epitrace.db import Database
from epitrace.security.models import AuditEntry
from tests.accounts.test_sessions import page_login
from tests.alerts import campaign_factories as cf
from tests.alerts import factories as af


def body(**overrides: Any) -> dict[str, Any]:
    start = cf.local_now()
    values: dict[str, Any] = {
        "name": "Vận động cài đặt",
        "text_vi": cf.TEXT_VI,
        "text_en": cf.TEXT_EN,
        "channel": "sms",
        "area_code": "79",
        "audience_kind": "units",
        "audience": ["26743", "26734"],
        "start": start.isoformat(),
    }
    values.update(overrides)
    return values


@pytest.fixture
def world(db: Database, places: Any, make_staff: Any) -> dict[str, Any]:
    with db.session_scope() as s:
        af.citizen(s, "0912000001", name="Lê Thị Hoa", ward="26743")
        af.citizen(s, "0912000002", name="Trần Văn Bình", ward="26743")
        af.citizen(s, "0912000003", name="Phạm Văn Cường", ward="26734")
        af.citizen(s, "0912000004", name="Ngô Thị Dung", ward="00070")
    return {
        "dic": make_staff("dic_officer", "79", "dic-one"),
        "dic2": make_staff("dic_officer", "79", "dic-two"),
        "province": make_staff("province_official", "79", "prov-one"),
        "ward": make_staff("ward_official", "26734", "ward-one"),
        "health": make_staff("health_officer", "79", "health-one"),
        "dic_hn": make_staff("dic_officer", "01", "dic-hn"),
    }


def test_unknown_placeholder_is_a_422_in_vietnamese(client: TestClient, world: Any) -> None:
    response = client.post(
        "/api/v1/campaigns", json=body(text_vi="Chào {ten}, hãy cài đặt"), headers=world["dic"]
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "unknown_placeholder"
    assert "{ten}" in problem["detail"]
    assert "không" in problem["detail"].lower() or "chưa" in problem["detail"].lower()
    assert "text_vi" in problem["errors"]


def test_create_preview_launch_and_dashboard(client: TestClient, db: Database, world: Any) -> None:
    created = client.post("/api/v1/campaigns", json=body(), headers=world["dic"])
    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    preview = client.get(f"/api/v1/campaigns/{cid}/preview", headers=world["dic"]).json()
    assert preview["audience"] == 3
    assert preview["texts"][0]["segments"] == 1
    assert preview["total_cost"] == 3 * preview["cost_per_message"]
    launched = client.post(f"/api/v1/campaigns/{cid}/launch", headers=world["dic"])
    assert launched.status_code == 200, launched.text
    assert launched.json()["status"] == "finished"
    board = client.get(f"/api/v1/campaigns/{cid}/dashboard", headers=world["dic"]).json()
    with db.session_scope() as s:
        stmt = select(OutboxMessage).where(OutboxMessage.campaign_id == uuid.UUID(cid))
        rows = s.scalars(stmt).all()
        raw = Counter(r.status for r in rows)
        by_ward = Counter((r.ward_code, r.status) for r in rows)
        audit = {
            e.action for e in s.scalars(select(AuditEntry).where(AuditEntry.subject_id == cid))
        }
    assert board["total"]["total"] == len(rows) == 3
    assert {k: v for k, v in board["total"]["by_status"].items() if v} == dict(raw)
    for ward in board["by_ward"]:
        for status, count in ward["counts"]["by_status"].items():
            assert by_ward[(ward["ward_code"], status)] == count
    assert {w["ward_name"] for w in board["by_ward"]} == {"Phường Bến Thành", "Phường Sài Gòn"}
    assert {"campaign.create", "campaign.launch"} <= audit


def test_ward_official_sees_only_their_ward(client: TestClient, world: Any) -> None:
    cid = client.post("/api/v1/campaigns", json=body(), headers=world["dic"]).json()["id"]
    client.post(f"/api/v1/campaigns/{cid}/launch", headers=world["dic"])
    board = client.get(f"/api/v1/campaigns/{cid}/dashboard", headers=world["ward"]).json()
    assert [w["ward_code"] for w in board["by_ward"]] == ["26734"]
    assert board["total"]["total"] == 1
    page = client.get(f"/campaigns/{cid}/dashboard", headers=world["ward"])
    assert page.status_code == 200
    assert "Phường Sài Gòn" in page.text and "Phường Bến Thành" not in page.text
    # the campaign itself (text, audience) is not theirs to read
    assert client.get(f"/api/v1/campaigns/{cid}", headers=world["ward"]).status_code == 403
    assert (
        client.get(f"/api/v1/campaigns/{cid}/dashboard", headers=world["dic_hn"]).status_code == 403
    )
    # health officers follow their own alerts, not campaigns
    assert (
        client.get(f"/api/v1/campaigns/{cid}/dashboard", headers=world["health"]).status_code == 403
    )
    ok = client.get("/api/v1/alerts/dashboard?kind=contact_alert&area=79", headers=world["health"])
    assert ok.status_code == 200
    no = client.get("/api/v1/alerts/dashboard?kind=campaign&area=79", headers=world["health"])
    assert no.status_code == 403
    mine = client.get("/api/v1/alerts/dashboard?kind=campaign", headers=world["ward"]).json()
    assert mine["total"]["total"] == 1


def test_four_eyes_over_the_threshold(client: TestClient, world: Any, settings: Any) -> None:
    settings.campaign_approval_threshold = 2
    cid = client.post("/api/v1/campaigns", json=body(), headers=world["dic"]).json()["id"]
    waiting = client.post(f"/api/v1/campaigns/{cid}/launch", headers=world["dic"]).json()
    assert waiting["status"] == "awaiting_approval"
    assert waiting["occurrences"] == []
    refused = client.post(f"/api/v1/campaigns/{cid}/approve", headers=world["dic"])
    assert refused.status_code == 403
    again = client.post(f"/api/v1/campaigns/{cid}/launch", headers=world["dic"])
    assert again.status_code == 409
    approved = client.post(f"/api/v1/campaigns/{cid}/approve", headers=world["province"])
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "finished"
    assert approved.json()["occurrences"][0]["recipients"] == 3


def test_pause_and_resume_through_the_api(client: TestClient, db: Database, world: Any) -> None:
    start = cf.local_now(timedelta(minutes=-5))
    payload = body(repeat="daily", repeat_count=2, start=start.isoformat())
    cid = client.post("/api/v1/campaigns", json=payload, headers=world["dic"]).json()["id"]
    assert (
        client.post(f"/api/v1/campaigns/{cid}/launch", headers=world["dic"]).json()["status"]
        == "running"
    )
    assert (
        client.post(f"/api/v1/campaigns/{cid}/pause", headers=world["dic"]).json()["status"]
        == "paused"
    )
    with db.session_scope() as s:
        statuses = {r.status for r in s.scalars(select(OutboxMessage))}
    assert statuses == {Status.HELD}
    resumed = client.post(f"/api/v1/campaigns/{cid}/resume", headers=world["dic"]).json()
    assert resumed["status"] == "running"
    with db.session_scope() as s:
        statuses = {r.status for r in s.scalars(select(OutboxMessage))}
    assert statuses == {Status.QUEUED}


PHONE_LIST = (
    "Số điện thoại\n"
    "0912 345 678\n"
    "+84987654321\n"
    "0912345678\n"  # the same as line 2
    "12345\n"
    "gọi lại sau\n"
    "84 33 123 4567\n"
).encode()


def test_phone_list_refusal_report(client: TestClient, db: Database, world: Any) -> None:
    cid = client.post(
        "/api/v1/campaigns", json=body(audience_kind="phones", audience=[]), headers=world["dic"]
    ).json()["id"]
    files = {"file": ("danh-sach.csv", PHONE_LIST, "text/csv")}
    dry = client.post(
        f"/api/v1/campaigns/{cid}/phones?dry_run=true", files=files, headers=world["dic"]
    ).json()
    assert dry["stored"] is False
    assert dry["accepted"] == 3
    assert [(r["line"], r["reason"]) for r in dry["refused"]] == [
        (4, "duplicate"),
        (5, "invalid"),
        (6, "text"),
    ]
    assert dry["refused"][0]["first_line"] == 2
    with db.session_scope() as s:
        assert s.scalars(select(CampaignPhone)).all() == []
    stored = client.post(f"/api/v1/campaigns/{cid}/phones", files=files, headers=world["dic"])
    assert stored.json()["stored"] is True
    with db.session_scope() as s:
        phones = sorted(p.phone for p in s.scalars(select(CampaignPhone)))
        audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "campaign.upload")).all()
    assert phones == ["+84331234567", "+84912345678", "+84987654321"]
    assert len(audit) == 1


def test_pages_keep_the_text_and_show_the_report(
    client: TestClient, db: Database, world: Any
) -> None:
    page_login(client, "dic-one")
    page = client.get("/campaigns/new")
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    form = {
        "csrf_token": token.group(1),
        "name": "Chiến dịch thử",
        "text_vi": "Chào {ten}, hãy cài đặt ứng dụng",
        "channel": "sms",
        "area_code": "79",
        "audience_kind": "phones",
        "start_date": cf.local_now().date().isoformat(),
        "start_time": "23:59",
        "repeat": "none",
    }
    refused = client.post("/campaigns", data=form, follow_redirects=False)
    assert refused.status_code == 422
    assert "Chào {ten}, hãy cài đặt ứng dụng" in refused.text
    assert "{ten}" in refused.text
    form["text_vi"] = "Chào {name}, hãy cài đặt ứng dụng"
    saved = client.post("/campaigns", data=form, follow_redirects=False)
    assert saved.status_code == 303
    url = saved.headers["location"]
    report = client.post(
        url + "/phones/check",
        data={"csrf_token": token.group(1)},
        files={"file": ("so.txt", PHONE_LIST, "text/plain")},
    )
    assert report.status_code == 200
    assert 'data-testid="refusal-report"' in report.text
    assert "gọi lại sau" in report.text
    with db.session_scope() as s:
        assert s.scalars(select(CampaignPhone)).all() == []
    numbers = re.search(r'name="numbers" value="([^"]+)"', report.text)
    assert numbers is not None
    done = client.post(
        url + "/phones",
        data={"csrf_token": token.group(1), "numbers": numbers.group(1), "refused": "3"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    with db.session_scope() as s:
        assert len(s.scalars(select(CampaignPhone)).all()) == 3


def test_dashboard_export_has_vietnamese_headers(client: TestClient, world: Any) -> None:
    cid = client.post("/api/v1/campaigns", json=body(), headers=world["dic"]).json()["id"]
    client.post(f"/api/v1/campaigns/{cid}/launch", headers=world["dic"])
    response = client.get(f"/campaigns/{cid}/dashboard.xlsx", headers=world["dic"])
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Theo kênh", "Theo phường", "Không gửi được"]
    header = [c.value for c in book["Theo kênh"][1]]
    assert header[0] == "Kênh" and "Chi phí (đồng)" in header
    wards = [row[0].value for row in book["Theo phường"].iter_rows(min_row=2)]
    assert sorted(wards) == ["Phường Bến Thành", "Phường Sài Gòn"]


def test_failures_drill_down_and_the_health_officers_page(
    client: TestClient, db: Database, world: Any
) -> None:
    cid = client.post("/api/v1/campaigns", json=body(), headers=world["dic"]).json()["id"]
    client.post(f"/api/v1/campaigns/{cid}/launch", headers=world["dic"])
    with db.session_scope() as s:
        row = s.scalars(select(OutboxMessage).where(OutboxMessage.phone == "+84912000003")).one()
        row.status = Status.FAILED.value
        row.dead_reason = "số thuê bao không tồn tại"
    board = client.get(f"/api/v1/campaigns/{cid}/dashboard", headers=world["dic"]).json()
    assert board["failures"] == [
        {"reason": "số thuê bao không tồn tại", "status": "failed", "channel": "sms", "count": 1}
    ]
    assert board["total"]["delivery_rate"] == 0.0
    page = client.get(f"/campaigns/{cid}/dashboard?show=failures", headers=world["dic"])
    assert 'data-testid="failed-rows"' in page.text
    assert "091****003" in page.text and "0912000003" not in page.text
    health = client.get("/alerts/dashboard", headers=world["health"])
    assert health.status_code == 200
    assert 'value="contact_alert" selected' in health.text
    assert 'value="campaign"' not in health.text
