"""SMS over SMPP 3.4 to an operator's SMSC: one transceiver bind, receipts and replies in a thread.

`send` submits the parts that `sms_text.prepare` made (GSM-7 without diacritics, or UCS-2
when `smpp_ucs2`), each with the concatenation header when there are several, and waits for
each `submit_sm_resp`. A reader thread answers everything the SMSC sends on its own:
delivery receipts and phone replies (`deliver_sm`, handed to the sink, then answered),
`enquire_link`, `unbind`. The same thread sends `enquire_link` when the link is idle.

Provider reference: the SMSC's `message_id` of the **first part**. Receipts come per part;
the adapter remembers which parts belong together (in memory) and reports one receipt per
message: delivered once every part is, failed as soon as one part fails. After a restart
that memory is gone and each part's receipt is reported under its own id (the first part's
still matches the message).

Data coding 0 carries GSM 03.38 septets unpacked, one per octet (the SMSC packs them);
data coding 8 carries UTF-16 big-endian. SMPP has no idempotency key: a `submit_sm` whose
answer never came may have been taken, so `accepts_idempotency_key` is False and the worker
treats a lost lease as "outcome unknown".
"""

from __future__ import annotations

import collections
import contextlib
import logging
import queue
import re
import secrets
import select
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from smpplib import client as smpp_client
from smpplib import consts as smpp_consts
from smpplib import exceptions as smpp_errors
from smpplib import smpp as smpp_pdu

from epitrace.accounts import phone as phone_numbers
from epitrace.alerts import sms_text
from epitrace.alerts.channels import Accepted, Outgoing, Refused, Retry, Sink
from epitrace.alerts.models import Channel
from epitrace.config import Settings
from epitrace.errors import InvalidInput

logger = logging.getLogger(__name__)

# 3GPP TS 23.038 default alphabet: the character at each septet value, and the extension
# table reached through the escape septet 0x1B.
GSM7_TABLE = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION_TABLE = {
    "\f": 0x0A,
    "^": 0x14,
    "{": 0x28,
    "}": 0x29,
    "\\": 0x2F,
    "[": 0x3C,
    "~": 0x3D,
    "]": 0x3E,
    "|": 0x40,
    "€": 0x65,
}
_GSM7_CODES = {char: code for code, char in enumerate(GSM7_TABLE) if code != 0x1B}
_GSM7_EXTENSION_CHARS = {code: char for char, code in GSM7_EXTENSION_TABLE.items()}
ESCAPE = 0x1B

DATA_CODING_GSM7 = 0x00
DATA_CODING_LATIN1 = 0x03
DATA_CODING_UCS2 = 0x08
ESM_UDHI = 0x40  # the short message starts with a user data header
ESM_TYPE_MASK = 0x3C
ESM_DELIVERY_RECEIPT = 0x04
REGISTERED_DELIVERY_FINAL = 0x01  # a receipt on final success or failure
TON_INTERNATIONAL, NPI_ISDN = 1, 1

# SMPP answers that concern this one message: it can never be sent as it is.
PERMANENT = frozenset(
    {
        smpp_consts.SMPP_ESME_RINVDSTADR,
        smpp_consts.SMPP_ESME_RINVDSTTON,
        smpp_consts.SMPP_ESME_RINVDSTNPI,
        smpp_consts.SMPP_ESME_RINVMSGLEN,
        smpp_consts.SMPP_ESME_RINVESMCLASS,
    }
)
# the SMSC asks us to slow down: pause the whole channel (seconds) and try again
SLOW_DOWN = {
    smpp_consts.SMPP_ESME_RTHROTTLED: 1.0,
    smpp_consts.SMPP_ESME_RMSGQFUL: 5.0,
}
CREDENTIALS = frozenset({smpp_consts.SMPP_ESME_RINVPASWD, smpp_consts.SMPP_ESME_RINVSYSID})
RECONNECT_PAUSE_SECONDS = 5.0  # after a refused connection or bind
CREDENTIALS_PAUSE_SECONDS = 300.0  # wrong system_id/password: an operator must act
ENQUIRE_LINK_SECONDS = 30.0  # keepalive when nothing else crossed the link
REMEMBERED_MULTIPART = 100_000  # parts of long messages whose receipts are still awaited

