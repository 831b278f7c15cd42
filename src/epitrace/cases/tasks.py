"""Scheduled job: find quarantine breaches among recent presences (independent of timing)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from epitrace.cases import service as case_service
from epitrace.config import Settings
from epitrace.db import utcnow
from epitrace.jobs import Job


def scan_breaches(session: Session, settings: Settings) -> int:
    """Check the last two hours of presences; overlapping runs find nothing twice."""
    return case_service.scan_breaches(session, since=utcnow() - timedelta(hours=2))


JOBS = [Job("cases.scan_breaches", 600, scan_breaches)]
