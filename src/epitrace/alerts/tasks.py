"""Scheduled job of the alerts domain: queue the campaigns' occurrences that fell due."""

from __future__ import annotations

from sqlalchemy.orm import Session

from epitrace.alerts import campaigns
from epitrace.config import Settings
from epitrace.db import utcnow
from epitrace.jobs import Job


def campaigns_due(session: Session, settings: Settings) -> str:
    """Every minute: each due occurrence is queued once (the row is marked in the same
    transaction and the dedup key `campaign:<id>:<n>` protects a second run)."""
    return f"{campaigns.run_due(session, now=utcnow())} occurrences queued"


JOBS = [Job("alerts.campaigns", 60, campaigns_due)]