FINAL_DELIVERED = "DELIVRD"
INTERMEDIATE_STATES = frozenset({"ENROUTE", "ACCEPTD"})
# message_state TLV (SMPP 3.4 §5.3.2.35) → the receipt's stat word
MESSAGE_STATES = {
    1: "ENROUTE",
    2: "DELIVRD",
    3: "EXPIRED",
    4: "DELETED",
    5: "UNDELIV",
    6: "ACCEPTD",
    7: "UNKNOWN",
    8: "REJECTD",
}
_RECEIPT_FIELD = re.compile(r"\b(id|stat|err):(\S+)", re.IGNORECASE)


class SmppBindRefused(Retry):
    """The SMSC refused our credentials: every message waits until an operator fixes them."""


def encode_gsm7(text: str) -> bytes:
    """GSM 03.38 septets, one per octet (extension characters as escape + code)."""
    out = bytearray()
    for char in text:
        if char in GSM7_EXTENSION_TABLE:
            out += bytes((ESCAPE, GSM7_EXTENSION_TABLE[char]))
        elif char in _GSM7_CODES:
            out.append(_GSM7_CODES[char])
        else:
            raise ValueError(f"{char!r} is not in the GSM-7 alphabet")
    return bytes(out)


def decode_gsm7(data: bytes) -> str:
    out: list[str] = []
    escaped = False
    for octet in data:
        code = octet & 0x7F
        if escaped:
            out.append(_GSM7_EXTENSION_CHARS.get(code, " "))
            escaped = False
        elif code == ESCAPE:
            escaped = True
        else:
            out.append(GSM7_TABLE[code])
    return "".join(out)


def decode_text(data: bytes, data_coding: int) -> str:
    """A short message's text in the encoding its data_coding names."""
    if data_coding == DATA_CODING_UCS2:
        return data.decode("utf-16-be", errors="replace")
    if data_coding == DATA_CODING_LATIN1:
        return data.decode("latin-1")
    if data_coding == DATA_CODING_GSM7:
        return decode_gsm7(data)
    return data.decode("ascii", errors="replace")


def destination(phone: str | None) -> str:
    """The international form the SMSC takes (`84912345678`); Refused when not a mobile."""
    if not phone:
        raise Refused("no phone number")
    try:
        return phone_numbers.normalise(phone).removeprefix("+")
    except InvalidInput:
        raise Refused(f"not a Vietnamese mobile number: {phone}") from None


def _phone_of(source_addr: str) -> str:
    try:
        return phone_numbers.normalise(source_addr)
    except InvalidInput:
        return source_addr


@dataclass(frozen=True)
class Receipt:
    message_id: str
    stat: str
    err: str

    @property
    def final(self) -> bool:
        return self.stat not in INTERMEDIATE_STATES

    @property
    def delivered(self) -> bool:
        return self.stat == FINAL_DELIVERED


def parse_receipt(text: str, *, receipted_id: str = "", state: int | None = None) -> Receipt:
    """`id:… sub:… dlvrd:… submit date:… done date:… stat:DELIVRD err:000 text:…`; the TLVs
    `receipted_message_id` and `message_state`, when present, win over the text."""
    fields: dict[str, str] = {}
    for name, value in _RECEIPT_FIELD.findall(text):
        fields.setdefault(name.lower(), value)
    stat = MESSAGE_STATES.get(state or 0) or fields.get("stat", "UNKNOWN").upper()
    return Receipt(
        message_id=receipted_id or fields.get("id", ""), stat=stat, err=fields.get("err", "")
    )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)


