"""Fixed-window rate limits shared by every server process.

`hit` / `hit_many` / `hit_in_order` count attempts outside the request's transaction (a
refused attempt still counts): in Redis when `EPITRACE_REDIS_URL` is set (one round trip,
no database write), else in the database on their own connection and commit. `consume`
takes a share of a daily budget inside the request's transaction (always the database), so
a request that fails gives its share back and two requests of one account take turns.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import redis
from sqlalchemy import Connection, delete, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningInsert

from epitrace import localtime
from epitrace.db import end_read_only_transaction
from epitrace.errors import N_, TooManyRequests
from epitrace.security.models import RateCounter

TOO_MANY = N_("Too many attempts. Please wait %(seconds)s seconds and try again.")


log = logging.getLogger(__name__)
_backend: dict[str, Any] = {}  # "redis": the client and "prefix" of its keys, when configured


def configure(redis_url: str, *, prefix: str = "epitrace") -> None:
    """Count `hit`s in Redis at this URL ('' = in the database). Called at start-up."""
    old = _backend.pop("redis", None)
    if old is not None:
        old.close()
    if redis_url:
        # short timeouts: a Redis that stops answering costs a request half a second, then
        # the counting falls back to the database
        _backend["redis"] = redis.Redis.from_url(
            redis_url, socket_timeout=0.5, socket_connect_timeout=0.5
        )
        _backend["prefix"] = prefix


def _count_in_redis(
    client: redis.Redis,
    budgets: Sequence[tuple[str, int]],
    window: int,
    window_seconds: int,
    in_order: bool,
) -> bool:
    refused = False
    for key, limit in budgets:
        name = f"{_backend['prefix']}:rate:{key[:200]}:{window}"
        pipe = client.pipeline(transaction=False)
        pipe.incr(name)
        pipe.expire(name, window_seconds + 60, nx=True)
        if int(pipe.execute()[0]) > limit:
            refused = True
            if in_order:
                break
    return refused


def _count(
    session: Session,
    budgets: Sequence[tuple[str, int]],
    window: int,
    window_seconds: int,
    *,
    in_order: bool = True,
) -> bool:
    """Count one event against each budget — narrowest first, stopping at the first refusal
    when `in_order`, else against all of them; whether one refused."""
    client = _backend.get("redis")
    if client is not None:
        try:
            return _count_in_redis(client, budgets, window, window_seconds, in_order)
        except redis.RedisError:
            # counting goes on in the database rather than letting every request through
            log.warning("Redis unreachable for rate limits; counting in the database")
    bind = session.get_bind()
    engine = bind.engine if isinstance(bind, Connection) else bind
    end_read_only_transaction(session)
    refused = False
    with Session(engine) as counter_session, counter_session.begin():
        for key, limit in budgets:
            count = int(counter_session.execute(_add(session, key, window, 1)).scalar_one())
            if count > limit:
                refused = True
                if in_order:
                    break
    return refused


def _add(session: Session, key: str, window_start: int, amount: int) -> ReturningInsert[Any]:
    """Add `amount` to a counter (created at `amount`), returning the new count."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    values = insert(RateCounter).values(key=key[:200], window_start=window_start, count=amount)
    return values.on_conflict_do_update(
        index_elements=["key", "window_start"], set_={"count": RateCounter.count + amount}
    ).returning(RateCounter.count)


def _refuse(window: int, window_seconds: int, now: int) -> TooManyRequests:
    return TooManyRequests(
        TOO_MANY,
        params={"seconds": window + window_seconds - now},
        retry_after=window + window_seconds - now,
    )


def hit(session: Session, *, key: str, limit: int, window_seconds: int) -> None:
    """Count one event for `key`; raise TooManyRequests once `limit` is passed in the window."""
    hit_in_order(session, budgets=[(key, limit)], window_seconds=window_seconds)


def hit_many(session: Session, *, keys: list[str], limit: int, window_seconds: int) -> None:
    """`hit` for several keys (e.g. an account and a device) at once; every key counts."""
    now = int(time.time())
    window = now - now % window_seconds
    budgets = [(key, limit) for key in keys]
    if _count(session, budgets, window, window_seconds, in_order=False):
        raise _refuse(window, window_seconds, now)


def hit_in_order(
    session: Session, *, budgets: Sequence[tuple[str, int]], window_seconds: int
) -> None:
    """Count one event against several budgets, narrowest first.

    An event refused by a budget is not counted against the broader ones after it: a stranger
    who exhausts the budget of (number, own address) has not spent the number's own budget.
    """
    now = int(time.time())
    window = now - now % window_seconds
    if _count(session, budgets, window, window_seconds):
        raise _refuse(window, window_seconds, now)


def local_day_window(now: datetime | None = None) -> tuple[int, int]:
    """[start, end) of the local day (EPITRACE_TIME_ZONE) in Unix seconds: daily budgets reset
    at local midnight, when a citizen's "today" begins."""
    start, end = localtime.day_bounds(localtime.today(now))
    return int(start.timestamp()), int(end.timestamp())


def check_daily_quota(
    *,
    used: int,
    limit: int,
    message: str,
    now: datetime,
    fields: dict[str, str] | None = None,
) -> None:
    """Refuse (429 until local midnight) when `used` rows of today already reach `limit`.

    Quotas count the rows the request's own transaction sees (feedback, declarations).
    """
    if used < limit:
        return
    raise TooManyRequests(
        message,
        params={"limit": limit},
        retry_after=local_day_window(now)[1] - int(now.timestamp()),
        fields=fields,
        code="daily_limit",
    )


def consume(session: Session, *, key: str, amount: int, limit: int, window: tuple[int, int]) -> int:
    """Take up to `amount` units of `key`'s budget in the request's transaction; how many.

    The counter is written by the request itself, so a request that fails takes nothing.
    On PostgreSQL the counter row stays locked until the request ends, so concurrent requests
    of one key queue instead of both spending the same remainder.
    """
    if amount <= 0:
        return 0
    count = int(session.execute(_add(session, key, window[0], amount)).scalar_one())
    granted = max(0, min(amount, limit - (count - amount)))
    if granted < amount:
        give_back(session, key=key, amount=amount - granted, window=window)
    return granted


def give_back(session: Session, *, key: str, amount: int, window: tuple[int, int]) -> None:
    """Return units taken by `consume` that were not used (same transaction)."""
    if amount <= 0:
        return
    session.execute(
        update(RateCounter)
        .where(RateCounter.key == key[:200], RateCounter.window_start == window[0])
        .values(count=RateCounter.count - amount)
    )


def purge(session: Session, *, older_than_seconds: int = 86400) -> int:
    cutoff = int(time.time()) - older_than_seconds
    result = session.execute(delete(RateCounter).where(RateCounter.window_start < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
