"""Periodic clean-up of security records: old rate-limit windows, expired tokens, codes and
browser sessions."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from epitrace.accounts import sessions as web_sessions
from epitrace.accounts.models import OtpChallenge
from epitrace.config import Settings
from epitrace.db import utcnow
from epitrace.jobs import Job
from epitrace.security import flows, ratelimit
from epitrace.security.models import ApiToken


def purge_expired(session: Session, settings: Settings) -> int:
    """Delete rate-limit windows older than a day, tokens/codes expired over a day ago and
    browser sessions past their absolute or idle timeout."""
    cutoff = utcnow() - timedelta(days=1)
    removed = ratelimit.purge(session, older_than_seconds=86400)
    removed += web_sessions.purge(session, timeouts=web_sessions.timeouts_of(settings))
    for stmt in (
        delete(ApiToken).where(ApiToken.expires_at < cutoff),
        delete(OtpChallenge).where(OtpChallenge.expires_at < cutoff),
    ):
        removed += int(getattr(session.execute(stmt), "rowcount", 0) or 0)
    return removed


def access_flags(session: Session, settings: Settings) -> str:
    """Flag unusual access to named people in the last completed windows (docs/privacy.md)."""
    found = flows.flag_unusual_access(session, settings, now=utcnow())
    return f"{found} flags"


JOBS = [
    Job("security.purge_expired", 3600, purge_expired),
    Job("security.access_flags", 600, access_flags),
]
