"""Exposure benchmark: on-device matching and export building, beside raw AES in the same run.

`python -m bench.exposure` measures, on one core:
- matching: `ObservationStore.match_keys` over a day's download of published keys (derive each
  RPIK, regenerate its 144 RPIs in one AES-ECB call, look them up among 10,000 observations);
- beside it, in the same round, three baselines over the same number of 16-byte blocks:
  raw AES-128-ECB streamed into a reused 64 KiB buffer (`update_into`: the cipher's own cost,
  the floor), raw AES-128-ECB in 1 MiB `update` calls that each return a fresh 1 MiB (the
  baseline printed before, mostly the cost of the new output memory), and AES-ECB with one
  key set-up per 144 blocks (what any matching must do; no HKDF, no lookups);
- building signed export files for 1,000,000 keys (split at 750,000 keys per file).
The four are timed in turns over slices of 2,000 keys, so that other load on the machine weighs
on each alike; three rounds, each figure printed as min / median / max over the rounds.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bench import targets
from epitrace.exposure import exportfile, schedule
from epitrace.exposure.device import Device, ObservationStore
from epitrace.exposure.exportfile import ExportKey, SigningIdentity

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def published_keys(count: int, rng: random.Random) -> list[ExportKey]:
    """Keys spread over 14 days, as a day's download holds them."""
    today = schedule.rolling_start(schedule.en_interval_number(NOW))
    return [
        ExportKey(
            key_data=rng.randbytes(16),
            rolling_start_interval_number=today - 144 * rng.randint(1, 14),
            rolling_period=144,
            report_type=1,
            days_since_onset_of_symptoms=rng.randint(-5, 10),
        )
        for _ in range(count)
    ]


def observations(
    keys: list[ExportKey], count: int, hits: int, rng: random.Random
) -> ObservationStore:
    """`count` observations: `hits` of them are RPIs of published keys, the rest random."""
    phone = Device()
    for key in rng.sample(keys, hits):
        derived = schedule.DerivedKeys.from_tek(key.key_data)
        enin = key.rolling_start_interval_number + rng.randrange(144)
        payload = derived.payload(enin, phone.metadata)
        phone.record(payload, rssi=-60, at=schedule.interval_start(enin))
    for _ in range(count - hits):
        at = NOW - timedelta(minutes=rng.randrange(14 * 24 * 60))
        phone.record(rng.randbytes(20), rssi=-70, at=at)
    return phone.observations


SLICE = 2_000  # keys per turn


def bench_matching(keys: list[ExportKey], store: ObservationStore) -> tuple[float, int]:
    start = time.perf_counter()
    found = len(store.match_keys(keys))
    return time.perf_counter() - start, found


def bench_raw_aes(blocks: int) -> float:
    """AES-128-ECB over `blocks` blocks into a reused 64 KiB buffer: the floor of regenerating
    RPIs (one key, no set-up, no new memory)."""
    encryptor = Cipher(algorithms.AES(os.urandom(16)), modes.ECB()).encryptor()  # noqa: S305
    chunk = bytes(1 << 16)
    out = bytearray(len(chunk) + 15)
    remaining = blocks * 16
    start = time.perf_counter()
    while remaining > 0:
        take = min(remaining, len(chunk))
        encryptor.update_into(chunk[:take] if take < len(chunk) else chunk, out)
        remaining -= take
    return time.perf_counter() - start


def bench_raw_aes_fresh_output(blocks: int) -> float:
    """AES-128-ECB over `blocks` blocks in 1 MiB `update` calls, each returning new memory."""
    encryptor = Cipher(algorithms.AES(os.urandom(16)), modes.ECB()).encryptor()  # noqa: S305
    chunk = bytes(1 << 20)
    remaining = blocks * 16
    start = time.perf_counter()
    while remaining > 0:
        take = min(remaining, len(chunk))
        encryptor.update(chunk[:take] if take < len(chunk) else chunk)
        remaining -= take
    return time.perf_counter() - start


def bench_aes_per_key(keys: list[ExportKey]) -> float:
    """AES-ECB with a fresh key per 144 blocks (no HKDF, no lookups): the cipher set-up share."""
    blocks = bytes(16 * 144)
    ecb = modes.ECB()  # noqa: S305 - the RPIs' mode
    start = time.perf_counter()
    for key in keys:
        Cipher(algorithms.AES(key.key_data), ecb).encryptor().update(blocks)
    return time.perf_counter() - start


