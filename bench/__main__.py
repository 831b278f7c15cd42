"""Run every benchmark at its default (quick) size: `python -m bench` or `make bench`.

Each benchmark runs in a process of its own and prints its figure beside a baseline measured
in the same run; the figures of the performance targets (`bench.targets`) are printed
together at the end. Run one alone with `python -m bench.<name> --help` to see its size
options.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import targets

BENCHMARKS = (
    "checkin",
    "tracing",
    "exposure",
    "declarations",
    "reports",
    "rollout",
    "alerts",
    "scale",
    "privacy",
)


def main() -> int:
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        rows = Path(tmp) / "targets.jsonl"
        env = {**os.environ, targets.FILE_VARIABLE: str(rows)}
        for name in BENCHMARKS:
            print(f"== {name}", flush=True)
            started = time.perf_counter()
            # each in a fresh interpreter: what one benchmark leaves in memory (the allocator's
            # free lists above all) must not change the next one's figures
            done = subprocess.run(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", f"bench.{name}"], env=env, check=False
            )
            print(f"== {name} done in {time.perf_counter() - started:.1f} s", flush=True)
            failures += 1 if done.returncode else 0
        targets.load(rows)
    print(targets.summary())
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
