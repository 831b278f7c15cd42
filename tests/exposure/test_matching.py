"""The fast matching path (batched HKDF, one AES call per key, lookups by chunk) finds exactly
what the straightforward derivation finds: one HKDF object and one RPI at a time."""

from __future__ import annotations

import sys
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from epitrace.exposure import device as sdk
from epitrace.exposure import schedule
from epitrace.exposure.device import DRIFT_INTERVALS, Observation, ObservationStore
from epitrace.exposure.exportfile import ExportKey

TEK = bytes.fromhex("75c734c6dd1a782de7a965da5eb93125")
START = 2642976  # the specification's key generation interval
DAY = schedule.TEK_ROLLING_PERIOD

keys16 = st.binary(min_size=16, max_size=16)


def straightforward(store: ObservationStore, key: ExportKey) -> list[Observation]:
    """The definition, interval by interval: RPI_j = AES(HKDF(TEK), PaddedData_j)."""
    period = key.rolling_period or DAY
    start = key.rolling_start_interval_number
    if not 1 <= period <= DAY or start < 0 or start + period - 1 > schedule.ENIN_MAX:
        return []
    rpik = schedule.derive_rpik(key.key_data)
    found = []
    for enin in range(start, start + period):
        identifier = schedule.rpi(rpik, enin)
        found.extend(
            o for o in store.by_rpi.get(identifier, []) if abs(o.enin - enin) <= DRIFT_INTERVALS
        )
    return found


def observe(store: ObservationStore, identifier: bytes, enin: int) -> None:
    store.add(
        Observation(
            rpi=identifier,
            aem=bytes(4),
            rssi=-60,
            at=schedule.interval_start(max(enin, 0)),
            seconds_since_last_scan=300,
        )
    )


def test_derive_rpiks_reproduces_the_specification() -> None:
    assert schedule.derive_rpiks([TEK])[0].hex() == "185ad91db69ec7dd048960f1f3ba6175"


@given(st.lists(keys16, max_size=20))
def test_derive_rpiks_equals_hkdf_of_each_key(teks: list[bytes]) -> None:
    assert schedule.derive_rpiks(teks) == [schedule.derive_rpik(t) for t in teks]


def test_derive_rpiks_refuses_a_wrong_length() -> None:
    with pytest.raises(schedule.ScheduleError):
        schedule.derive_rpiks([TEK, b"short"])


@st.composite
def keys_and_sightings(draw: st.DrawFn) -> tuple[list[ExportKey], list[tuple[int, int, int]]]:
    """Keys of random days and periods; sightings (key index, interval offset, drift)."""
    count = draw(st.integers(min_value=0, max_value=2 * sdk.MATCH_CHUNK + 3))
    keys = [
        ExportKey(
            key_data=draw(keys16),
            rolling_start_interval_number=START + DAY * draw(st.integers(-3, 3)),
            rolling_period=draw(st.sampled_from([DAY, DAY, 0, 1, 77, DAY + 1, -1])),
        )
        for _ in range(count)
    ]
    sightings = draw(
        st.lists(
            st.tuples(
                st.integers(0, max(count - 1, 0)),
                st.integers(0, DAY - 1),
                st.integers(-2 * DRIFT_INTERVALS, 2 * DRIFT_INTERVALS),
            ),
            max_size=12 if count else 0,
        )
    )
    return keys, sightings


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(keys_and_sightings(), st.lists(keys16, max_size=30), st.data())
def test_fast_matching_equals_the_definition(
    case: tuple[list[ExportKey], list[tuple[int, int, int]]],
    noise: list[bytes],
    data: st.DataObject,
) -> None:
    keys, sightings = case
    store = ObservationStore()
    for identifier in noise:  # random RPIs heard at random times
        observe(store, identifier, START + data.draw(st.integers(-3 * DAY, 4 * DAY)))
    for index, offset, drift in sightings:  # RPIs of the keys, heard with some clock drift
        key = keys[index]
        rpik = schedule.derive_rpik(key.key_data)
        enin = key.rolling_start_interval_number + offset
        identifier = schedule.rpi(rpik, enin)
        observe(store, identifier, enin + drift)
        # an RPI sharing only its first four bytes with a key's must never match
        observe(store, identifier[:4] + bytes(b ^ 0xFF for b in identifier[4:]), enin)
    expected = [(k, heard) for k in keys if (heard := straightforward(store, k))]
    assert store.match_keys(keys) == expected
    for key in keys[:3]:
        assert store.match_key(key) == straightforward(store, key)


def test_a_shared_prefix_alone_does_not_match() -> None:
    key = ExportKey(key_data=TEK, rolling_start_interval_number=START, rolling_period=DAY)
    identifier = schedule.rpi(schedule.derive_rpik(TEK), START + 5)
    store = ObservationStore()
    observe(store, identifier[:4] + bytes(12), START + 5)
    assert store.match_keys([key]) == []
    observe(store, identifier, START + 5)
    assert [heard for _, heard in store.match_keys([key])] == [[store.by_rpi[identifier][0]]]


def test_the_sieve_follows_what_is_heard_and_purged() -> None:
    key = ExportKey(key_data=TEK, rolling_start_interval_number=START, rolling_period=DAY)
    store = ObservationStore()
    assert store.match_keys([key]) == []
    identifier = schedule.rpi(schedule.derive_rpik(TEK), START)
    observe(store, identifier, START)
    assert len(store.match_keys([key])) == 1
    store.purge(schedule.interval_start(START) + timedelta(minutes=10))
    assert store.match_keys([key]) == []


def test_the_sieve_table_only_narrows_the_exact_prefixes() -> None:
    """RPIs whose prefix shares the table's 24 bits with a heard one, but not all 32, pass the
    table and are then refused by the exact prefixes; the heard prefix itself is found."""
    heard = schedule.rpi(schedule.derive_rpik(TEK), START)
    sieve = sdk._Sieve(frozenset({sdk._prefix(heard)}))
    near = bytearray(heard)
    near[0 if sys.byteorder == "little" else 3] ^= 0x01  # the 8 bits the table leaves out
    assert sieve.table[sdk._prefix(bytes(near)) >> 8]
    assert not sieve.any_heard(memoryview(bytes(near) * 3))
    assert sieve.any_heard(memoryview(bytes(near) * 2 + heard))
    assert not sdk._Sieve(frozenset()).any_heard(memoryview(heard))
