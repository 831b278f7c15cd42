"""The inbox through the API and the pages: notices in the reader's language, unread counts,
reading (which also stops a pending fallback), settings, and nobody else's notices."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

from epitrace.accounts.models import UserAccount
from epitrace.alerts import service
from epitrace.alerts.models import Channel, Status
from epitrace.alerts.service import Recipient
from epitrace.db import Database
from tests.alerts import factories as af


def _account_of(db: Database, phone: str) -> uuid.UUID:
    with db.session_scope() as s:
        account = s.query(UserAccount).filter_by(phone=phone).one()
        return account.id


def _notify(db: Database, user_id: uuid.UUID, dedup: str, **kw: Any) -> None:
    with db.session_scope() as s:
        service.enqueue(s, recipients=[Recipient.user(user_id)], dedup_key=dedup, **kw)


def test_citizen_reads_notices_in_their_language(
    client: TestClient, db: Database, places: Any, citizen: Any
) -> None:
    headers = citizen("0912345678")
    user_id = _account_of(db, "+84912345678")
    _notify(
        db,
        user_id,
        "venue:1",
        template="venue_alert",
        params={"venue": "Chợ Bến Thành", "start": "08:00 18/11/2026", "end": "10:00 18/11/2026"},
    )
    _notify(db, user_id, "test:1", template="test")

    body = client.get("/api/v1/inbox", headers=headers).json()
    assert body["unread"] == 2
    assert [n["kind"] for n in body["items"]] == ["test", "venue_alert"]
    venue = body["items"][1]
    assert venue["title"] == "Nơi bạn đã đến có ca COVID-19"
    assert "Chợ Bến Thành" in venue["body"]
    assert venue["link"] == "/declare"
    english = client.get("/api/v1/inbox", headers={**headers, "Accept-Language": "en"}).json()
    assert english["items"][1]["title"] == "A place you visited had COVID-19 cases"

    response = client.post(f"/api/v1/inbox/{venue['key']}/read", headers=headers)
    assert response.status_code == 200 and response.json()["read"] is True
    assert client.get("/api/v1/inbox/unread", headers=headers).json() == {"unread": 1}
    assert client.post("/api/v1/inbox/read-all", headers=headers).json() == {"marked": 1}
    assert client.get("/api/v1/inbox/unread", headers=headers).json() == {"unread": 0}


def test_reading_in_the_inbox_stops_a_pending_sms(
    client: TestClient, db: Database, places: Any, citizen: Any
) -> None:
    headers = citizen("0912345679")
    user_id = _account_of(db, "+84912345679")
    _notify(db, user_id, "t:sms", template="test", channels=[Channel.SMS])
    key = client.get("/api/v1/inbox", headers=headers).json()["items"][0]["key"]
    client.post(f"/api/v1/inbox/{key}/read", headers=headers)
    with db.session_scope() as s:
        [row] = af.messages(s, group_key="t:sms")
        assert row.status == Status.DELIVERED  # a worker will not claim it any more
        assert row.read_at is not None


def test_one_cannot_read_or_mark_another_persons_notice(
    client: TestClient, db: Database, places: Any, citizen: Any, make_staff: Any
) -> None:
    mine = citizen("0912345670")
    other_id = _account_of(db, "+84912345670")
    theirs = citizen("0987654321")
    _notify(db, other_id, "t:private", template="test")
    with db.session_scope() as s:
        key = af.key_of(s, other_id)
    assert client.post(f"/api/v1/inbox/{key}/read", headers=theirs).status_code == 404
    assert client.get("/api/v1/inbox", headers=theirs).json()["items"] == []
    officer = make_staff("health_officer", "79")
    assert client.post(f"/api/v1/inbox/{key}/read", headers=officer).status_code == 404
    assert client.post(f"/api/v1/inbox/{key}/read", headers=mine).status_code == 200
    assert client.get("/api/v1/inbox").status_code == 401


def test_one_time_codes_never_show_in_the_inbox(
    client: TestClient, db: Database, places: Any, citizen: Any
) -> None:
    headers = citizen("0912345671")
    user_id = _account_of(db, "+84912345671")
    _notify(db, user_id, "otp:x", template="otp", params={"code": "123456", "minutes": 5})
    assert client.get("/api/v1/inbox", headers=headers).json()["unread"] == 0


def test_settings_api_and_opt_out(
    client: TestClient, db: Database, places: Any, citizen: Any
) -> None:
    headers = citizen("0912345672")
    assert client.get("/api/v1/inbox/settings", headers=headers).json() == {
        "sms_enabled": True,
        "push_enabled": True,
        "reminder_start": "08:00:00",
        "reminder_end": "10:00:00",
        "email": None,
    }
    changed = {
        "sms_enabled": False,
        "push_enabled": True,
        "reminder_start": "19:00",
        "reminder_end": "21:00",
    }
    response = client.put("/api/v1/inbox/settings", headers=headers, json=changed)
    assert response.status_code == 200
    with db.session_scope() as s:
        assert service.is_opted_out(s, phone="+84912345672")
    bad = client.put(
        "/api/v1/inbox/settings",
        headers=headers,
        json={**changed, "reminder_end": "19:00"},
    )
    assert bad.status_code == 422
    assert "Khoảng giờ nhắc nhở" in bad.json()["detail"]
    assert (
        client.put(
            "/api/v1/inbox/settings", headers=headers, json={**changed, "email": "not an address"}
        ).status_code
        == 422
    )
    client.put("/api/v1/inbox/settings", headers=headers, json={**changed, "sms_enabled": True})
    with db.session_scope() as s:
        assert not service.is_opted_out(s, phone="+84912345672")


def _page_sign_in(client: TestClient, sms: Any, phone: str) -> None:
    from tests.factories import last_code

    page = client.get("/signin")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/signin", data={"phone": phone, "csrf_token": token})
    canonical = "+84" + phone[1:]
    code = last_code(sms, canonical)
    client.post("/signin", data={"phone": phone, "code": code, "csrf_token": token})


def test_inbox_pages(client: TestClient, db: Database, places: Any, sms: Any) -> None:
    _page_sign_in(client, sms, "0912345673")
    user_id = _account_of(db, "+84912345673")
    _notify(
        db,
        user_id,
        "q:1",
        template="quarantine_ordered",
        params={"start": "20/11/2026", "end": "04/12/2026"},
    )
    page = client.get("/inbox")
    assert page.status_code == 200
    assert "Quyết định cách ly" in page.text
    assert 'data-testid="inbox-unread">1<' in page.text
    with db.session_scope() as s:
        key = af.key_of(s, user_id)
    opened = client.get(f"/inbox/{key}")
    assert opened.status_code == 200 and "/me/quarantine" in opened.text
    assert 'data-testid="inbox-unread">0<' in client.get("/inbox").text
    assert client.get(f"/inbox/{uuid.uuid4()}").status_code == 404

    settings_page = client.get("/inbox/settings")
    token = settings_page.text.split('name="csrf_token" value="')[1].split('"')[0]
    bad = client.post(
        "/inbox/settings",
        data={"csrf_token": token, "reminder_start": "25:99", "reminder_end": "10:00"},
    )
    assert bad.status_code == 422
    assert "Nhập giờ, ví dụ 08:00." in bad.text
    ok = client.post(
        "/inbox/settings",
        data={
            "csrf_token": token,
            "sms_enabled": "yes",
            "reminder_start": "07:00",
            "reminder_end": "09:00",
        },
        follow_redirects=False,
    )
    assert ok.status_code == 303
    with db.session_scope() as s:
        setting = service.get_setting(s, user_id=user_id)
        assert (setting.sms_enabled, setting.push_enabled) == (True, False)
        assert setting.reminder_start.hour == 7
