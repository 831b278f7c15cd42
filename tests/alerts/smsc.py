"""A small SMSC for the tests: SMPP 3.4 on localhost, real PDUs (smpplib's classes), fault switches.

It binds transceivers (checking the credentials), records each submit_sm (decoded text, data
coding, concatenation header, source address), answers it with a message id and then sends a
delivery receipt (`receipt_status`), injects phone replies (MO), answers enquire_link and
unbind. Fault switches: `throttle(n)` answers ESME_RTHROTTLED to the next n submits,
`drop_after(k)` closes the connection on the submit after k more (recorded, never answered:
the "outcome unknown" case), `down = True` refuses binds. Decoding uses smpplib's GSM table,
not the adapter's, so that the two are checked against each other.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from smpplib import consts, gsm
from smpplib import smpp as smpp_pdu

ROK = consts.SMPP_ESME_ROK


class _Seq:
    """What smpplib's PDU classes need of a client: sequence numbers."""

    def __init__(self) -> None:
        self.sequence = 0
        self._lock = threading.Lock()

    def next_sequence(self) -> int:
        with self._lock:
            self.sequence += 1
            return self.sequence


def gsm_decode(data: bytes) -> str:
    out, escaped = [], False
    for octet in data:
        if escaped:
            out.append(gsm.GSM_CHARACTER_TABLE[0x80 + octet])
            escaped = False
        elif octet == 0x1B:
            escaped = True
        else:
            out.append(gsm.GSM_CHARACTER_TABLE[octet])
    return "".join(out)


@dataclass
class Submitted:
    message_id: str
    source_addr: str
    source_ton: int
    source_npi: int
    destination: str
    dest_ton: int
    data_coding: int
    esm_class: int
    registered_delivery: int
    text: str
    udh: bytes = b""
    answered: bool = True

    @property
    def concat(self) -> tuple[int, int, int] | None:
        """(reference, total, number) of an 8-bit concatenation header."""
        if len(self.udh) >= 6 and self.udh[1] == 0x00:
            return self.udh[3], self.udh[4], self.udh[5]
        return None