def spread(values: list[float], fmt: str) -> str:
    """min / median / max."""
    return " / ".join(format(v, fmt) for v in (min(values), statistics.median(values), max(values)))


def bench_export(count: int, rng: random.Random) -> None:
    keys = published_keys(count, rng)
    private = ec.generate_private_key(ec.SECP256R1())
    identity = SigningIdentity("452", "v1")
    per_file = exportfile.MAX_KEYS_PER_FILE
    chunks = [keys[i : i + per_file] for i in range(0, len(keys), per_file)]
    start = time.perf_counter()
    sizes: list[int] = []
    files: list[bytes] = []
    for number, chunk in enumerate(chunks, start=1):
        data = exportfile.build_file(
            keys=chunk,
            start_timestamp=int(NOW.timestamp()) - 3600,
            end_timestamp=int(NOW.timestamp()),
            region="VN",
            batch_num=number,
            batch_size=len(chunks),
            identity=identity,
            private_key=private,
        )
        sizes.append(len(data))
        files.append(data)
    elapsed = time.perf_counter() - start
    print(f"export build: {count:,} keys in {len(chunks)} files, {elapsed:.2f} s "
          f"= {count / elapsed:,.0f} keys/s")  # fmt: skip
    for number, size in enumerate(sizes, start=1):
        print(f"  file {number}: {size:,} bytes ({size / len(chunks[number - 1]):.1f} bytes/key)")
    start = time.perf_counter()
    for data in files:
        if not exportfile.verify(exportfile.read_file(data), private.public_key()):
            raise SystemExit("a file built here does not verify")
    elapsed = time.perf_counter() - start
    print(f"export read + verify on a phone: {elapsed:.2f} s = {count / elapsed:,.0f} keys/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keys", type=int, default=50_000, help="published keys to match")
    parser.add_argument("--observations", type=int, default=10_000)
    parser.add_argument("--export-keys", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(1)
    keys = published_keys(args.keys, rng)
    store = observations(keys, args.observations, hits=50, rng=rng)
    blocks = args.keys * 144
    bench_matching(keys[:1000], store)  # warm up caches of the PaddedData blocks
    matching: list[float] = []
    ratios: dict[str, list[float]] = {"floor": [], "fresh": [], "per key": []}
    found = 0
    for _ in range(args.rounds):  # each round times matching beside its baselines
        elapsed = floor = fresh = per_key = 0.0
        found = 0
        for first in range(0, len(keys), SLICE):
            part = keys[first : first + SLICE]
            seconds, heard = bench_matching(part, store)
            elapsed += seconds
            found += heard
            floor += bench_raw_aes(len(part) * 144)
            fresh += bench_raw_aes_fresh_output(len(part) * 144)
            per_key += bench_aes_per_key(part)
        matching.append(elapsed)
        ratios["floor"].append(elapsed / floor)
        ratios["fresh"].append(elapsed / fresh)
        ratios["per key"].append(elapsed / per_key)
        print(f"  round: matching {elapsed:.3f} s, raw AES {floor:.3f} s (reused buffer), "
              f"{fresh:.3f} s (fresh 1 MiB outputs), one key set-up per 144 blocks "
              f"{per_key:.3f} s")  # fmt: skip
    rates = [args.keys / t for t in matching]
    print(
        f"matching: {args.keys:,} keys ({blocks:,} blocks) against {args.observations:,} "
        f"observations, {found} keys matched; min / median / max of {args.rounds} rounds:"
    )
    print(f"  time {spread(matching, '.3f')} s = {spread(rates, ',.0f')} keys/s on one core")
    print(f"  ratio matching / raw AES-128-ECB, reused buffer:   {spread(ratios['floor'], '.1f')}x")
    print(f"  ratio matching / raw AES-128-ECB, fresh outputs:   {spread(ratios['fresh'], '.1f')}x")
    print(
        f"  ratio matching / AES with one key set-up per key:  {spread(ratios['per key'], '.2f')}x"
    )
    fresh = statistics.median(ratios["fresh"])
    targets.record(
        targets.ORDER[3],
        figure=f"{fresh:.1f}× (median of {args.rounds} rounds, "
        f"{statistics.median(rates):,.0f} keys/s)",
        baseline="raw AES-128-ECB over the same blocks, 1 MiB fresh outputs",
        met=fresh <= 4,
    )
    bench_export(args.export_keys, rng)


if __name__ == "__main__":
    main()
