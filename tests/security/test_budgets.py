"""Daily budgets (`ratelimit.consume` / `give_back`) and narrowest-first counting."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from epitrace import localtime
from epitrace.errors import TooManyRequests
from epitrace.security import ratelimit

_unique = itertools.count()


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    limit=st.integers(0, 40),
    steps=st.lists(st.tuples(st.integers(0, 15), st.integers(0, 15)), max_size=12),
)
def test_property_a_budget_grants_what_is_left_and_takes_back_what_was_unused(
    session: Session, limit: int, steps: list[tuple[int, int]]
) -> None:
    """Whatever is asked and used, what was used never passes the limit, and each request is
    granted exactly what is left of it."""
    session.rollback()
    key = f"budget-test:{next(_unique)}"
    window = ratelimit.local_day_window()
    used = 0
    for amount, unused in steps:
        granted = ratelimit.consume(session, key=key, amount=amount, limit=limit, window=window)
        assert granted == max(0, min(amount, limit - used))
        giving_back = min(unused, granted)
        ratelimit.give_back(session, key=key, amount=giving_back, window=window)
        session.commit()
        used += granted - giving_back
        assert used <= limit


def test_the_day_window_is_the_local_day() -> None:
    noon = datetime(2026, 11, 30, 5, 0, tzinfo=UTC)  # 12:00 in Hà Nội (UTC+7)
    start, end = ratelimit.local_day_window(noon)
    assert datetime.fromtimestamp(start, UTC) == datetime(2026, 11, 29, 17, 0, tzinfo=UTC)
    assert end - start == 86400
    assert localtime.zone().key == "Asia/Ho_Chi_Minh"


def test_a_refusal_by_a_narrow_budget_does_not_spend_the_broad_one(session: Session) -> None:
    budgets = [("narrow:a", 1), ("broad", 2)]
    ratelimit.hit_in_order(session, budgets=budgets, window_seconds=3600)
    for _ in range(5):
        with pytest.raises(TooManyRequests) as refused:
            ratelimit.hit_in_order(session, budgets=budgets, window_seconds=3600)
        assert refused.value.retry_after > 0
    # The broad budget still has one left for another narrow key.
    ratelimit.hit_in_order(session, budgets=[("narrow:b", 1), ("broad", 2)], window_seconds=3600)
    with pytest.raises(TooManyRequests):
        ratelimit.hit_in_order(
            session, budgets=[("narrow:c", 1), ("broad", 2)], window_seconds=3600
        )
