"""Scheduled jobs: remind people whose health declaration has lapsed; delete old ones."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from epitrace.config import Settings
from epitrace.db import utcnow
from epitrace.declarations import flows as declaration_flows
from epitrace.declarations.models import Declaration, FollowUp
from epitrace.jobs import Job


def declaration_reminders(session: Session, settings: Settings) -> int:
    return declaration_flows.queue_declaration_reminders(session, now=utcnow())


def purge(session: Session, settings: Settings) -> str:
    """Delete declarations (and their follow-up notes) past `declaration_retention_days`.

    The rollout indicators counted them the night after they were made; a person's pass
    needs only a declaration of the last 7 days.
    """
    cutoff = utcnow() - timedelta(days=settings.declaration_retention_days)
    old = Declaration.submitted_at < cutoff
    session.execute(
        delete(FollowUp)
        .where(FollowUp.declaration_id.in_(select(Declaration.id).where(old)))
        .execution_options(synchronize_session=False)
    )
    gone = session.execute(
        delete(Declaration).where(old).execution_options(synchronize_session=False)
    )
    return f"{int(getattr(gone, 'rowcount', 0) or 0)} declarations"


JOBS = [
    Job("declarations.reminders", 3600, declaration_reminders),
    Job("declarations.purge", 86400, purge),
]
