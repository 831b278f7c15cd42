"""Reminding people whose health declaration has lapsed, once per lapse, in their own window."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from epitrace.accounts.models import Person
from epitrace.alerts import service as alert_service
from epitrace.alerts.models import Channel
from epitrace.alerts.service import Recipient
from epitrace.declarations import service as declaration_service
from epitrace.declarations import status

# A lapse older than this is not reminded any more (the person chose not to declare again).
REMIND_WITHIN = timedelta(days=3)
BATCH = 2_000


def queue_declaration_reminders(session: Session, *, now: datetime) -> int:
    """One reminder per person and lapse (keyed by the date of their last declaration).

    A dependent without a phone is reminded through their guardian (alerts resolve it).
    Returns the messages queued; running again queues nothing new.
    """
    queued = 0
    cursor = now - REMIND_WITHIN
    while True:
        expired = declaration_service.get_expired(
            session, now=now, limit=BATCH, lapsed_after=cursor
        )
        queued += _remind(session, expired, now=now)
        if len(expired) < BATCH:
            return queued
        # the next batch starts where this one ended (ties are de-duplicated by the outbox)
        following = expired[-1].last_declared_at + status.DECLARATION_VALID_FOR
        if following <= cursor:
            return queued
        cursor = following


def _remind(
    session: Session, expired: list[declaration_service.ExpiredDeclaration], *, now: datetime
) -> int:
    if not expired:
        return 0
    names = dict(
        session.execute(
            select(Person.id, Person.full_name).where(Person.id.in_([e.person_id for e in expired]))
        ).all()
    )
    queued = 0
    for item in expired:
        result = alert_service.enqueue(
            session,
            recipients=[Recipient.person(item.person_id)],
            template="declaration_reminder",
            params={"name": names.get(item.person_id, ""), "last": item.last_declared_at},
            channels=(Channel.PUSH, Channel.SMS),
            dedup_key=f"declaration:{item.person_id.hex}:{item.last_declared_at.date()}",
            in_reminder_window=True,
            now=now,
        )
        queued += result.created
    return queued
