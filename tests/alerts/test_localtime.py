"""The local-time helper: windows on the local clock, across midnight, for any moment."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from epitrace import localtime

# hypothesis takes naive bounds and attaches the zone to the values it draws
moments = st.datetimes(
    min_value=datetime(2020, 1, 1),  # noqa: DTZ001
    max_value=datetime(2035, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)
clocks = st.times()


def test_day_bounds_are_local_midnights() -> None:
    start, end = localtime.day_bounds(date(2026, 11, 20))
    assert start == datetime(2026, 11, 19, 17, 0, tzinfo=UTC)
    assert end - start == timedelta(days=1)
    assert localtime.local_date(datetime(2026, 11, 19, 17, 30, tzinfo=UTC)).day == 20


def test_quiet_hours_wrap_midnight() -> None:
    quiet = (time(22), time(6))
    late = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)  # 23:00 local
    assert localtime.in_window(late, *quiet)
    assert localtime.next_outside(late, *quiet) == datetime(2026, 11, 20, 23, 0, tzinfo=UTC)
    noon = datetime(2026, 11, 20, 5, 0, tzinfo=UTC)
    assert localtime.next_outside(noon, *quiet) == noon


@given(moments, clocks, clocks)
def test_next_window_start_is_inside_and_not_before(moment: datetime, a: time, b: time) -> None:
    if a == b:
        return
    start = localtime.next_window_start(moment, a, b)
    assert start >= moment
    assert localtime.in_window(start, a, b)
    assert start - moment <= timedelta(days=1)


@given(moments, clocks, clocks)
def test_next_outside_leaves_the_window(moment: datetime, a: time, b: time) -> None:
    if a == b:
        return
    out = localtime.next_outside(moment, a, b)
    assert out >= moment
    assert not localtime.in_window(out, a, b)
    assert out - moment <= timedelta(days=1)
