"""The SMPP adapter against the test SMSC (tests/alerts/smsc.py) on localhost: real PDUs."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from epitrace.alerts import sms_text
from epitrace.alerts.channels import Accepted, Outgoing, Refused, Retry
from epitrace.alerts.channels.smpp import (
    GSM7_EXTENSION_TABLE,
    GSM7_TABLE,
    SmppAdapter,
    SmppBindRefused,
    decode_gsm7,
    encode_gsm7,
    parse_receipt,
)
from epitrace.alerts.models import Channel
from epitrace.config import Settings
from tests.alerts.smsc import Smsc

PHONE = "+84912345678"
VIETNAMESE = "Bộ Y tế: bạn là F1, hãy tự cách ly tại nhà và khai báo y tế."


@dataclass
class RecordingSink:
    receipts: list[tuple[Channel, str, bool, str]] = field(default_factory=list)
    replies: list[tuple[Channel, str, str]] = field(default_factory=list)
    fail_next: bool = False

    def receipt(self, channel: Channel, provider_ref: str, *, delivered: bool, reason: str) -> None:
        self.receipts.append((channel, provider_ref, delivered, reason))

    def inbound(self, channel: Channel, phone: str, text: str) -> None:
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("database unavailable")
        self.replies.append((channel, phone, text))


def outgoing(sms: str, phone: str | None = PHONE) -> Outgoing:
    return Outgoing(
        key=uuid.uuid4(),
        channel=Channel.SMS,
        template="test",
        kind="test",
        locale="vi",
        title="",
        body="",
        sms=sms,
        phone=phone,
    )


def smpp_settings(smsc: Smsc, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "smpp_host": "127.0.0.1",
        "smpp_port": smsc.port,
        "smpp_system_id": "epitrace",
        "smpp_password": "secret1",
        "alerts_brand": "BoYTe",
        "sms_price_per_segment": 800,
        "smpp_timeout_seconds": 2.0,
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def smsc() -> Iterator[Smsc]:
    server = Smsc()
    yield server
    server.stop()


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()


@pytest.fixture
def adapter(smsc: Smsc, sink: RecordingSink) -> Iterator[SmppAdapter]:
    sender = SmppAdapter(smpp_settings(smsc), sink)
    yield sender
    sender.close()


def test_vietnamese_goes_as_gsm7_without_diacritics(smsc: Smsc, adapter: SmppAdapter) -> None:
    accepted = adapter.send(outgoing(VIETNAMESE))

    [message] = smsc.accepted()
    # à, è, é, ì, ò, ù are letters of GSM-7 and stay; the other marks are dropped
    assert message.text == "Bo Y te: ban là F1, hay tu cach ly tai nhà và khai bao y te."
    assert message.text == sms_text.prepare(VIETNAMESE).text
    assert message.data_coding == 0
    assert (message.source_addr, message.source_ton, message.source_npi) == ("BoYTe", 5, 0)
    assert (message.destination, message.dest_ton) == ("84912345678", 1)
    assert message.registered_delivery & 0x01
    assert message.udh == b""
    assert accepted == Accepted(provider_ref=message.message_id, segments=1, cost=800)
    assert adapter.accepts_idempotency_key is False


def test_ucs2_keeps_the_diacritics(smsc: Smsc, sink: RecordingSink) -> None:
    sender = SmppAdapter(smpp_settings(smsc, smpp_ucs2=True), sink)
    try:
        accepted = sender.send(outgoing(VIETNAMESE))
    finally:
        sender.close()
    [message] = smsc.accepted()
    assert message.text == VIETNAMESE
    assert message.data_coding == 8
    assert (accepted.segments, accepted.cost) == (1, 800)


def test_gsm7_special_characters_arrive_intact(smsc: Smsc, adapter: SmppAdapter) -> None:
    text = "@ $ _ £ é [x] {y} ~ | ^ € \\ 100%"
    adapter.send(outgoing(text))
    assert smsc.accepted()[0].text == text


def test_a_long_message_goes_as_concatenated_parts(smsc: Smsc, adapter: SmppAdapter) -> None:
    text = ("Cảnh báo: người đến chợ Bến Thành ngày 28/11 cần khai báo y tế ngay. " * 5)[:300]
    prepared = sms_text.prepare(text)
    assert prepared.segments == 2

    accepted = adapter.send(outgoing(text))

    parts = smsc.accepted()
    assert len(parts) == 2
    concat = [p.concat for p in parts]
    assert concat[0] is not None and concat[1] is not None
    assert concat[0][0] == concat[1][0]  # one reference
    assert [(c[1], c[2]) for c in concat if c] == [(2, 1), (2, 2)]
    assert all(p.esm_class & 0x40 for p in parts)
    assert tuple(p.text for p in parts) == prepared.parts
    assert "".join(p.text for p in parts) == prepared.text
    assert accepted.segments == 2
    assert accepted.cost == 1600
    assert accepted.provider_ref == parts[0].message_id


def test_two_long_messages_have_different_references(smsc: Smsc, adapter: SmppAdapter) -> None:
    adapter.send(outgoing("a" * 200))
    adapter.send(outgoing("b" * 200))
    refs = {p.concat[0] for p in smsc.accepted() if p.concat}
    assert len(refs) == 2


def test_receipts_reach_the_sink_with_the_provider_ref(
    smsc: Smsc, adapter: SmppAdapter, sink: RecordingSink
) -> None:
    delivered = adapter.send(outgoing("Tin nhan thu"))
    # the SMSC answers with its receipt a moment later: let it, before it is told to fail
    smsc.wait_for(lambda: len(sink.receipts) == 1)
    smsc.receipt_status = "UNDELIV"
    smsc.receipt_tlvs = False  # the receipt text alone
    failed = adapter.send(outgoing("Tin nhan thu hai"))

    smsc.wait_for(lambda: len(sink.receipts) == 2)
    assert sink.receipts[0] == (Channel.SMS, delivered.provider_ref, True, "")
    channel, ref, ok, reason = sink.receipts[1]
    assert (channel, ref, ok) == (Channel.SMS, failed.provider_ref, False)
    assert reason == "UNDELIV err:001"
    # every deliver_sm was answered
    smsc.wait_for(lambda: len(smsc.deliver_responses) == 2)
    assert set(smsc.deliver_responses.values()) == {0}


def test_a_long_message_gets_one_receipt_once_every_part_arrived(
    smsc: Smsc, adapter: SmppAdapter, sink: RecordingSink
) -> None:
    accepted = adapter.send(outgoing("x" * 400))
    assert accepted.segments == 3
    smsc.wait_for(lambda: len(smsc.deliver_responses) == 3)
    assert sink.receipts == [(Channel.SMS, accepted.provider_ref, True, "")]

    smsc.receipt_status = "EXPIRED"
    failed = adapter.send(outgoing("y" * 400))
    smsc.wait_for(lambda: len(smsc.deliver_responses) == 6)
    assert sink.receipts[1:] == [(Channel.SMS, failed.provider_ref, False, "EXPIRED err:001")]


def test_stop_reaches_the_sink(smsc: Smsc, adapter: SmppAdapter, sink: RecordingSink) -> None:
    adapter.send(outgoing("Tra loi STOP de tu choi"))
    sequence = smsc.inject_mo("84912345678", "STOP")
    smsc.wait_for(lambda: sequence in smsc.deliver_responses)
    assert sink.replies == [(Channel.SMS, "+84912345678", "STOP")]
    assert smsc.deliver_responses[sequence] == 0

    unicode_reply = smsc.inject_mo("84987654321", "Dừng", ucs2=True)
    smsc.wait_for(lambda: unicode_reply in smsc.deliver_responses)
    assert sink.replies[-1] == (Channel.SMS, "+84987654321", "Dừng")


def test_a_reply_the_sink_could_not_record_is_refused_for_a_later_retry(
    smsc: Smsc, adapter: SmppAdapter, sink: RecordingSink
) -> None:
    adapter.send(outgoing("hello"))
    sink.fail_next = True
    sequence = smsc.inject_mo("84912345678", "STOP")
    smsc.wait_for(lambda: sequence in smsc.deliver_responses)
    assert smsc.deliver_responses[sequence] == 0x64  # ESME_RX_T_APPN: send it again later
    assert sink.replies == []


def test_throttling_pauses_then_succeeds(smsc: Smsc, adapter: SmppAdapter) -> None:
    smsc.throttle(1)
    with pytest.raises(Retry) as caught:
        adapter.send(outgoing("Nhac khai bao y te"))
    assert caught.value.pause_seconds > 0
    assert "0x58" in caught.value.reason
    assert smsc.accepted() == []

    accepted = adapter.send(outgoing("Nhac khai bao y te"))
    assert [m.message_id for m in smsc.accepted()] == [accepted.provider_ref]


def test_a_throttled_later_part_is_waited_out(smsc: Smsc, adapter: SmppAdapter) -> None:
    adapter.send(outgoing("warm-up"))
    original = smsc._submit

    def throttle_second_part(conn, pdu):  # type: ignore[no-untyped-def]
        if pdu.esm_class & 0x40 and pdu.short_message[5] == 2 and not calls:
            calls.append(1)
            smsc.throttle(1)
        return original(conn, pdu)

    calls: list[int] = []
    smsc._submit = throttle_second_part  # type: ignore[method-assign]
    accepted = adapter.send(outgoing("z" * 300))
    assert accepted.segments == 2
    assert len(smsc.accepted()) == 3


def test_a_dropped_connection_mid_batch_is_retried_and_nothing_accepted_twice(
    smsc: Smsc, adapter: SmppAdapter
) -> None:
    adapter.send(outgoing("warm-up"))
    smsc.drop_after(3)
    batch = [outgoing(f"Tin so {n}") for n in range(10)]
    accepted: dict[str, str] = {}  # text → provider ref
    retries = 0
    for message in batch:  # as the worker does: a Retry goes back to the queue
        for _attempt in range(3):
            try:
                accepted[message.sms] = adapter.send(message).provider_ref or ""
                break
            except Retry as exc:
                retries += 1
                assert "connection" in exc.reason
    assert retries == 1
    assert len(accepted) == 10
    assert smsc.binds == 2

    answered = [m for m in smsc.accepted() if m.text.startswith("Tin so")]
    # each message the adapter reported accepted was taken exactly once, under that id
    assert sorted(m.message_id for m in answered) == sorted(accepted.values())
    assert sorted(m.text for m in answered) == sorted(accepted)
    # the one whose answer was lost with the connection: outcome unknown, taken again
    unanswered = [m for m in smsc.messages if not m.answered]
    assert [m.text for m in unanswered] == ["Tin so 3"]


def test_smsc_down_means_retry(smsc: Smsc, adapter: SmppAdapter) -> None:
    smsc.down = True
    with pytest.raises(Retry) as caught:
        adapter.send(outgoing("hello"))
    assert not isinstance(caught.value, SmppBindRefused)
    assert "Bind Failed" in caught.value.reason
    assert caught.value.pause_seconds > 0

    smsc.down = False
    adapter.send(outgoing("hello"))
    assert len(smsc.accepted()) == 1


def test_unreachable_smsc_means_retry(sink: RecordingSink) -> None:
    server = Smsc()
    port = server.port
    server.stop()  # nothing listens there any more
    sender = SmppAdapter(
        Settings(smpp_host="127.0.0.1", smpp_port=port, smpp_system_id="epitrace"), sink
    )
    try:
        with pytest.raises(Retry) as caught:
            sender.send(outgoing("hello"))
    finally:
        sender.close()
    assert "cannot reach the SMSC" in caught.value.reason


def test_wrong_password_is_a_clear_error(smsc: Smsc, sink: RecordingSink) -> None:
    sender = SmppAdapter(smpp_settings(smsc, smpp_password="wrong"), sink)
    try:
        with pytest.raises(SmppBindRefused) as caught:
            sender.send(outgoing("hello"))
    finally:
        sender.close()
    reason = caught.value.reason
    assert "Invalid Password" in reason
    assert "EPITRACE_SMPP_PASSWORD" in reason
    assert caught.value.pause_seconds >= 60
    assert smsc.messages == []


def test_invalid_destinations_are_refused(smsc: Smsc, adapter: SmppAdapter) -> None:
    with pytest.raises(Refused):
        adapter.send(outgoing("hello", phone="12345"))
    with pytest.raises(Refused):
        adapter.send(outgoing("hello", phone=None))
    smsc.invalid_destinations.add("84912345678")
    with pytest.raises(Refused) as caught:
        adapter.send(outgoing("hello"))
    assert "0x0B" in caught.value.reason


def test_a_silent_smsc_times_out_into_retry(smsc: Smsc, sink: RecordingSink) -> None:
    sender = SmppAdapter(smpp_settings(smsc, smpp_timeout_seconds=0.3), sink)
    try:
        smsc.stall = True
        with pytest.raises(Retry) as caught:
            sender.send(outgoing("hello"))
        assert "no answer" in caught.value.reason
        smsc.stall = False
        sender.send(outgoing("hello again"))  # on a new connection
    finally:
        sender.close()
    assert smsc.binds == 2


def test_keepalive_and_unbind(smsc: Smsc, sink: RecordingSink) -> None:
    sender = SmppAdapter(smpp_settings(smsc), sink)
    sender.keepalive_seconds = 0.1
    sender.send(outgoing("hello"))
    smsc.wait_for(lambda: smsc.enquire_links >= 2)
    sender.close()
    assert smsc.unbinds == 1
    with pytest.raises(Retry):
        sender.send(outgoing("after close"))


def test_send_from_several_threads_at_once(smsc: Smsc, adapter: SmppAdapter) -> None:
    refs: list[str] = []
    errors: list[BaseException] = []

    def work(n: int) -> None:
        for i in range(10):
            try:
                refs.append(adapter.send(outgoing(f"{n}-{i}")).provider_ref or "")
            except BaseException as exc:  # pragma: no cover - shown by the assert
                errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert len(set(refs)) == 40
    assert sorted(m.message_id for m in smsc.accepted()) == sorted(refs)
    assert time.monotonic() - started < 20


def test_gsm7_tables() -> None:
    assert len(GSM7_TABLE) == 128
    every = GSM7_TABLE.replace("\x1b", "") + "".join(GSM7_EXTENSION_TABLE)
    assert decode_gsm7(encode_gsm7(every)) == every
    assert encode_gsm7("@a€") == bytes((0x00, 0x61, 0x1B, 0x65))
    with pytest.raises(ValueError):
        encode_gsm7("ộ")


def test_receipt_text_parsing() -> None:
    text = (
        "id:0A1B2C sub:001 dlvrd:000 submit date:2611301200 done date:2611301201 "
        "stat:REJECTD err:0B1 text:Bo Y te"
    )
    receipt = parse_receipt(text)
    assert (receipt.message_id, receipt.stat, receipt.err) == ("0A1B2C", "REJECTD", "0B1")
    assert receipt.final and not receipt.delivered
    assert parse_receipt("id:1 stat:ENROUTE err:000").final is False
    assert parse_receipt(text, receipted_id="FF", state=2).delivered