class _Sequence(smpp_client.SimpleSequenceGenerator):  # type: ignore[misc]
    """Sequence numbers for PDUs built in several threads at once."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def next_sequence(self) -> int:
        with self._lock:
            return int(super().next_sequence())


class _LinkLost(Exception):
    pass


@dataclass
class _Waiter:
    done: threading.Event = field(default_factory=threading.Event)
    response: Any = None
    lost: bool = False
    # run by the reader on the answer, before it reads on: before any receipt that follows
    on_response: Callable[[Any], None] | None = None


class _Link:
    """One bound transceiver session: writes under a lock, answers matched by sequence."""

    def __init__(self, client: Any, deliveries: queue.Queue[Any], timeout: float) -> None:
        self.client = client
        self.socket: socket.socket = client._socket
        self.deliveries = deliveries
        self.timeout = timeout
        self.keepalive = ENQUIRE_LINK_SECONDS
        self._write = threading.Lock()
        self._pending: dict[int, _Waiter] = {}
        self._pending_lock = threading.Lock()
        self.alive = True
        self._closing = False
        self._unbinding = False
        self._last_io = time.monotonic()
        self._enquiring_since: float | None = None
        self._reader = threading.Thread(target=self._read_loop, name="smpp-reader", daemon=True)

    def start(self, keepalive: float) -> None:
        self.keepalive = keepalive
        self._reader.start()

    # -- writing ----------------------------------------------------------------------------

    def write(self, pdu: Any) -> None:
        with self._write:
            if not self.alive:
                raise _LinkLost("connection closed")
            try:
                self.client.send_pdu(pdu)
            except (smpp_errors.ConnectionError, smpp_errors.PDUError, OSError) as exc:
                self._lose()
                raise _LinkLost(str(exc) or "send failed") from exc
            self._last_io = time.monotonic()

    def request(
        self, pdu: Any, timeout: float, on_response: Callable[[Any], None] | None = None
    ) -> Any:
        """Send a request PDU and wait for its answer; _LinkLost or TimeoutError."""
        waiter = _Waiter(on_response=on_response)
        with self._pending_lock:
            if not self.alive:
                raise _LinkLost("connection closed")
            self._pending[pdu.sequence] = waiter
        try:
            self.write(pdu)
            if not waiter.done.wait(timeout):
                raise TimeoutError(f"no answer to {pdu.command} within {timeout:g} s")
        finally:
            with self._pending_lock:
                self._pending.pop(pdu.sequence, None)
        if waiter.lost:
            raise _LinkLost("connection lost before the answer")
        return waiter.response

    def respond(self, request: Any, command: str, status: int = 0) -> None:
        pdu = smpp_pdu.make_pdu(command, client=self.client, status=status)
        pdu.sequence = request.sequence
        self.write(pdu)

    # -- reading ----------------------------------------------------------------------------

    def _read_loop(self) -> None:
        try:
            while not self._closing:
                readable, _, _ = select.select([self.socket], [], [], 0.2)
                if not readable:
                    self._keep_alive()
                    continue
                pdu = self.client.read_pdu()
                self._last_io = time.monotonic()
                self._enquiring_since = None
                self._handle(pdu)
        except (smpp_errors.ConnectionError, smpp_errors.PDUError, OSError, ValueError) as exc:
            if not (self._closing or self._unbinding):
                logger.warning("SMPP connection lost: %s", exc or type(exc).__name__)
        except Exception:
            logger.exception("SMPP reader stopped")
        finally:
            self._lose()

    def _keep_alive(self) -> None:
        now = time.monotonic()
        if self._enquiring_since is not None:
            if now - self._enquiring_since > self.timeout:
                raise smpp_errors.ConnectionError("no answer to enquire_link")
            return
        if now - self._last_io >= self.keepalive:
            self._enquiring_since = now
            with contextlib.suppress(_LinkLost):
                self.write(smpp_pdu.make_pdu("enquire_link", client=self.client))

    def _handle(self, pdu: Any) -> None:
        command = pdu.command
        if command == "deliver_sm":
            self.deliveries.put((self, pdu))
        elif command == "enquire_link":
            self.respond(pdu, "enquire_link_resp")
        elif command == "unbind":
            with contextlib.suppress(_LinkLost):
                self.respond(pdu, "unbind_resp")
            raise smpp_errors.ConnectionError("the SMSC unbound")
        elif command.endswith("_resp") or command == "generic_nack":
            with self._pending_lock:
                waiter = self._pending.get(pdu.sequence)
            if waiter is not None:
                waiter.response = pdu
                if waiter.on_response is not None:
                    waiter.on_response(pdu)
                waiter.done.set()
        else:
            logger.info("SMPP %s ignored", command)

    # -- ending -----------------------------------------------------------------------------

    def _lose(self) -> None:
        """Mark the link dead and wake every sender waiting for an answer."""
        with self._pending_lock:
            self.alive = False
            waiters = list(self._pending.values())
        for waiter in waiters:
            waiter.lost = True
            waiter.done.set()
        with contextlib.suppress(OSError):
            self.socket.shutdown(socket.SHUT_RDWR)

    def close(self, *, unbind: bool) -> None:
        if unbind and self.alive:
            self._unbinding = True
            with contextlib.suppress(_LinkLost, TimeoutError):
                self.request(smpp_pdu.make_pdu("unbind", client=self.client), min(self.timeout, 2))
        self._closing = True
        self._lose()
        if self._reader.is_alive() and self._reader is not threading.current_thread():
            self._reader.join(timeout=5)
        with self._write:
            self.client.disconnect()


@dataclass
class _Multipart:
    """The parts of one long message, for one receipt per message."""

    total: int
    first_id: str = ""
    delivered: int = 0
    failed: bool = False


class SmppAdapter:
    """The SMS channel through an operator's SMSC (SMPP 3.4, transceiver bind)."""

    channel = Channel.SMS
    accepts_idempotency_key = False

    def __init__(self, settings: Settings, sink: Sink) -> None:
        self.settings = settings
        self.sink = sink
        self.rate_per_second = settings.sms_rate_per_second
        self.keepalive_seconds = ENQUIRE_LINK_SECONDS
        self._link: _Link | None = None
        self._connect_lock = threading.Lock()
        self._window = threading.BoundedSemaphore(settings.smpp_window)
        self._reference = secrets.randbelow(256)  # concatenation reference of long messages
        self._reference_lock = threading.Lock()
        self._parts: collections.OrderedDict[str, _Multipart] = collections.OrderedDict()
        self._parts_lock = threading.Lock()
        self._deliveries: queue.Queue[Any] = queue.Queue()
        self._delivery_thread: threading.Thread | None = None
        self._closed = False

    # -- sending ----------------------------------------------------------------------------

    def send(self, message: Outgoing) -> Accepted:
        """Submit every part of the message; Accepted once the SMSC took them all."""
        to = destination(message.phone)
        if not message.sms.strip():
            raise Refused("empty SMS text")
        prepared = sms_text.prepare(message.sms, ucs2=self.settings.smpp_ucs2)
        payloads, data_coding, esm_class = self._payloads(prepared)
        link = self._connected()
        entry = _Multipart(total=len(payloads)) if len(payloads) > 1 else None
        ids: list[str] = []
        for index, payload in enumerate(payloads):
            ids.append(
                self._submit(
                    link,
                    to=to,
                    payload=payload,
                    data_coding=data_coding,
                    esm_class=esm_class,
                    started=index > 0,
                    entry=entry,
                )
            )
        segments = prepared.segments
        return Accepted(
            provider_ref=ids[0],
            segments=segments,
            cost=prepared.cost(self.settings.sms_price_per_segment),
        )

    def _next_reference(self) -> int:
        with self._reference_lock:
            self._reference = (self._reference + 1) % 256
            return self._reference

    def _payloads(self, prepared: sms_text.SmsText) -> tuple[list[bytes], int, int]:
        """The short_message of each part (with the concatenation header) and its coding."""
        if prepared.encoding == "ucs2":
            encoded = [part.encode("utf-16-be") for part in prepared.parts]
            data_coding = DATA_CODING_UCS2
        else:
            encoded = [encode_gsm7(part) for part in prepared.parts]
            data_coding = DATA_CODING_GSM7
        if len(encoded) == 1:
            return encoded, data_coding, 0
        reference, total = self._next_reference(), len(encoded)
        # UDH: length 5, IE 0x00 (concatenation, 8-bit reference), IE length 3
        return (
            [
                bytes((0x05, 0x00, 0x03, reference, total, number)) + body
                for number, body in enumerate(encoded, start=1)
            ],
            data_coding,
            ESM_UDHI,
        )

    def _submit(
        self,
        link: _Link,
        *,
        to: str,
        payload: bytes,
        data_coding: int,
        esm_class: int,
        started: bool,
        entry: _Multipart | None,
    ) -> str:
        """One submit_sm; its message_id. A later part of a started message waits out a
        throttle (the handset already holds the first parts) instead of failing the whole."""
        deadline = time.monotonic() + self.settings.smpp_timeout_seconds
        while True:
            status, message_id = self._submit_once(
                link,
                to=to,
                payload=payload,
                data_coding=data_coding,
                esm_class=esm_class,
                entry=entry,
            )
            if status == smpp_consts.SMPP_ESME_ROK:
                return message_id
            name = smpp_consts.DESCRIPTIONS.get(status, "unknown status")
            reason = f"SMSC answered 0x{status:02X} ({name})"
            if status in SLOW_DOWN:
                pause = SLOW_DOWN[status]
                if started and time.monotonic() + pause < deadline:
                    time.sleep(pause)
                    continue
                raise Retry(reason, pause_seconds=pause)
            if status in PERMANENT:
                raise Refused(reason)
            raise Retry(reason)

    def _submit_once(
        self,
        link: _Link,
        *,
        to: str,
        payload: bytes,
        data_coding: int,
        esm_class: int,
        entry: _Multipart | None,
    ) -> tuple[int, str]:
        timeout = self.settings.smpp_timeout_seconds
        if not self._window.acquire(timeout=timeout):
            raise Retry(f"{self.settings.smpp_window} submits unanswered for {timeout:g} s")
        try:
            pdu = smpp_pdu.make_pdu(
                "submit_sm",
                client=link.client,
                service_type="",
                source_addr_ton=self.settings.smpp_source_ton,
                source_addr_npi=self.settings.smpp_source_npi,
                source_addr=self.settings.alerts_brand,
                dest_addr_ton=TON_INTERNATIONAL,
                dest_addr_npi=NPI_ISDN,
                destination_addr=to,
                esm_class=esm_class,
                registered_delivery=REGISTERED_DELIVERY_FINAL,
                data_coding=data_coding,
                short_message=payload,
            )
            try:
                on_response = None if entry is None else partial(self._remember_part, entry)
                response = link.request(pdu, timeout, on_response)
            except _LinkLost as exc:
                self._drop(link)
                raise Retry(f"SMPP connection lost ({exc}); reconnecting on the next send") from exc
            except TimeoutError as exc:
                # an SMSC that stops answering is usually a dead link: start afresh next time
                self._drop(link)
                raise Retry(str(exc)) from exc
        finally:
            self._window.release()
        if response.command == "generic_nack":
            return int(response.status or smpp_consts.SMPP_ESME_RSYSERR), ""
        return int(response.status), _text(getattr(response, "message_id", ""))

    # -- the link ---------------------------------------------------------------------------

    def _connected(self) -> _Link:
        with self._connect_lock:
            if self._closed:
                raise Retry("the SMS channel is closed")
            if self._link is not None and self._link.alive:
                return self._link
            if self._link is not None:
                self._link.close(unbind=False)
                self._link = None
            self._link = self._open()
            self._ensure_delivery_thread()
            return self._link

    def _open(self) -> _Link:
        s = self.settings
        client = smpp_client.Client(
            s.smpp_host,
            s.smpp_port,
            timeout=s.smpp_timeout_seconds,
            sequence_generator=_Sequence(),
            logger_name="epitrace.alerts.smpp.client",
            allow_unknown_opt_params=True,
        )
        where = f"{s.smpp_host}:{s.smpp_port}"
        try:
            client.connect()
            client.bind_transceiver(
                system_id=s.smpp_system_id,
                password=s.smpp_password,
                system_type=s.smpp_system_type,
            )
        except smpp_errors.PDUError as exc:
            client.disconnect()
            status = exc.args[1] if len(exc.args) > 1 else smpp_consts.SMPP_ESME_RBINDFAIL
            name = smpp_consts.DESCRIPTIONS.get(status, "unknown status")
            if status in CREDENTIALS:
                reason = (
                    f"the SMSC at {where} refused system_id {s.smpp_system_id!r}: {name} "
                    f"(0x{status:02X}); check EPITRACE_SMPP_SYSTEM_ID and EPITRACE_SMPP_PASSWORD"
                )
                logger.error(reason)
                raise SmppBindRefused(reason, pause_seconds=CREDENTIALS_PAUSE_SECONDS) from None
            raise Retry(
                f"the SMSC at {where} refused the bind: {name} (0x{status:02X})",
                pause_seconds=RECONNECT_PAUSE_SECONDS,
            ) from None
        except (smpp_errors.ConnectionError, OSError) as exc:
            client.disconnect()
            raise Retry(
                f"cannot reach the SMSC at {where}: {exc or 'connection refused'}",
                pause_seconds=RECONNECT_PAUSE_SECONDS,
            ) from None
        link = _Link(client, self._deliveries, s.smpp_timeout_seconds)
        link.start(self.keepalive_seconds)
        logger.info("SMPP bound to %s as %s", where, s.smpp_system_id)
        return link

    def _drop(self, link: _Link) -> None:
        with self._connect_lock:
            if self._link is link:
                self._link = None
        link.close(unbind=False)

    def close(self) -> None:
        """Unbind and stop the threads; a later `send` is refused with Retry."""
        with self._connect_lock:
            self._closed = True
            link, self._link = self._link, None
        if link is not None:
            link.close(unbind=True)
        if self._delivery_thread is not None:
            self._deliveries.put(None)
            self._delivery_thread.join(timeout=5)
            self._delivery_thread = None

    # -- what the SMSC sends: receipts and replies -----------------------------------------

    def _ensure_delivery_thread(self) -> None:
        if self._delivery_thread is None:
            self._delivery_thread = threading.Thread(
                target=self._deliver_loop, name="smpp-deliveries", daemon=True
            )
            self._delivery_thread.start()

    def _deliver_loop(self) -> None:
        # Apart from the reader, so that a sink waiting for the database never holds up the
        # submit answers a sender (maybe holding that database) is waiting for.
        while True:
            item = self._deliveries.get()
            if item is None:
                return
            link, pdu = item
            status = smpp_consts.SMPP_ESME_ROK
            try:
                self._on_deliver(pdu)
            except Exception:
                logger.exception("SMPP deliver_sm not recorded; the SMSC will send it again")
                status = smpp_consts.SMPP_ESME_RX_T_APPN
            with contextlib.suppress(_LinkLost):
                link.respond(pdu, "deliver_sm_resp", status)

    def _on_deliver(self, pdu: Any) -> None:
        esm_class = int(pdu.esm_class or 0)
        data = bytes(pdu.short_message or b"") or bytes(getattr(pdu, "message_payload", b"") or b"")
        if esm_class & ESM_UDHI and data:
            data = data[1 + data[0] :]
        text = decode_text(data, int(pdu.data_coding or 0))
        if esm_class & ESM_TYPE_MASK == ESM_DELIVERY_RECEIPT:
            receipt = parse_receipt(
                text,
                receipted_id=_text(getattr(pdu, "receipted_message_id", None)),
                state=getattr(pdu, "message_state", None),
            )
            if receipt.message_id and receipt.final:
                self._receipt(receipt)
            return
        self.sink.inbound(Channel.SMS, _phone_of(_text(pdu.source_addr)), text.strip())

    def _remember_part(self, entry: _Multipart, response: Any) -> None:
        if response.command != "submit_sm_resp" or response.status != smpp_consts.SMPP_ESME_ROK:
            return
        message_id = _text(response.message_id)
        with self._parts_lock:
            entry.first_id = entry.first_id or message_id
            self._parts[message_id] = entry
            while len(self._parts) > REMEMBERED_MULTIPART:
                self._parts.popitem(last=False)

    def _receipt(self, receipt: Receipt) -> None:
        reason = "" if receipt.delivered else f"{receipt.stat} err:{receipt.err}"
        with self._parts_lock:
            entry = self._parts.pop(receipt.message_id, None)
            if entry is not None:
                if entry.failed:
                    return
                if not receipt.delivered:
                    entry.failed = True
                else:
                    entry.delivered += 1
                    if entry.delivered < entry.total:
                        return  # more parts to come
        ref = entry.first_id if entry is not None else receipt.message_id
        self.sink.receipt(Channel.SMS, ref, delivered=receipt.delivered, reason=reason)
