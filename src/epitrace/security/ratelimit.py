"""Fixed-window rate limits stored in the database, so every server process shares them."""

from __future__ import annotations

import time

from sqlalchemy import Connection, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from epitrace.db import end_read_only_transaction
from epitrace.errors import N_, TooManyRequests
from epitrace.security.models import RateCounter


def hit(session: Session, *, key: str, limit: int, window_seconds: int) -> int:
    """Count one event for `key`; raise TooManyRequests once `limit` is passed in the window."""
    now = int(time.time())
    window = now - now % window_seconds
    bind = session.get_bind()
    engine = bind.engine if isinstance(bind, Connection) else bind
    insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    values = insert(RateCounter).values(key=key[:200], window_start=window, count=1)
    stmt = values.on_conflict_do_update(
        index_elements=["key", "window_start"], set_={"count": RateCounter.count + 1}
    ).returning(RateCounter.count)
    # The count commits on its own so that a refused request still counts.
    end_read_only_transaction(session)
    with Session(engine) as counter_session, counter_session.begin():
        count = int(counter_session.execute(stmt).scalar_one())
    if count > limit:
        raise TooManyRequests(
            N_("Too many attempts. Please wait %(seconds)s seconds and try again."),
            params={"seconds": window + window_seconds - now},
            retry_after=window + window_seconds - now,
        )
    return count


def hit_many(session: Session, *, keys: list[str], limit: int, window_seconds: int) -> None:
    """`hit` for several keys (e.g. an account and a device) in one short transaction."""
    now = int(time.time())
    window = now - now % window_seconds
    bind = session.get_bind()
    engine = bind.engine if isinstance(bind, Connection) else bind
    insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    counts = []
    end_read_only_transaction(session)
    with Session(engine) as counter_session, counter_session.begin():
        for key in keys:
            values = insert(RateCounter).values(key=key[:200], window_start=window, count=1)
            stmt = values.on_conflict_do_update(
                index_elements=["key", "window_start"], set_={"count": RateCounter.count + 1}
            ).returning(RateCounter.count)
            counts.append(int(counter_session.execute(stmt).scalar_one()))
    if any(count > limit for count in counts):
        raise TooManyRequests(
            N_("Too many attempts. Please wait %(seconds)s seconds and try again."),
            params={"seconds": window + window_seconds - now},
            retry_after=window + window_seconds - now,
        )


def purge(session: Session, *, older_than_seconds: int = 86400) -> int:
    cutoff = int(time.time()) - older_than_seconds
    result = session.execute(delete(RateCounter).where(RateCounter.window_start < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
