"""Helpers of the dispatch tests: a clock the test moves, rows queued by phone number, and
a worker built on the test's database."""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from epitrace.alerts import service as alert_service
from epitrace.alerts.channels import Adapter
from epitrace.alerts.dispatch import Dispatcher
from epitrace.alerts.models import Channel, OutboxMessage
from epitrace.alerts.service import Recipient
from epitrace.config import Settings
from epitrace.db import Database

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)  # 10:00 in Viet Nam: not quiet hours
QUIET = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)  # 23:00 in Viet Nam


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def phones(count: int, start: int = 0) -> list[str]:
    return [f"09120{start + i:05d}" for i in range(count)]


def queue(
    db: Database,
    count: int,
    *,
    channel: Channel = Channel.SMS,
    template: str = "test",
    params: Mapping[str, Any] | None = None,
    urgent: bool | None = None,
    ignore_opt_out: bool | None = None,
    now: datetime = NOW,
    expires_at: datetime | None = None,
    start: int = 0,
) -> list[uuid.UUID]:
    """`count` messages to distinct phone numbers (or e-mail addresses), committed."""
    if channel is Channel.EMAIL:
        recipients = [Recipient.email_address(f"user{start + i}@example.vn") for i in range(count)]
    else:
        recipients = [Recipient.phone_number(p) for p in phones(count, start)]
    with db.session_scope() as session:
        result = alert_service.enqueue(
            session,
            recipients=recipients,
            template=template,
            params=params,
            dedup_key=f"t:{uuid.uuid4()}",
            channels=[channel],
            urgent=urgent,
            ignore_opt_out=ignore_opt_out,
            now=now,
            expires_at=expires_at,
        )
    return result.keys


def rows(db: Database) -> list[OutboxMessage]:
    with db.sessionmaker() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def row(db: Database, key: uuid.UUID) -> OutboxMessage:
    with db.sessionmaker() as session:
        return session.scalars(select(OutboxMessage).where(OutboxMessage.key == key)).one()


def worker(
    db: Database,
    settings: Settings,
    adapters: Sequence[Adapter],
    clock: Clock,
    *,
    name: str = "w1",
    **overrides: Any,
) -> Dispatcher:
    tuned = settings.model_copy(update=overrides) if overrides else settings
    return Dispatcher(
        db,
        tuned,
        {a.channel: a for a in adapters},
        name=name,
        clock=clock,
        rng=random.Random(7),
    )
