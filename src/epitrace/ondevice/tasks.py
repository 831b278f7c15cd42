"""Scheduled work of on-device mode: expired hotspot notices leave the public list's table."""

from __future__ import annotations

from sqlalchemy.orm import Session

from epitrace.config import Settings
from epitrace.db import utcnow
from epitrace.jobs import Job
from epitrace.ondevice import service


def purge_notices(session: Session, settings: Settings) -> int:
    """Delete hotspot notices past their expiry (the retention period after their window)."""
    return service.purge_expired(session, now=utcnow())


JOBS = [Job("ondevice.purge_notices", 3600, purge_notices)]
