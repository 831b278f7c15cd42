"""Rate-limit counting in the database and in Redis (EPITRACE_REDIS_URL): the same rules."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epitrace.errors import TooManyRequests
from epitrace.security import ratelimit
from epitrace.security.models import RateCounter

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(params=["database", "redis"])
def counter(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "redis":
        ratelimit.configure(REDIS_URL, prefix=f"test-{uuid.uuid4().hex}")
    yield str(request.param)
    ratelimit.configure("")


def _stored(session: Session, key: str) -> int:
    session.rollback()
    return int(session.scalar(select(func.count()).where(RateCounter.key == key)) or 0)


def test_a_limit_refuses_past_it_and_refusals_count(session: Session, counter: str) -> None:
    key = f"test-hit:{uuid.uuid4()}"
    for _ in range(3):
        ratelimit.hit(session, key=key, limit=3, window_seconds=3600)
    for _ in range(2):
        with pytest.raises(TooManyRequests) as refused:
            ratelimit.hit(session, key=key, limit=3, window_seconds=3600)
        assert 0 < refused.value.retry_after <= 3600
    # counted in Redis, the database holds nothing; and the other way round
    assert _stored(session, key) == (0 if counter == "redis" else 1)


def test_every_key_of_hit_many_counts(session: Session, counter: str) -> None:
    account, device = f"test-account:{uuid.uuid4()}", f"test-device:{uuid.uuid4()}"
    other = f"test-account:{uuid.uuid4()}"
    ratelimit.hit_many(session, keys=[account, device], limit=2, window_seconds=60)
    ratelimit.hit_many(session, keys=[other, device], limit=2, window_seconds=60)
    # the device has had its two: a third account on it is refused
    with pytest.raises(TooManyRequests):
        ratelimit.hit_many(
            session, keys=[f"test-account:{uuid.uuid4()}", device], limit=2, window_seconds=60
        )


def test_a_narrow_refusal_spares_the_broad_budget(session: Session, counter: str) -> None:
    narrow, broad = f"test-narrow:{uuid.uuid4()}", f"test-broad:{uuid.uuid4()}"
    budgets = [(narrow, 1), (broad, 2)]
    ratelimit.hit_in_order(session, budgets=budgets, window_seconds=3600)
    for _ in range(4):
        with pytest.raises(TooManyRequests):
            ratelimit.hit_in_order(session, budgets=budgets, window_seconds=3600)
    # the broad budget was spent once: another narrow key still gets through, then it is full
    other = [(f"test-narrow:{uuid.uuid4()}", 1), (broad, 2)]
    ratelimit.hit_in_order(session, budgets=other, window_seconds=3600)
    with pytest.raises(TooManyRequests):
        ratelimit.hit_in_order(
            session, budgets=[(f"test-narrow:{uuid.uuid4()}", 1), (broad, 2)], window_seconds=3600
        )


def test_an_unreachable_redis_counts_in_the_database(session: Session) -> None:
    ratelimit.configure("redis://127.0.0.1:9/0")  # nothing listens on the discard port
    try:
        key = f"test-down:{uuid.uuid4()}"
        ratelimit.hit(session, key=key, limit=1, window_seconds=60)
        with pytest.raises(TooManyRequests):
            ratelimit.hit(session, key=key, limit=1, window_seconds=60)
        assert _stored(session, key) == 1
    finally:
        ratelimit.configure("")
