"""`alerts.purge`: messages and SMS replies go EPITRACE_ALERTS_RETENTION_DAYS after they were
made — once final; a message still waiting only once it is that long past its expiry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from sqlalchemy import select

from epitrace.alerts import tasks
from epitrace.alerts.models import (
    Campaign,
    CampaignPhone,
    CampaignStatus,
    InboundSms,
    OutboxMessage,
    Status,
)
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


def _campaign(status: CampaignStatus) -> Campaign:
    return Campaign(
        name="Vận động cài đặt",
        text_vi="Hãy cài đặt ứng dụng.",
        channel="sms",
        area_code="79",
        audience_kind="phones",
        starts_at=utcnow(),
        status=status.value,
    )


def test_old_final_messages_replies_and_lists_go_waiting_ones_stay(
    db: Database, settings: Settings, places: Any
) -> None:
    settings = settings.model_copy(update={"alerts_retention_days": 30})
    with db.session_scope() as s:
        finished = _campaign(CampaignStatus.FINISHED)
        running = _campaign(CampaignStatus.RUNNING)
        s.add_all([finished, running])
        s.flush()
        s.add_all(
            [
                CampaignPhone(campaign_id=finished.id, phone="+84912000011"),
                CampaignPhone(campaign_id=finished.id, phone="+84912000012"),
                CampaignPhone(campaign_id=running.id, phone="+84912000013"),
                _message(Status.DELIVERED, "delivered", expires_in=timedelta(days=3)),
                _message(Status.FAILED, "failed", expires_in=timedelta(days=3)),
                _message(Status.SENT, "sent", expires_in=timedelta(days=3)),
                # waiting for a channel for a long time: kept until 30 days past its expiry
                _message(Status.QUEUED, "late", expires_in=timedelta(days=10)),
                InboundSms(phone="+84912000001", text="STOP", action="opt_out"),
            ]
        )
    with time_machine.travel(utcnow() + timedelta(days=29), tick=False), db.session_scope() as s:
        assert tasks.purge(s, settings) == "0 messages, 0 replies and 0 uploaded numbers deleted"
    with time_machine.travel(utcnow() + timedelta(days=31), tick=False), db.session_scope() as s:
        assert tasks.purge(s, settings) == "3 messages, 1 replies and 2 uploaded numbers deleted"
        left = s.scalars(select(OutboxMessage.group_key)).all()
        assert left == ["purge:late"]
        # a running campaign keeps its list
        assert s.scalars(select(CampaignPhone.phone)).all() == ["+84912000013"]
    with time_machine.travel(utcnow() + timedelta(days=41), tick=False), db.session_scope() as s:
        assert tasks.purge(s, settings) == "1 messages, 0 replies and 0 uploaded numbers deleted"
