"""The HTTP SMS gateway and OTT adapters against a local gateway: answers, faults, and a
worker killed mid-send; the receipt callback route."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from epitrace.alerts import service as alert_service
from epitrace.alerts.channels import Outgoing, Refused, Retry
from epitrace.alerts.channels.http import HttpSmsAdapter, OttAdapter
from epitrace.alerts.models import Channel, ChannelState, InboundSms, Status
from epitrace.config import Settings, get_settings
from epitrace.db import Database
from tests.alerts.gateway import Answer, Gateway, running
from tests.alerts.outbox import Clock, queue, row, rows, worker

TOKEN = "gw-secret-token"


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    with running(Gateway()) as gw:
        yield gw


def _settings(settings: Settings, gateway: Gateway, **more: Any) -> Settings:
    return settings.model_copy(
        update={
            "sms_backend": "http",
            "http_gateway_url": gateway.url,
            "http_gateway_token": TOKEN,
            "http_gateway_timeout_seconds": 0.5,
            "ott_url": gateway.url,
            "ott_token": TOKEN,
            "ott_templates": {"test": "zalo-tpl-42"},
            **more,
        }
    )


def _message(**fields: Any) -> Outgoing:
    import uuid

    values: dict[str, Any] = {
        "key": uuid.uuid4(),
        "channel": Channel.SMS,
        "template": "test",
        "kind": "test",
        "locale": "vi",
        "title": "Thử",
        "body": "Tin nhắn thử",
        "sms": "Tin nhắn thử từ Bộ Y tế",
        "phone": "+84912000001",
    }
    values.update(fields)
    return Outgoing(**values)


def test_sms_request_shape_and_answer(gateway: Gateway, settings: Settings) -> None:
    adapter = HttpSmsAdapter(_settings(settings, gateway))
    gateway.script = [Answer(body={"id": "abc-1"})]
    message = _message()
    accepted = adapter.send(message)
    adapter.close()
    assert accepted.provider_ref == "abc-1"
    assert (accepted.segments, accepted.cost) == (1, 800)
    assert gateway.bodies[0] == {
        "to": "+84912000001",
        "text": "Tin nhan thu tu Bo Y te",  # GSM-7: diacritics dropped
        "sender": "epitrace",
        "unicode": False,
    }
    assert gateway.auth == [f"Bearer {TOKEN}"]
    assert gateway.requests[str(message.key)] == 1


@pytest.mark.parametrize(
    ("answer", "error", "reason"),
    [
        (Answer(500, {"error": "upstream down"}), Retry, "HTTP 500: upstream down"),
        (Answer(503), Retry, "HTTP 503"),
        (Answer(400, {"reason": "invalid destination"}), Refused, "HTTP 400: invalid destination"),
        (Answer(404, {"message": "no route"}), Refused, "HTTP 404: no route"),
        (Answer(200, delay=1.0), Retry, "timeout"),
    ],
)
def test_gateway_answers_map_to_outcomes(
    gateway: Gateway, settings: Settings, answer: Answer, error: type[Exception], reason: str
) -> None:
    adapter = HttpSmsAdapter(_settings(settings, gateway))
    gateway.script = [answer]
    with pytest.raises(error) as raised:
        adapter.send(_message())
    adapter.close()
    assert str(raised.value).startswith(reason)


def test_throttled_answer_pauses_for_retry_after(gateway: Gateway, settings: Settings) -> None:
    adapter = HttpSmsAdapter(_settings(settings, gateway))
    gateway.script = [Answer(429, {"error": "slow down"}, headers={"Retry-After": "7"})]
    with pytest.raises(Retry) as raised:
        adapter.send(_message())
    adapter.close()
    assert (raised.value.pause_seconds, raised.value.after_seconds) == (7.0, 7.0)


def test_gateway_down_is_temporary(settings: Settings) -> None:
    adapter = HttpSmsAdapter(
        settings.model_copy(
            update={"http_gateway_url": "http://127.0.0.1:9/send", "http_gateway_token": "x"}
        )
    )
    with pytest.raises(Retry, match="connection"):
        adapter.send(_message())
    adapter.close()


def test_ott_sends_the_provider_template(gateway: Gateway, settings: Settings) -> None:
    adapter = OttAdapter(_settings(settings, gateway))
    accepted = adapter.send(_message(channel=Channel.OTT, params={"day": "20/11", "url": "u"}))
    assert accepted.cost == settings.ott_price_per_message
    assert gateway.bodies[0] == {
        "to": "+84912000001",
        "template_id": "zalo-tpl-42",
        "params": {"day": "20/11", "url": "u"},
    }
    with pytest.raises(Refused, match="no OTT template for otp"):
        adapter.send(_message(channel=Channel.OTT, template="otp"))
    adapter.close()
    assert len(gateway.bodies) == 1  # the unknown template never left


def test_faults_end_in_exactly_one_delivery_or_dead_letter(
    db: Database, settings: Settings, gateway: Gateway
) -> None:
    """500s, a timeout, a 429, a refusal and a worker killed after sending: afterwards each
    message reached the gateway's phones once, or is in dead letter with its reason."""
    tuned = _settings(settings, gateway, alerts_retry_base_seconds=1, alerts_max_attempts=4)
    keys = queue(db, 6)
    adapter = HttpSmsAdapter(tuned)
    clock = Clock()
    # a worker takes two rows, sends them, and dies before recording anything
    doomed = worker(db, tuned, [adapter], clock, name="doomed", alerts_batch_size=2)
    claim = doomed.claim(Channel.SMS, adapter)
    for claimed in claim.rows:
        adapter.send(_message(key=claimed.key, phone=claimed.phone))
    gateway.script = [
        Answer(500),
        Answer(200, delay=1.0),  # taken, but the answer comes too late
        Answer(429, {"error": "slow down"}, headers={"Retry-After": "2"}),
        Answer(400, {"reason": "number does not exist"}),
        Answer(500),
        Answer(502),
    ]
    clock.advance(tuned.alerts_lease_seconds + 1)
    w = worker(db, tuned, [adapter], clock, name="w")
    for _ in range(40):
        w.run_once()
        clock.advance(5)
    adapter.close()
    final = {r.key: r for r in rows(db)}
    assert {final[k].status for k in keys} <= {Status.SENT, Status.FAILED}
    for key in keys:
        message = final[key]
        if message.status == Status.SENT:
            assert gateway.deliveries[str(key)] == 1
        else:
            assert message.dead_reason
            assert gateway.deliveries[str(key)] == 0
    dead = [final[k] for k in keys if final[k].status == Status.FAILED]
    assert [d.dead_reason for d in dead] == ["HTTP 400: number does not exist"]
    assert sum(gateway.deliveries.values()) == 5
    assert sum(gateway.requests.values()) >= 5 + 2 + 5  # the copies were dropped
    with db.sessionmaker() as session:
        state = session.get(ChannelState, "sms")
        assert state is not None and state.pause_reason == "HTTP 429: slow down"


