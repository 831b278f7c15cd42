"""Run every benchmark at its default (quick) size: `python -m bench` or `make bench`.

Each benchmark prints its figure beside a baseline measured in the same run; the figures of
the performance targets (`bench.targets`) are printed together at the end. Run one alone
with `python -m bench.<name> --help` to see its size options.
"""

from __future__ import annotations

import importlib
import sys
import time

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
    for name in BENCHMARKS:
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            print(f"== {name}: not available ({exc})")
            failures += 1
            continue
        print(f"== {name}")
        started = time.perf_counter()
        sys.argv = [f"bench.{name}"]  # each benchmark at its default size
        result = module.main()
        print(f"== {name} done in {time.perf_counter() - started:.1f} s")
        failures += 1 if result else 0
    print(targets.summary())
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
