"""The daily job that honours queued erasure requests once nothing holds them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from epitrace.config import Settings
from epitrace.db import utcnow
from epitrace.jobs import Job
from epitrace.mydata import flows

EVERY_SECONDS = 86400


def honour_erasures(session: Session, settings: Settings) -> int:
    return flows.honour_due(session, settings=settings, now=utcnow())


JOBS = [Job("mydata.honour_erasures", EVERY_SECONDS, honour_erasures)]
