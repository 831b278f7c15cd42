"""Periodic clean-up of security records: old rate-limit windows, expired tokens and codes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from epitrace.accounts.models import OtpChallenge
from epitrace.config import Settings
from epitrace.db import utcnow
from epitrace.jobs import Job
from epitrace.security import ratelimit
from epitrace.security.models import ApiToken


def purge_expired(session: Session, settings: Settings) -> int:
    """Delete rate-limit windows older than a day and tokens/codes expired over a day ago."""
    cutoff = utcnow() - timedelta(days=1)
    removed = ratelimit.purge(session, older_than_seconds=86400)
    for stmt in (
        delete(ApiToken).where(ApiToken.expires_at < cutoff),
        delete(OtpChallenge).where(OtpChallenge.expires_at < cutoff),
    ):
        removed += int(getattr(session.execute(stmt), "rowcount", 0) or 0)
    return removed


JOBS = [Job("security.purge_expired", 3600, purge_expired)]
