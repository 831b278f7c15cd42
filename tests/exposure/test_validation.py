"""Upload validation as a pure function: every rule, for any mix of keys."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from epitrace.exposure import schedule
from epitrace.exposure.service import UploadKey, days_since_onset, validate_keys

NOW = datetime(2026, 11, 25, 14, 7, tzinfo=UTC)
NOW_ENIN = schedule.en_interval_number(NOW)
TODAY = schedule.rolling_start(NOW_ENIN)


def key(
    day: int, *, period: int = 144, offset: int = 0, length: int = 16, seed: int = 0
) -> UploadKey:
    data = bytes([day % 256, seed % 256]) + bytes(length - 2)
    return UploadKey(base64.b64encode(data).decode(), TODAY + 144 * day + offset, period)


def rule_breaks(k: UploadKey) -> bool:
    raw = base64.b64decode(k.key_data)
    start = k.rolling_start_interval_number
    return (
        len(raw) != 16
        or not 1 <= k.rolling_period <= 144
        or start % 144 != 0
        or start > NOW_ENIN
        or start < TODAY - 14 * 144
    )


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(-17, 2),  # day relative to today
            st.sampled_from([144, 144, 144, 1, 100, 0, 145]),
            st.sampled_from([0, 0, 0, 0, 1]),  # misaligned start
            st.sampled_from([16, 16, 16, 15, 17]),
        ),
        min_size=1,
        max_size=20,
        unique_by=lambda t: t[0],
    )
)
def test_a_key_is_refused_exactly_when_it_breaks_a_rule(
    spec: list[tuple[int, int, int, int]],
) -> None:
    keys = [key(d, period=p, offset=o, length=n, seed=i) for i, (d, p, o, n) in enumerate(spec)]
    decoded, errors = validate_keys(keys, now=NOW)
    for i, k in enumerate(keys):
        refused = any(name.startswith(f"keys.{i}.") for name in errors)
        overlapping = any(
            j != i
            and k.rolling_start_interval_number < o.rolling_start_interval_number + o.rolling_period
            and o.rolling_start_interval_number < k.rolling_start_interval_number + k.rolling_period
            for j, o in enumerate(keys)
        )
        if rule_breaks(k):
            assert refused, (k, errors)
        elif not overlapping:
            assert not refused, (k, errors)
    assert len(decoded) == sum(1 for k in keys if len(base64.b64decode(k.key_data)) == 16)


def test_today_cut_key_and_fourteen_days_are_accepted() -> None:
    keys = [key(-d) for d in range(14, 0, -1)] + [key(0, period=NOW_ENIN - TODAY)]
    decoded, errors = validate_keys(keys, now=NOW)
    assert errors == {}
    assert len(decoded) == 15


def test_overlap_same_key_twice_and_empty_upload() -> None:
    same = key(-2)
    _, errors = validate_keys([same, UploadKey(same.key_data, TODAY - 144, 144)], now=NOW)
    assert "keys.1.key_data" in errors
    _, errors = validate_keys([key(-2, period=144), key(-2, seed=1)], now=NOW)
    assert any(name.endswith("rolling_start_interval_number") for name in errors)
    assert validate_keys([], now=NOW)[1] == {"keys": "Send at least one key."}
    assert "keys" in validate_keys([key(-1, seed=i) for i in range(31)], now=NOW)[1]


@given(day=st.integers(-20, 20))
def test_days_since_onset_is_clamped(day: int) -> None:
    onset = NOW.date()
    start = TODAY + 144 * day
    assert days_since_onset(key_start=start, onset=onset) == max(-14, min(14, day))
