"""Escrow jobs: approved openings are opened and traced, openings not approved in time expire
(their waiting share is erased), and the public keys of days past the retention period go."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from epitrace import localtime
from epitrace.config import Settings
from epitrace.db import utcnow
from epitrace.escrow import service as escrow_service
from epitrace.escrow.models import OpeningStatus
from epitrace.jobs import Job


def open_approved(session: Session, settings: Settings) -> str:
    """Every minute: the oldest approved opening opened, traced and its identities discarded
    (one a run: an opening of a province's days takes minutes)."""
    opening = escrow_service.open_next_approved(session, secret=settings.secret_key().encode())
    if opening is None:
        return "none waiting"
    if opening.status is not OpeningStatus.TRACED:
        return f"opening {opening.id}: its shares cannot be read; waiting for shares again"
    return f"opening {opening.id}: {opening.opened_presences} presences opened and traced"


def expire_openings(session: Session, settings: Settings) -> int:
    return escrow_service.expire(session, now=utcnow())


def purge_keys(session: Session, settings: Settings) -> int:
    """Day keys older than every presence kept (one day of margin for presences at midnight)."""
    before = localtime.today() - timedelta(days=settings.retention_days + 1)
    return escrow_service.purge_keys(session, before=before)


JOBS = [
    Job("escrow.open_approved", 60, open_approved),
    Job("escrow.expire_openings", 600, expire_openings),
    Job("escrow.purge_keys", 86400, purge_keys),
]
