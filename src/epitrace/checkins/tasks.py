"""Scheduled check-in work: end forgotten presences, delete presences past the retention window."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from epitrace.checkins import service as checkin_service
from epitrace.checkins.models import ManualVisitor, Presence, ScanReceipt
from epitrace.config import Settings
from epitrace.db import utcnow
from epitrace.jobs import Job


def close_expired(session: Session, settings: Settings) -> int:
    """Presences nobody closed end at entry + their category's dwell time."""
    return checkin_service.close_all_expired(session, now=utcnow())


def purge_old(session: Session, settings: Settings) -> int:
    """Delete presences (and scan receipts, unreferenced manual visitors) older than retention."""
    cutoff = utcnow() - timedelta(days=settings.retention_days)
    removed = 0
    for stmt in (
        delete(ScanReceipt).where(ScanReceipt.scanned_at < cutoff),
        delete(Presence).where(Presence.entered_at < cutoff),
        delete(ManualVisitor).where(
            ManualVisitor.created_at < cutoff,
            ManualVisitor.id.not_in(
                select(Presence.manual_visitor_id).where(Presence.manual_visitor_id.is_not(None))
            ),
        ),
    ):
        removed += int(getattr(session.execute(stmt), "rowcount", 0) or 0)
    return removed


JOBS = [
    Job("checkins.close_expired", 300, close_expired),
    Job("checkins.purge_old", 3600, purge_old),
]