# -- the receipt callback --------------------------------------------------------------------


def _sent_row(db: Database, settings: Settings, gateway: Gateway) -> Any:
    [key] = queue(db, 1)
    gateway.script = [Answer(body={"id": "prov-77"})]
    adapter = HttpSmsAdapter(settings)
    worker(db, settings, [adapter], Clock()).run_once()
    adapter.close()
    assert row(db, key).status == Status.SENT
    return key


@pytest.fixture
def gw_client(app: Any, settings: Settings, gateway: Gateway) -> Iterator[TestClient]:
    app.state.settings = _settings(settings, gateway)
    app.dependency_overrides[get_settings] = lambda: app.state.settings
    with TestClient(app) as client:
        yield client
    app.dependency_overrides.clear()


def test_receipt_callback_marks_delivered(
    db: Database, settings: Settings, gateway: Gateway, gw_client: TestClient
) -> None:
    key = _sent_row(db, _settings(settings, gateway), gateway)
    url = "/api/v1/alerts/receipts/sms"
    body = {"id": "prov-77", "status": "delivered"}
    assert gw_client.post(url, json=body).status_code == 401
    wrong = gw_client.post(url, json=body, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    auth = {"Authorization": f"Bearer {TOKEN}"}
    ok = gw_client.post(url, json=body, headers=auth)
    assert ok.status_code == 200, ok.text
    assert ok.json()["kind"] == "receipt"
    delivered = row(db, key)
    assert delivered.status == Status.DELIVERED
    assert delivered.delivered_at is not None
    again = gw_client.post(url, json=body, headers=auth)  # a repeated receipt changes nothing
    assert again.status_code == 200
    unknown = gw_client.post(url, json={"id": "nope", "status": "failed"}, headers=auth)
    assert unknown.status_code == 404
    empty = gw_client.post(url, json={"reason": "x"}, headers=auth)
    assert empty.status_code in (400, 422)


def test_failed_receipt_is_dead_letter(
    db: Database, settings: Settings, gateway: Gateway, gw_client: TestClient
) -> None:
    key = _sent_row(db, _settings(settings, gateway), gateway)
    answer = gw_client.post(
        "/api/v1/alerts/receipts/sms",
        json={"id": "prov-77", "status": "failed", "reason": "absent subscriber"},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert answer.status_code == 200
    dead = row(db, key)
    assert (dead.status, dead.dead_reason) == (Status.FAILED, "receipt: absent subscriber")


def test_replies_opt_out_and_back_in(db: Database, gw_client: TestClient) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    url = "/api/v1/alerts/receipts/ott"
    for text, action in [("Hủy", "opt_out"), ("start", "opt_in"), ("TU CHOI nhan tin", "opt_out")]:
        answer = gw_client.post(url, json={"from": "0912 000 555", "text": text}, headers=auth)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"kind": "inbound", "action": action}
    with db.sessionmaker() as session:
        assert alert_service.is_opted_out(session, phone="+84912000555")
        assert session.query(InboundSms).count() == 3


def test_receipts_of_a_channel_without_a_token_are_not_taken(app: Any, settings: Settings) -> None:
    with TestClient(app) as client:
        answer = client.post(
            "/api/v1/alerts/receipts/sms",
            json={"id": "x", "status": "delivered"},
            headers={"Authorization": "Bearer "},
        )
    assert answer.status_code == 404


def test_sign_in_codes_go_through_the_http_gateway(
    db: Database, settings: Settings, gateway: Gateway
) -> None:
    from epitrace.app import create_app

    tuned = _settings(settings, gateway)
    app = create_app(tuned, database=db)
    app.dependency_overrides[get_settings] = lambda: tuned
    with TestClient(app) as client:
        answer = client.post("/api/v1/auth/otp", json={"phone": "0912 000 888"})
        assert answer.status_code == 202, answer.text
        [body] = gateway.bodies
        assert body["to"] == "+84912000888"
        assert "Ma xac thuc" in body["text"]
        gateway.script = [Answer(503)]
        busy = client.post("/api/v1/auth/otp", json={"phone": "0912 000 889"})
        assert busy.status_code == 503
