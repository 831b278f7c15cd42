"""Browser sessions kept on the server: create on sign-in, look up, touch, end, list, purge.

The cookie carries a random id (256 bits); the table keeps only its SHA-256, so a copy of the
database does not hand out live sessions. Like every service, these functions flush and never
commit; the web layer's session middleware commits its own small writes (`epitrace.web.sessions`).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from epitrace.accounts.models import WebSession
from epitrace.config import Settings
from epitrace.db import utcnow

# last_seen_at is written at most this often per session (the idle timeout's resolution)
TOUCH_INTERVAL_SECONDS = 60
# a cookie value longer than this is not one of ours and is not even hashed
MAX_COOKIE_LENGTH = 100


def new_id() -> str:
    return secrets.token_urlsafe(32)


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


def hash_id(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class Timeouts:
    absolute_seconds: int
    idle_seconds: int


def timeouts_of(settings: Settings) -> Timeouts:
    return Timeouts(
        absolute_seconds=settings.session_max_age_seconds,
        idle_seconds=settings.session_idle_seconds,
    )


def is_live(row: WebSession, *, timeouts: Timeouts, now: datetime) -> bool:
    return (
        row.expires_at > now and row.last_seen_at + timedelta(seconds=timeouts.idle_seconds) > now
    )


def get_live(session: Session, *, raw: str, timeouts: Timeouts) -> WebSession | None:
    """The live session whose cookie value is `raw`, or None (unknown, ended or expired)."""
    if not raw or len(raw) > MAX_COOKIE_LENGTH:
        return None
    row = session.scalars(select(WebSession).where(WebSession.id_hash == hash_id(raw))).first()
    if row is None or not is_live(row, timeouts=timeouts, now=utcnow()):
        return None
    return row


def create(
    session: Session,
    *,
    raw: str,
    user_id: uuid.UUID | None,
    csrf_token: str,
    data: dict[str, Any],
    timeouts: Timeouts,
    user_agent: str | None,
    ip_address: str | None,
) -> WebSession:
    now = utcnow()
    row = WebSession(
        id_hash=hash_id(raw),
        user_id=user_id,
        csrf_token=csrf_token,
        data=data,
        user_agent=(user_agent or "")[:200] or None,
        ip_address=(ip_address or "")[:45] or None,
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(seconds=timeouts.absolute_seconds),
    )
    session.add(row)
    session.flush()
    return row


def save(session: Session, *, session_id: uuid.UUID, csrf_token: str, data: dict[str, Any]) -> bool:
    """Store the session's data and mark it seen now; False when the row is gone (ended)."""
    result = session.execute(
        update(WebSession)
        .where(WebSession.id == session_id)
        .values(csrf_token=csrf_token, data=data, last_seen_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def end(session: Session, *, session_id: uuid.UUID) -> None:
    """Sign one session out: its row goes, so its cookie no longer means anything."""
    session.execute(
        delete(WebSession)
        .where(WebSession.id == session_id)
        .execution_options(synchronize_session=False)
    )


def end_all(session: Session, *, user_id: uuid.UUID, except_id: uuid.UUID | None = None) -> int:
    """End every session of an account (but `except_id`); returns how many ended."""
    stmt = delete(WebSession).where(WebSession.user_id == user_id)
    if except_id is not None:
        stmt = stmt.where(WebSession.id != except_id)
    result = session.execute(stmt.execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def get_all_for(session: Session, *, user_id: uuid.UUID, timeouts: Timeouts) -> list[WebSession]:
    """The account's live sessions, most recently used first."""
    now = utcnow()
    rows = session.scalars(
        select(WebSession)
        .where(WebSession.user_id == user_id, WebSession.expires_at > now)
        .order_by(WebSession.last_seen_at.desc())
    )
    return [row for row in rows if is_live(row, timeouts=timeouts, now=now)]


def purge(session: Session, *, timeouts: Timeouts) -> int:
    """Delete the rows of sessions that have expired (absolute or idle timeout)."""
    now = utcnow()
    result = session.execute(
        delete(WebSession)
        .where(
            or_(
                WebSession.expires_at <= now,
                WebSession.last_seen_at <= now - timedelta(seconds=timeouts.idle_seconds),
            )
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
