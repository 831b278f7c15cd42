"""Contact alerts when a trace is confirmed, and risky-venue alerts when a hotspot is marked."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from epitrace.alerts import templates
from epitrace.alerts.models import OutboxMessage
from epitrace.db import Database
from epitrace.security.models import AuditEntry
from epitrace.tracing import policy_store
from epitrace.venues.models import Venue, VenueCategory
from tests.alerts import factories as af
from tests.tracing import factories as f

NOW = datetime.now(UTC)


def _minutes_ago(minutes: float) -> float:
    return (NOW - f.T0).total_seconds() / 60 - minutes


def _rows(db: Database, template_prefix: str) -> list[OutboxMessage]:
    with db.session_scope() as s:
        rows = s.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.template.startswith(template_prefix))
            .order_by(OutboxMessage.template, OutboxMessage.recipient_key)
        ).all()
        s.expunge_all()
        return list(rows)


def _setup(db: Database) -> dict[str, Any]:
    """F0 at a market two days ago with A (F1, has an account) and a visitor entered by hand
    (F1, phone only); the next day A at an office with B (F2, phone only)."""
    with db.session_scope() as s:
        f0 = f.person(s, "Lê Văn Tám", phone="0911000001")
        a, account = af.citizen(s, "0911000002", name="Phạm Thị Hoa")
        b = f.person(s, "Đỗ Minh Khôi", ward="26734", phone="0911000003")
        visitor = f.visitor(s, "Trần Thị Bình")
        market = f.venue(s)
        office = f.venue(s, category=VenueCategory.AGENCY_OFFICE, name="Công ty Sao Mai")
        t = _minutes_ago(2 * 24 * 60)
        f.presence(s, venue=market, who=f0, start=t, end=t + 45)
        f.presence(s, venue=market, who=a, start=t + 10, end=t + 60)
        f.presence(s, venue=market, who=visitor, start=t + 5, end=t + 40)
        f.presence(s, venue=office, who=a, start=t + 24 * 60, end=t + 24 * 60 + 240)
        f.presence(s, venue=office, who=b, start=t + 24 * 60 + 60, end=t + 24 * 60 + 120)
        return {
            "f0": str(f0.id),
            "a": a.id,
            "a_user": account.id,
            "b": b.id,
            "market": str(market.id),
            "t": t,
        }


def _case(client: TestClient, officer: dict[str, str], person_id: str) -> str:
    response = client.post(
        "/api/v1/cases",
        json={
            "person_id": person_id,
            "sampled_at": (NOW - timedelta(days=1)).isoformat(),
            "test_type": "pcr",
        },
        headers=officer,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_nobody_is_alerted_until_the_trace_is_confirmed_and_then_once(
    client: TestClient, db: Database, places: Any, make_staff: Any
) -> None:
    ids = _setup(db)
    officer = make_staff("health_officer", "79")
    case_id = _case(client, officer, ids["f0"])

    refused = client.post(f"/api/v1/cases/{case_id}/trace/confirm", headers=officer)
    assert refused.status_code == 409  # nothing to confirm yet

    traced = client.post(f"/api/v1/cases/{case_id}/trace", headers=officer)
    assert traced.status_code == 200
    assert traced.json()["trace"]["confirmed_at"] is None
    assert _rows(db, "contact_alert") == []  # running a trace tells nobody

    confirmed = client.post(f"/api/v1/cases/{case_id}/trace/confirm", headers=officer)
    assert confirmed.status_code == 200, confirmed.text
    body = confirmed.json()
    assert (body["queued"], body["unreachable"], body["already_alerted"]) == (3, 0, 0)
    assert body["trace"]["confirmed_at"] is not None
    assert body["trace"]["alerts_queued"] == 3

    rows = _rows(db, "contact_alert")
    assert sorted(r.template for r in rows) == [
        "contact_alert_f1",
        "contact_alert_f1",
        "contact_alert_f2",
    ]
    a_row = next(r for r in rows if r.person_id == ids["a"])
    assert a_row.user_id == ids["a_user"]  # A's inbox has it
    assert a_row.urgent and a_row.group_key == f"contact:{case_id.replace('-', '')}:f1"
    f2_row = next(r for r in rows if r.template == "contact_alert_f2")
    assert f2_row.person_id == ids["b"] and f2_row.channel == "sms"
    assert f2_row.params is not None and f2_row.params["days"] == "7"
    # the text names neither the case nor (by default) the venue
    for row in rows:
        rendered = templates.render(
            templates.get(row.template),
            row.params,
            locale_code="vi",
            base_url="https://e.vn",
            brand="BYT",
        )
        text = rendered.title + rendered.body + rendered.sms
        assert "Lê Văn Tám" not in text and "Chợ Bến Thành" not in text
        assert "https://e.vn/declare" in rendered.sms

    again = client.post(f"/api/v1/cases/{case_id}/trace/confirm", headers=officer)
    assert again.status_code == 409
    # a new run of the same case: confirming it alerts nobody twice
    client.post(f"/api/v1/cases/{case_id}/trace", headers=officer)
    second = client.post(f"/api/v1/cases/{case_id}/trace/confirm", headers=officer).json()
    assert (second["queued"], second["already_alerted"]) == (0, 3)
    assert len(_rows(db, "contact_alert")) == 3
    with db.session_scope() as s:
        confirmations = s.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "confirm", AuditEntry.subject_type == "trace"
            )
        ).all()
        assert len(confirmations) == 2


def test_the_policy_may_name_the_venue_and_leave_out_f2(
    client: TestClient, db: Database, places: Any, make_staff: Any
) -> None:
    ids = _setup(db)
    with db.session_scope() as s:
        policy_store.create_version(s, changes={"alert_names_venue": True, "alert_f2": False})
    officer = make_staff("health_officer", "79")
    case_id = _case(client, officer, ids["f0"])
    client.post(f"/api/v1/cases/{case_id}/trace", headers=officer)
    body = client.post(f"/api/v1/cases/{case_id}/trace/confirm", headers=officer).json()
    assert body["queued"] == 2
    rows = _rows(db, "contact_alert")
    assert {r.template for r in rows} == {"contact_alert_f1"}
    assert all(r.params and r.params["where"] == " (Chợ Bến Thành)" for r in rows)


def test_a_health_officer_of_another_province_cannot_confirm(
    client: TestClient, db: Database, places: Any, make_staff: Any
) -> None:
    ids = _setup(db)
    officer = make_staff("health_officer", "79")
    case_id = _case(client, officer, ids["f0"])
    client.post(f"/api/v1/cases/{case_id}/trace", headers=officer)
    other = make_staff("health_officer", "01")
    assert client.post(f"/api/v1/cases/{case_id}/trace/confirm", headers=other).status_code == 403
    assert _rows(db, "contact_alert") == []


def test_marking_a_hotspot_warns_every_visitor_of_the_window(
    client: TestClient, db: Database, places: Any, make_staff: Any
) -> None:
    ids = _setup(db)
    t = ids["t"]
    with db.session_scope() as s:
        market = s.get(Venue, uuid.UUID(ids["market"]))
        brief = f.person(s, "Vũ Văn Nhanh", phone="0911000009")  # 2 minutes: below F1
        late = f.person(s, "Hồ Thị Muộn", phone="0911000010")  # after the window
        f.presence(s, venue=market, who=brief, start=t + 20, end=t + 22)
        f.presence(s, venue=market, who=late, start=t + 600, end=t + 660)
    officer = make_staff("health_officer", "79")
    start = f.at(t)
    end = f.at(t + 120)
    response = client.post(
        "/api/v1/tracing/hotspot-alerts",
        json={
            "venue_id": ids["market"],
            "starts_at": start.isoformat(),
            "ends_at": end.isoformat(),
            "note": "ổ dịch chợ",
        },
        headers=officer,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    # F0, A, the visitor entered by hand and the brief visitor; not the late one
    assert body["queued"] == 4
    assert body["alert"]["visitors"] == 4
    rows = _rows(db, "venue_alert")
    assert len(rows) == 4
    assert all(r.params and r.params["venue"] == "Chợ Bến Thành" for r in rows)
    listed = client.get("/api/v1/tracing/hotspot-alerts/79", headers=officer).json()
    assert [m["venue_name"] for m in listed] == ["Chợ Bến Thành"]

    bad = client.post(
        "/api/v1/tracing/hotspot-alerts",
        json={
            "venue_id": ids["market"],
            "starts_at": end.isoformat(),
            "ends_at": start.isoformat(),
        },
        headers={**officer, "Accept-Language": "vi"},
    )
    assert bad.status_code == 422
    assert "sau" in bad.json()["detail"]
    too_long = client.post(
        "/api/v1/tracing/hotspot-alerts",
        json={
            "venue_id": ids["market"],
            "starts_at": (end - timedelta(days=20)).isoformat(),
            "ends_at": end.isoformat(),
        },
        headers=officer,
    )
    assert too_long.status_code == 422
    other = make_staff("health_officer", "01")
    outside = client.post(
        "/api/v1/tracing/hotspot-alerts",
        json={
            "venue_id": ids["market"],
            "starts_at": start.isoformat(),
            "ends_at": end.isoformat(),
        },
        headers=other,
    )
    assert outside.status_code == 403
    assert len(_rows(db, "venue_alert")) == 4
