"""What channels report after sending: delivery receipts and replies from phones (STOP).

`record_receipt` and `record_inbound` are services (they flush, never commit): the gateway
callback route calls them in its request's transaction. `OutboxSink` is the `Sink` that
adapters with their own connection (SMPP) are built with: each report in its own
transaction, and a receipt that arrives before its send was recorded is kept until the
worker records it (`take`).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime

from anyascii import anyascii
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from epitrace.accounts import phone as phone_numbers
from epitrace.alerts import service as alert_service
from epitrace.alerts.dispatch import EarlyReceipts
from epitrace.alerts.models import Channel, InboundSms, OutboxMessage, Status
from epitrace.db import Database, utcnow
from epitrace.errors import DomainError

log = logging.getLogger("epitrace.alerts.receipts")

# Replies, compared without diacritics and case: "Hủy", "TU CHOI", "stop".
OPT_OUT_WORDS = ("STOP", "HUY", "TU CHOI", "TUCHOI")
OPT_IN_WORDS = ("START",)
EARLY_RECEIPT_SECONDS = 300.0


def record_receipt(
    session: Session,
    *,
    channel: Channel,
    provider_ref: str,
    delivered: bool,
    reason: str = "",
    now: datetime | None = None,
) -> bool:
    """Apply a delivery receipt to the row sent under `provider_ref`; False if none is known.

    Only a `sent` row changes: a receipt repeated, or one for a row already final, changes
    nothing (but is known, so True).
    """
    now = now or utcnow()
    match = (OutboxMessage.channel == channel.value, OutboxMessage.provider_ref == provider_ref)
    if delivered:
        values = {"status": Status.DELIVERED.value, "delivered_at": now, "lease_until": None}
    else:
        values = {
            "status": Status.FAILED.value,
            "failed_at": now,
            "lease_until": None,
            "dead_reason": f"receipt: {reason or 'undelivered'}"[:300],
        }
    changed = session.execute(
        update(OutboxMessage)
        .where(*match, OutboxMessage.status == Status.SENT.value)
        .values(**values)
    )
    if changed.rowcount:  # type: ignore[attr-defined]
        return True
    return session.scalars(select(OutboxMessage.id).where(*match).limit(1)).first() is not None


def _keyword(text: str) -> str:
    return " ".join(anyascii(text).upper().split())


def classify(text: str) -> str:
    """ "opt_out", "opt_in" or "ignored" for a reply's text."""
    words = _keyword(text)
    if any(words == w or words.startswith(w + " ") for w in OPT_OUT_WORDS):
        return "opt_out"
    if any(words == w or words.startswith(w + " ") for w in OPT_IN_WORDS):
        return "opt_in"
    return "ignored"


def record_inbound(session: Session, *, phone: str, text: str) -> str:
    """Store a reply and act on STOP / HUY / TU CHOI (opt out) or START (opt back in)."""
    action = classify(text)
    try:
        canonical = phone_numbers.normalise(phone)
    except DomainError:
        canonical, action = phone.strip()[:20], "ignored"
    if action == "opt_out":
        alert_service.opt_out(session, phone=canonical, source="stop")
    elif action == "opt_in":
        alert_service.clear_opt_out(session, phone=canonical)
    session.add(InboundSms(phone=canonical, text=text[:2000], action=action))
    session.flush()
    return action


class OutboxSink(EarlyReceipts):
    """The `Sink` of adapters: writes receipts and replies, each in its own transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._early: dict[tuple[Channel, str], tuple[bool, str, float]] = {}
        self._lock = threading.Lock()

    def receipt(self, channel: Channel, provider_ref: str, *, delivered: bool, reason: str) -> None:
        with self.db.session_scope() as session:
            known = record_receipt(
                session,
                channel=channel,
                provider_ref=provider_ref,
                delivered=delivered,
                reason=reason,
            )
        if not known:
            with self._lock:
                self._forget_old()
                self._early[(channel, provider_ref)] = (delivered, reason, time.monotonic())

    def inbound(self, channel: Channel, phone: str, text: str) -> None:
        with self.db.session_scope() as session:
            record_inbound(session, phone=phone, text=text)

    def take(self, channel: Channel, provider_ref: str) -> tuple[bool, str] | None:
        with self._lock:
            found = self._early.pop((channel, provider_ref), None)
        return None if found is None else (found[0], found[1])

    def _forget_old(self) -> None:
        limit = time.monotonic() - EARLY_RECEIPT_SECONDS
        for key in [k for k, v in self._early.items() if v[2] < limit]:
            log.warning("receipt for unknown %s message %s dropped", key[0].value, key[1])
            del self._early[key]
