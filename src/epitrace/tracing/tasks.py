"""Retention of contact links: they go when the presences that prove them have gone."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from epitrace.config import Settings
from epitrace.db import utcnow
from epitrace.jobs import Job
from epitrace.tracing.models import ContactLink


def purge_links(session: Session, settings: Settings) -> int:
    """Delete links whose exposure ended before the presence retention period."""
    cutoff = utcnow() - timedelta(days=settings.retention_days)
    result = session.execute(delete(ContactLink).where(ContactLink.exposure_end < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)


JOBS = [Job("tracing.purge_links", 3600, purge_links)]
