"""The web-push routes: the public key, subscribing and unsubscribing this browser (with the
keys checked), and the service worker's acknowledgement that stops the SMS fallback."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from epitrace.accounts.models import UserAccount
from epitrace.alerts import service as alert_service
from epitrace.alerts import vapid
from epitrace.alerts.models import Channel, OutboxMessage, Status
from epitrace.alerts.service import Recipient
from epitrace.config import Settings
from epitrace.db import Database
from tests.alerts.pushservice import Browser, b64url

ENDPOINT = "https://fcm.googleapis.com/fcm/send/abc:def"


def _body(browser: Browser, endpoint: str = ENDPOINT) -> dict[str, Any]:
    return {
        "endpoint": endpoint,
        "expirationTime": None,
        "keys": {"p256dh": browser.p256dh, "auth": browser.auth},
    }


def _account_of(db: Database, phone: str) -> uuid.UUID:
    with db.session_scope() as s:
        return s.query(UserAccount).filter_by(phone=phone).one().id


def _endpoints(db: Database, user_id: uuid.UUID) -> list[str]:
    with db.sessionmaker() as s:
        return [row.endpoint for row in alert_service.push_subscriptions(s, user_id=user_id)]


def test_the_public_key_is_the_vapid_key(client: TestClient, settings: Settings) -> None:
    response = client.get("/api/v1/push/key")
    assert response.status_code == 200
    key = response.json()["public_key"]
    assert key == vapid.public_key(settings.keys_dir)
    point = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
    assert len(point) == 65 and point[0] == 0x04


def test_subscribe_and_unsubscribe_this_browser(
    client: TestClient, db: Database, places: Any, citizen: Any
) -> None:
    headers = citizen("0912345678")
    user_id = _account_of(db, "+84912345678")
    browser = Browser()

    response = client.post(
        "/api/v1/push/subscriptions",
        json=_body(browser),
        headers={**headers, "User-Agent": "Mozilla/5.0 (Linux; Android 14)"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["endpoint"] == ENDPOINT
    # again (the page subscribes on every visit): still one subscription
    assert client.post(
        "/api/v1/push/subscriptions", json=_body(browser), headers=headers
    ).is_success
    assert _endpoints(db, user_id) == [ENDPOINT]

    response = client.request(
        "DELETE", "/api/v1/push/subscriptions", json={"endpoint": ENDPOINT}, headers=headers
    )
    assert response.status_code == 204
    assert _endpoints(db, user_id) == []


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"endpoint": "http://push.example.vn/x"}, "endpoint", "https"),
        ({"endpoint": "https:///nohost"}, "endpoint", "https"),
        ({"endpoint": "https://p.example.vn/" + "x" * 1000}, "endpoint", "https"),
        ({"p256dh": b64url(b"\x04" + bytes(63))}, "keys.p256dh", "P-256"),
        ({"p256dh": b64url(b"\x04" + bytes(64))}, "keys.p256dh", "P-256"),  # not on the curve
        ({"p256dh": "not base64url!"}, "keys.p256dh", "P-256"),
        ({"auth": b64url(bytes(15))}, "keys.auth", "16 bytes"),
        ({"auth": "*" * 22}, "keys.auth", "16 bytes"),
    ],
)
def test_bad_subscriptions_are_refused_with_a_reason(
    change: dict[str, str],
    field: str,
    reason: str,
    client: TestClient,
    db: Database,
    places: Any,
    citizen: Any,
) -> None:
    headers = citizen("0912345678")
    body = _body(Browser())
    if "endpoint" in change:
        body["endpoint"] = change["endpoint"]
    body["keys"].update({k: v for k, v in change.items() if k != "endpoint"})
    response = client.post(
        "/api/v1/push/subscriptions",
        json=body,
        headers={**headers, "Accept-Language": "en"},
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert reason in problem["detail"]
    assert field in problem["errors"]
    assert _endpoints(db, _account_of(db, "+84912345678")) == []


def test_the_reason_is_in_vietnamese_by_default(
    client: TestClient, db: Database, places: Any, citizen: Any
) -> None:
    headers = citizen("0912345678")
    body = _body(Browser(), endpoint="http://push.example.vn/x")
    response = client.post("/api/v1/push/subscriptions", json=body, headers=headers)
    assert response.status_code == 422
    assert "https" in response.json()["detail"]
    assert "địa chỉ" in response.json()["detail"]


def test_anonymous_callers_cannot_subscribe(client: TestClient) -> None:
    response = client.post("/api/v1/push/subscriptions", json=_body(Browser()))
    assert response.status_code == 401


def test_the_acknowledgement_stops_the_sms_fallback(
    client: TestClient, db: Database, places: Any, citizen: Any
) -> None:
    headers = citizen("0912345678")
    user_id = _account_of(db, "+84912345678")
    client.post("/api/v1/push/subscriptions", json=_body(Browser()), headers=headers)
    with db.session_scope() as s:
        result = alert_service.enqueue(
            s,
            recipients=[Recipient.user(user_id)],
            template="test",
            dedup_key="push:ack",
            channels=[Channel.PUSH, Channel.SMS],
        )
        [key] = result.keys
        row = s.query(OutboxMessage).filter_by(key=key).one()
        assert (row.channel, row.fallback_channel) == ("push", "sms")
        row.status = Status.SENT.value  # the worker pushed it; the fallback waits

    # the service worker calls without a session or token: the key is its credential
    response = client.post(f"/api/v1/push/ack/{key}")
    assert response.status_code == 204
    with db.sessionmaker() as s:
        row = s.query(OutboxMessage).filter_by(key=key).one()
        assert row.status == Status.DELIVERED.value
        assert row.delivered_at is not None

    assert client.post(f"/api/v1/push/ack/{uuid.uuid4()}").status_code == 404
    assert client.post("/api/v1/push/ack/not-a-key").status_code == 422
