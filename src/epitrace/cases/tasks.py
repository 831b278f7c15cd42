"""Scheduled jobs: quarantine breaches among recent presences, and daily symptom reminders."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from epitrace.cases import flows as case_flows
from epitrace.cases import service as case_service
from epitrace.config import Settings
from epitrace.db import utcnow
from epitrace.jobs import Job


def scan_breaches(session: Session, settings: Settings) -> int:
    """Check the last two hours of presences; overlapping runs find nothing twice."""
    return case_service.scan_breaches(session, since=utcnow() - timedelta(hours=2))


def symptom_reminders(session: Session, settings: Settings) -> int:
    """Queue today's reminders for people under quarantine who have not reported."""
    return case_flows.queue_symptom_reminders(session, now=utcnow())


JOBS = [
    Job("cases.scan_breaches", 600, scan_breaches),
    Job("cases.symptom_reminders", 900, symptom_reminders),
]
