"""Scheduled job: citizens' feedback and its photos leave after the retention period."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from epitrace.config import Settings
from epitrace.db import utcnow
from epitrace.feedback import service as feedback_service
from epitrace.feedback.models import Feedback
from epitrace.jobs import Job


def purge(session: Session, settings: Settings) -> str:
    """Delete feedback sent more than `feedback_retention_days` ago, with its photo file.

    Files go before their rows: if the transaction fails, the rows stay and name the files
    again at the next run (a file already gone is no error).
    """
    cutoff = utcnow() - timedelta(days=settings.feedback_retention_days)
    old = Feedback.created_at < cutoff
    for row in session.scalars(select(Feedback).where(old, Feedback.photo_file.is_not(None))):
        (settings.uploads_dir / feedback_service.FOLDER / str(row.photo_file)).unlink(
            missing_ok=True
        )
    gone = session.execute(delete(Feedback).where(old).execution_options(synchronize_session=False))
    return f"{int(getattr(gone, 'rowcount', 0) or 0)} reports"


JOBS = [Job("feedback.purge", 86400, purge)]
