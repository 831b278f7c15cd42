"""The web-push adapter against a push service on localhost: VAPID signature, encryption,
headers, and what each answer of the push service does to the message and the subscription."""

from __future__ import annotations

import stat
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from epitrace.alerts import service as alert_service
from epitrace.alerts import vapid
from epitrace.alerts.channels import Accepted, Outgoing, Refused, Retry
from epitrace.alerts.channels.webpush import WebPushAdapter
from epitrace.alerts.models import Channel
from epitrace.config import Settings
from epitrace.db import Database
from tests.alerts import factories as af
from tests.alerts.pushservice import Browser, PushService, verify_vapid


class NoReceipts:
    def receipt(self, channel: Channel, provider_ref: str, *, delivered: bool, reason: str) -> None:
        raise AssertionError("pushes have no receipts")

    def inbound(self, channel: Channel, phone: str, text: str) -> None:
        raise AssertionError("pushes have no replies")


@pytest.fixture
def push_service() -> Iterator[PushService]:
    service = PushService()
    yield service
    service.stop()


@pytest.fixture
def push_settings(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(
        update={"keys_dir": tmp_path / "keys", "vapid_subject": "mailto:ops@soyte.example.vn"}
    )


@pytest.fixture
def adapter(push_settings: Settings) -> Iterator[WebPushAdapter]:
    sender = WebPushAdapter(push_settings, NoReceipts())
    yield sender
    sender.close()


def subscribe(db: Database, user_id: uuid.UUID, endpoint: str, browser: Browser) -> None:
    with db.session_scope() as s:
        alert_service.subscribe_push(
            s, user_id=user_id, endpoint=endpoint, p256dh=browser.p256dh, auth=browser.auth
        )


def account(db: Database, phone: str = "0912000101") -> uuid.UUID:
    with db.session_scope() as s:
        _person, user = af.citizen(s, phone)
        return user.id


def outgoing(user_id: uuid.UUID | None, *, urgent: bool = False) -> Outgoing:
    return Outgoing(
        key=uuid.uuid4(),
        channel=Channel.PUSH,
        template="contact_alert_f1",
        kind="contact_alert",
        locale="vi",
        title="Cảnh báo tiếp xúc",
        body="Bạn đã ở cùng địa điểm với một ca F0. Hãy khai báo y tế.",
        sms="",
        url="https://epitrace.example.vn/inbox/abc",
        user_id=user_id,
        urgent=urgent,
    )


def endpoints(db: Database, user_id: uuid.UUID) -> list[str]:
    with db.sessionmaker() as session:
        rows = alert_service.push_subscriptions(session, user_id=user_id)
        return sorted(row.endpoint for row in rows)


def test_the_push_is_signed_encrypted_and_carries_the_notice(
    db: Database,
    places: Any,
    push_service: PushService,
    adapter: WebPushAdapter,
    push_settings: Settings,
) -> None:
    user_id = account(db)
    browser = Browser()
    subscribe(db, user_id, push_service.endpoint("phone"), browser)
    message = outgoing(user_id, urgent=True)

    accepted = adapter.send(message)

    assert accepted == Accepted()
    [request] = push_service.requests
    assert request.path == "/push/phone"
    headers = request.headers
    assert headers["content-encoding"] == "aes128gcm"
    assert headers["ttl"] == "86400"
    assert headers["topic"] == message.key.hex
    assert headers["urgency"] == "high"
    key, claims = verify_vapid(headers["authorization"])
    assert key == vapid.public_key(push_settings.keys_dir)
    assert claims["aud"] == push_service.origin
    assert claims["sub"] == "mailto:ops@soyte.example.vn"
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600
    assert browser.decrypt(request.body) == {
        "title": "Cảnh báo tiếp xúc",
        "body": "Bạn đã ở cùng địa điểm với một ca F0. Hãy khai báo y tế.",
        "url": "https://epitrace.example.vn/inbox/abc",
        "key": str(message.key),
    }
    assert adapter.accepts_idempotency_key is True


def test_every_browser_of_the_account_gets_it(
    db: Database, places: Any, push_service: PushService, adapter: WebPushAdapter
) -> None:
    user_id = account(db)
    phone, laptop = Browser(), Browser()
    subscribe(db, user_id, push_service.endpoint("phone"), phone)
    subscribe(db, user_id, push_service.endpoint("laptop"), laptop)
    message = outgoing(user_id)
    message = Outgoing(**{**message.__dict__, "url": None})

    adapter.send(message)

    by_path = {r.path: r for r in push_service.requests}
    assert set(by_path) == {"/push/phone", "/push/laptop"}
    assert phone.decrypt(by_path["/push/phone"].body)["key"] == str(message.key)
    payload = laptop.decrypt(by_path["/push/laptop"].body)
    assert payload["url"] == f"https://epitrace.example.vn/inbox/{message.key}"
    assert by_path["/push/laptop"].headers["urgency"] == "normal"


def test_a_gone_subscription_is_deleted(
    db: Database, places: Any, push_service: PushService, adapter: WebPushAdapter
) -> None:
    user_id = account(db)
    subscribe(db, user_id, push_service.endpoint("old"), Browser())
    subscribe(db, user_id, push_service.endpoint("new"), Browser())
    push_service.answer("old", 410)

    assert adapter.send(outgoing(user_id)) == Accepted()
    assert endpoints(db, user_id) == [push_service.endpoint("new")]

    push_service.answer("new", 404)
    with pytest.raises(Refused) as caught:
        adapter.send(outgoing(user_id))
    assert caught.value.reason == "no push subscription"
    assert endpoints(db, user_id) == []


def test_no_subscription_is_refused(
    db: Database, places: Any, adapter: WebPushAdapter, push_service: PushService
) -> None:
    user_id = account(db)
    with pytest.raises(Refused, match="no push subscription"):
        adapter.send(outgoing(user_id))
    with pytest.raises(Refused, match="no push subscription"):
        adapter.send(outgoing(None))
    assert push_service.requests == []


@pytest.mark.parametrize("status", [429, 500, 503])
def test_busy_push_service_means_retry(
    status: int,
    db: Database,
    places: Any,
    push_service: PushService,
    adapter: WebPushAdapter,
) -> None:
    user_id = account(db)
    subscribe(db, user_id, push_service.endpoint("phone"), Browser())
    push_service.answer("phone", status, **({"Retry-After": "120"} if status == 429 else {}))
    with pytest.raises(Retry) as caught:
        adapter.send(outgoing(user_id))
    assert str(status) in caught.value.reason
    if status == 429:
        assert caught.value.after_seconds == 120
    assert endpoints(db, user_id) == [push_service.endpoint("phone")]


def test_unreachable_push_service_means_retry(
    db: Database, places: Any, push_service: PushService, adapter: WebPushAdapter
) -> None:
    user_id = account(db)
    subscribe(db, user_id, push_service.endpoint("phone"), Browser())
    push_service.stop()
    with pytest.raises(Retry, match="unreachable"):
        adapter.send(outgoing(user_id))
    push_service.server = _Stopped()  # type: ignore[assignment]


class _Stopped:
    def shutdown(self) -> None:
        return

    def server_close(self) -> None:
        return


def test_other_client_errors_are_refused_and_the_subscription_kept(
    db: Database, places: Any, push_service: PushService, adapter: WebPushAdapter
) -> None:
    user_id = account(db)
    subscribe(db, user_id, push_service.endpoint("phone"), Browser())
    push_service.answer("phone", 403)
    with pytest.raises(Refused, match="403"):
        adapter.send(outgoing(user_id))
    assert endpoints(db, user_id) == [push_service.endpoint("phone")]


def test_the_vapid_key_is_made_once_kept_private_and_rotated(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    first = vapid.public_key(keys)
    path = vapid.key_path(keys)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert vapid.public_key(keys) == first
    assert len(vapid.b64url(b"x")) == 2
    rotated = vapid.rotate(keys)
    assert rotated != first
    assert vapid.public_key(keys) == rotated
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["private.pem"]


def test_a_rotated_key_signs_the_next_push(
    db: Database,
    places: Any,
    push_service: PushService,
    adapter: WebPushAdapter,
    push_settings: Settings,
) -> None:
    user_id = account(db)
    subscribe(db, user_id, push_service.endpoint("phone"), Browser())
    adapter.send(outgoing(user_id))
    new_key = vapid.rotate(push_settings.keys_dir)
    adapter.send(outgoing(user_id))
    keys = [verify_vapid(r.headers["authorization"])[0] for r in push_service.requests]
    assert keys[1] == new_key != keys[0]