class _Connection:
    def __init__(self, smsc: Smsc, sock: socket.socket) -> None:
        self.smsc = smsc
        self.sock = sock
        self.lock = threading.Lock()
        self.bound = False

    def send(self, pdu: Any) -> None:
        with self.lock:
            self.sock.sendall(pdu.generate())

    def recv_exact(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self.sock.recv(size - len(data))
            if not chunk:
                raise ConnectionError
            data += chunk
        return data

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()

    def run(self) -> None:
        try:
            while True:
                head = self.recv_exact(4)
                (length,) = struct.unpack(">L", head)
                raw = head + self.recv_exact(length - 4)
                pdu = smpp_pdu.parse_pdu(raw, client=self.smsc.seq, allow_unknown_opt_params=True)
                if not self.smsc.handle(self, pdu):
                    break
        except (ConnectionError, OSError):
            pass
        finally:
            self.close()
            with self.smsc.lock:
                if self in self.smsc.connections:
                    self.smsc.connections.remove(self)


class Smsc:
    def __init__(self, system_id: str = "epitrace", password: str = "secret1") -> None:  # noqa: S107
        self.system_id = system_id
        self.password = password
        self.seq = _Seq()
        self.lock = threading.Lock()
        self.messages: list[Submitted] = []
        self.binds = 0
        self.enquire_links = 0
        self.unbinds = 0
        self.deliver_responses: dict[int, int] = {}
        self.receipt_status = "DELIVRD"
        self.receipt_tlvs = True  # receipted_message_id and message_state as TLVs too
        self.send_receipts = True
        self.down = False
        self.stall = False  # take submits and never answer them (a hung SMSC)
        self.invalid_destinations: set[str] = set()  # answered ESME_RINVDSTADR
        self._throttle = 0
        self._drop_after: int | None = None
        self._next_id = 0x1000
        self.connections: list[_Connection] = []
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(8)
        self._server.settimeout(0.1)  # so that stop() ends the accept loop at once
        self.port: int = self._server.getsockname()[1]
        self._stopped = False
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    # -- switches ---------------------------------------------------------------------------

    def throttle(self, submits: int) -> None:
        with self.lock:
            self._throttle = submits

    def drop_after(self, submits: int) -> None:
        with self.lock:
            self._drop_after = submits

    def accepted(self) -> list[Submitted]:
        with self.lock:
            return [m for m in self.messages if m.answered]

    def wait_for(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError("the SMSC did not see it in time")
            time.sleep(0.01)

    def inject_mo(self, phone: str, text: str, *, ucs2: bool = False) -> int:
        """A phone's message to our brand, on the bound connection; its sequence number."""
        with self.lock:
            conn = next(c for c in self.connections if c.bound)
        payload = text.encode("utf-16-be") if ucs2 else gsm.gsm_encode(text)
        pdu = smpp_pdu.make_pdu(
            "deliver_sm",
            client=self.seq,
            service_type="",
            source_addr_ton=1,
            source_addr_npi=1,
            source_addr=phone,
            dest_addr_ton=5,
            dest_addr_npi=0,
            destination_addr="epitrace",
            esm_class=0,
            data_coding=8 if ucs2 else 0,
            short_message=payload,
        )
        conn.send(pdu)
        return int(pdu.sequence)

    def kick(self) -> None:
        """Close every connection at once (a network cut)."""
        with self.lock:
            connections = list(self.connections)
        for conn in connections:
            conn.close()

    def stop(self) -> None:
        self._stopped = True
        self.kick()
        self._server.close()
        self._thread.join(timeout=5)

    # -- protocol ---------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        while not self._stopped:
            try:
                sock, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            sock.settimeout(None)
            conn = _Connection(self, sock)
            with self.lock:
                self.connections.append(conn)
            threading.Thread(target=conn.run, daemon=True).start()

    def _answer(self, conn: _Connection, request: Any, command: str, **fields: Any) -> None:
        pdu = smpp_pdu.make_pdu(command, client=self.seq, **fields)
        pdu.sequence = request.sequence
        conn.send(pdu)

    def handle(self, conn: _Connection, pdu: Any) -> bool:
        command = pdu.command
        if command == "bind_transceiver":
            status = ROK
            if self.down:
                status = consts.SMPP_ESME_RBINDFAIL
            elif pdu.system_id.decode() != self.system_id:
                status = consts.SMPP_ESME_RINVSYSID
            elif pdu.password.decode() != self.password:
                status = consts.SMPP_ESME_RINVPASWD
            self._answer(conn, pdu, "bind_transceiver_resp", status=status, system_id="smsc")
            with self.lock:
                self.binds += status == ROK
            conn.bound = status == ROK
            return status == ROK
        if command == "submit_sm":
            return self._submit(conn, pdu)
        if command == "enquire_link":
            with self.lock:
                self.enquire_links += 1
            self._answer(conn, pdu, "enquire_link_resp")
        elif command == "unbind":
            with self.lock:
                self.unbinds += 1
            self._answer(conn, pdu, "unbind_resp")
            return False
        elif command == "deliver_sm_resp":
            with self.lock:
                self.deliver_responses[pdu.sequence] = pdu.status
        return True

    def _submit(self, conn: _Connection, pdu: Any) -> bool:
        data = bytes(pdu.short_message or b"")
        udh = b""
        if pdu.esm_class & 0x40:
            udh, data = data[: 1 + data[0]], data[1 + data[0] :]
        text = data.decode("utf-16-be") if pdu.data_coding == 8 else gsm_decode(data)
        if pdu.destination_addr.decode() in self.invalid_destinations:
            self._answer(conn, pdu, "submit_sm_resp", status=consts.SMPP_ESME_RINVDSTADR)
            return True
        with self.lock:
            if self._throttle > 0:
                self._throttle -= 1
                throttled = True
            else:
                throttled = False
            drop = self._drop_after == 0
            if self._drop_after is not None:
                self._drop_after -= 1
                if drop:
                    self._drop_after = None
            self._next_id += 1
            message = Submitted(
                message_id=f"{self._next_id:X}",
                source_addr=pdu.source_addr.decode(),
                source_ton=pdu.source_addr_ton or 0,
                source_npi=pdu.source_addr_npi or 0,
                destination=pdu.destination_addr.decode(),
                dest_ton=pdu.dest_addr_ton or 0,
                data_coding=pdu.data_coding or 0,
                esm_class=pdu.esm_class or 0,
                registered_delivery=pdu.registered_delivery or 0,
                text=text,
                udh=udh,
                answered=not (drop or self.stall),
            )
            if not throttled:
                self.messages.append(message)
        if throttled:
            self._answer(conn, pdu, "submit_sm_resp", status=consts.SMPP_ESME_RTHROTTLED)
            return True
        if drop:
            return False  # taken, never answered: the connection just ends
        if self.stall:
            return True
        self._answer(conn, pdu, "submit_sm_resp", message_id=message.message_id)
        if self.send_receipts and message.registered_delivery & 0x01:
            self._receipt(conn, message)
        return True

    def _receipt(self, conn: _Connection, message: Submitted) -> None:
        stat = self.receipt_status
        err = "000" if stat == "DELIVRD" else "001"
        text = (
            f"id:{message.message_id} sub:001 dlvrd:{'001' if stat == 'DELIVRD' else '000'} "
            f"submit date:2611301200 done date:2611301201 stat:{stat} err:{err} text:"
        )
        fields: dict[str, Any] = {}
        if self.receipt_tlvs:
            states = {"DELIVRD": 2, "EXPIRED": 3, "UNDELIV": 5, "REJECTD": 8}
            fields = {
                "receipted_message_id": message.message_id,
                "message_state": states.get(stat, 7),
            }
        pdu = smpp_pdu.make_pdu(
            "deliver_sm",
            client=self.seq,
            service_type="",
            source_addr_ton=1,
            source_addr_npi=1,
            source_addr=message.destination,
            dest_addr_ton=message.source_ton,
            dest_addr_npi=message.source_npi,
            destination_addr=message.source_addr,
            esm_class=0x04,
            data_coding=0,
            short_message=text.encode("ascii"),
            **fields,
        )
        conn.send(pdu)
