"""Stories that start with a case or a quarantine order and reach people through the outbox.

- `order_quarantine`: the order, its audit entry and the message that tells the person, in
  one transaction.
- `queue_symptom_reminders`: each day, people under an active order who have not reported
  are reminded in their own reminder window; a report cancels the reminder still waiting,
  and reminders stop with the order.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta

from sqlalchemy.orm import Session

from epitrace import localtime
from epitrace.accounts.models import Person
from epitrace.alerts import service as alert_service
from epitrace.alerts.models import Channel
from epitrace.alerts.service import Recipient
from epitrace.cases import service as case_service
from epitrace.cases.models import FollowUp, FollowUpOutcome, QuarantineKind, QuarantineOrder
from epitrace.security import audit
from epitrace.security.permissions import Principal

REMINDER_CHANNELS = (Channel.PUSH, Channel.SMS)


def order_quarantine(
    session: Session,
    *,
    actor: Principal,
    person: Person,
    reason: str,
    kind: QuarantineKind,
    ward_code: str | None,
    starts_at: datetime,
    facility_name: str = "",
    case_id: uuid.UUID | None = None,
) -> QuarantineOrder:
    """Issue the order and tell the person (or the guardian of a dependent without a phone)."""
    order = case_service.issue_order(
        session,
        person=person,
        reason=reason,
        kind=kind,
        ward_code=ward_code,
        starts_at=starts_at,
        facility_name=facility_name,
        case_id=case_id,
        created_by=actor.user_id,
    )
    audit.record(
        session, actor=actor, action="create", subject_type="quarantine_order", subject_id=person.id
    )
    facility = kind is QuarantineKind.FACILITY
    alert_service.enqueue(
        session,
        recipients=[Recipient.person(person.id)],
        template="quarantine_ordered_facility" if facility else "quarantine_ordered",
        params={
            **({"facility": order.facility_name} if facility else {}),
            "start": order.starts_at,
            "end": order.ends_at,
        },
        channels=REMINDER_CHANNELS,
        dedup_key=f"quarantine:{order.id.hex}",
    )
    return order


def _reminder_key(order: QuarantineOrder, day: date) -> str:
    return f"symptom:{order.id.hex}:{day}"


def queue_symptom_reminders(session: Session, *, now: datetime) -> int:
    """Remind today's non-reporters under an active order; returns messages queued.

    Run every few minutes: the dedup key (order and local day) makes a second run queue
    nothing. Each reminder waits for the person's own reminder window and expires at the end
    of their local day, so yesterday's reminder is never sent today.
    """
    orders = case_service.active_orders(session, area_paths=[None], now=now)
    due = case_service.not_reported_today(session, orders=orders, now=now)
    day = localtime.local_date(now)
    day_end = localtime.at_local(day + timedelta(days=1), time.min)
    queued = 0
    for order in due:
        result = alert_service.enqueue(
            session,
            recipients=[Recipient.person(order.person_id)],
            template="symptom_reminder",
            channels=REMINDER_CHANNELS,
            dedup_key=_reminder_key(order, day),
            in_reminder_window=True,
            expires_at=min(day_end, order.ends_at),
            now=now,
        )
        queued += result.created
    return queued


def report_health(
    session: Session,
    *,
    order: QuarantineOrder,
    source: str,
    outcome: FollowUpOutcome,
    at: datetime,
    temperature: float | None = None,
    symptoms: str = "",
    recorded_by: uuid.UUID | None = None,
) -> FollowUp:
    """Record today's follow-up and withdraw today's reminder if it is still waiting."""
    entry = case_service.record_follow_up(
        session,
        order=order,
        source=source,
        outcome=outcome,
        at=at,
        temperature=temperature,
        symptoms=symptoms,
        recorded_by=recorded_by,
    )
    if outcome is not FollowUpOutcome.MISSED:
        alert_service.cancel(
            session,
            dedup_key=_reminder_key(order, localtime.local_date(at)),
            recipient_key=alert_service.person_key(order.person_id),
        )
    return entry
