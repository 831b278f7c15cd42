"""Scheduled check-in work: end forgotten presences, keep the day partitions of presences
(PostgreSQL), delete presences past the retention window."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from epitrace.cases import service as case_service
from epitrace.checkins import partitions
from epitrace.checkins import service as checkin_service
from epitrace.checkins.models import ManualVisitor, Presence, ScanReceipt
from epitrace.config import Settings
from epitrace.db import utcnow
from epitrace.jobs import Job


def close_expired(session: Session, settings: Settings) -> int:
    """Presences nobody closed end at entry + their category's dwell time."""
    return checkin_service.close_all_expired(session, now=utcnow())


def keep_partitions(session: Session, settings: Settings) -> str:
    """Day partitions made a week ahead (and for every day of the retention window); those of
    days wholly past retention detached, with what named their presences, and dropped at the
    next run. SQLite: nothing."""
    upkeep = partitions.upkeep(
        session,
        now=utcnow(),
        retention_days=settings.retention_days,
        unlink=case_service.delete_breaches_of,
    )
    return str(upkeep)


def purge_old(session: Session, settings: Settings) -> int:
    """Delete presences (and scan receipts, unreferenced manual visitors) older than retention.

    On PostgreSQL the whole days go as partitions (`keep_partitions`, first); the row DELETE
    then prunes to the day the cutoff falls in and the default partition. A quarantine breach
    goes with its presence and a scan receipt loses its link (no foreign key does it)."""
    cutoff = utcnow() - timedelta(days=settings.retention_days)
    keep_partitions(session, settings)
    gone = partitions.presence_ids_before(cutoff)
    case_service.delete_breaches_of(session, gone, cutoff)
    removed = 0
    for stmt in (
        delete(ScanReceipt).where(ScanReceipt.scanned_at < cutoff),
        update(ScanReceipt).where(ScanReceipt.presence_id.in_(gone)).values(presence_id=None),
        delete(Presence).where(Presence.entered_at < cutoff),
        delete(ManualVisitor).where(
            ManualVisitor.created_at < cutoff,
            ManualVisitor.id.not_in(
                select(Presence.manual_visitor_id).where(Presence.manual_visitor_id.is_not(None))
            ),
        ),
    ):
        result = session.execute(stmt.execution_options(synchronize_session=False))
        if stmt.is_delete:
            removed += int(getattr(result, "rowcount", 0) or 0)
    return removed


JOBS = [
    Job("checkins.close_expired", 300, close_expired),
    Job("checkins.partitions", 3600, keep_partitions),
    Job("checkins.purge_old", 3600, purge_old),
]
