"""Cases, tests, quarantine orders, follow-up and breaches: every rule of the cases domain.

Functions take the session keyword-first, `flush()` and never commit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epitrace.cases.models import Case, CaseStatus, QuarantineOrder, QuarantineStatus
from epitrace.db import utcnow
from epitrace.tracing import policy_store
from epitrace.tracing.models import ContactLink


@dataclass(frozen=True)
class StatusFacts:
    """What the cases and tracing domains know about a person, for the pass colour."""

    is_case: bool
    contact_level: int | None  # 1 (F1) or 2 (F2) within the policy's contact period
    in_quarantine: bool
    recovered_at: datetime | None


def get_status_facts(
    session: Session, *, person_id: uuid.UUID, as_of: datetime | None = None
) -> StatusFacts:
    """The facts that decide a person's declaration colour (red: case or quarantine...)."""
    now = as_of or utcnow()
    is_case = bool(
        session.scalar(
            select(func.count())
            .select_from(Case)
            .where(Case.person_id == person_id, Case.status == CaseStatus.ACTIVE)
        )
    )
    recovered_at = session.scalar(
        select(func.max(Case.recovered_at)).where(
            Case.person_id == person_id, Case.status == CaseStatus.RECOVERED
        )
    )
    in_quarantine = bool(
        session.scalar(
            select(func.count())
            .select_from(QuarantineOrder)
            .where(
                QuarantineOrder.person_id == person_id,
                QuarantineOrder.status == QuarantineStatus.ACTIVE,
                QuarantineOrder.starts_at <= now,
                QuarantineOrder.ends_at > now,
            )
        )
    )
    days = policy_store.current_days(session)
    level = session.scalar(
        select(func.min(ContactLink.level)).where(
            ContactLink.person_id == person_id,
            ContactLink.exposed_at > now - timedelta(days=days),
        )
    )
    return StatusFacts(
        is_case=is_case,
        contact_level=int(level) if level is not None else None,
        in_quarantine=in_quarantine,
        recovered_at=recovered_at,
    )
