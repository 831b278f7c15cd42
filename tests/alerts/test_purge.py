"""`alerts.purge`: messages and SMS replies go EPITRACE_ALERTS_RETENTION_DAYS after they were
made — once final; a message still waiting only once it is that long past its expiry."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from sqlalchemy import select

from epitrace.alerts import tasks
from epitrace.alerts.models import InboundSms, OutboxMessage, Status
from epitrace.config import Settings
from epitrace.db import Database, utcnow


def _message(status: Status, key: str, *, expires_in: timedelta) -> OutboxMessage:
    now = utcnow()
    return OutboxMessage(
        kind="test",
        template="test",
        group_key=f"purge:{key}",
        recipient_key="tel:+84912000001",
        phone="+84912000001",
        channel="sms",
        status=status.value,
        created_at=now,
        expires_at=now + expires_in,
    )


def test_old_final_messages_and_replies_go_waiting_ones_stay(
    db: Database, settings: Settings
) -> None:
    settings = settings.model_copy(update={"alerts_retention_days": 30})
    with db.session_scope() as s:
        s.add_all(
            [
                _message(Status.DELIVERED, "delivered", expires_in=timedelta(days=3)),
                _message(Status.FAILED, "failed", expires_in=timedelta(days=3)),
                _message(Status.SENT, "sent", expires_in=timedelta(days=3)),
                # waiting for a channel for a long time: kept until 30 days past its expiry
                _message(Status.QUEUED, "late", expires_in=timedelta(days=10)),
                InboundSms(phone="+84912000001", text="STOP", action="opt_out"),
            ]
        )
    with time_machine.travel(utcnow() + timedelta(days=29), tick=False), db.session_scope() as s:
        assert tasks.purge(s, settings) == "0 messages and 0 replies deleted"
    with time_machine.travel(utcnow() + timedelta(days=31), tick=False), db.session_scope() as s:
        assert tasks.purge(s, settings) == "3 messages and 1 replies deleted"
        left = s.scalars(select(OutboxMessage.group_key)).all()
        assert left == ["purge:late"]
    with time_machine.travel(utcnow() + timedelta(days=41), tick=False), db.session_scope() as s:
        assert tasks.purge(s, settings) == "1 messages and 0 replies deleted"
