"""The targets of the national-scale performance work, gathered from one `make bench` run.

Each benchmark that measures one of the targets calls `record` with its figure and the baseline
it measured in the same run; `python -m bench` (`make bench`) prints them together at the end,
one row per target, with "met", "not met" or "—" (the run was smaller than the target's
reference size: the figure is shown, not judged). docs/performance.md keeps the figures of
runs at the reference sizes.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Row:
    target: str  # what is measured, and the target
    figure: str
    baseline: str  # measured in the same run
    met: bool | None  # None: the run was below the target's reference size


# the rows in the order of the table
ORDER = (
    "single check-in ÷ /healthz (≥ 0.6)",
    "offline batch, scans that write (≥ 20,000 scans/s)",
    "F1+F2 for one case (median < 20 ms, p95 < 50 ms at 20 M presences)",
    "GAEN matching ÷ raw AES-128-ECB, fresh outputs (≤ 4×)",
    "presence indexes ÷ table (≤ 1)",
    "retention: removing one day (partition drop, < 1 s for 20 M rows)",
)
_rows: dict[str, Row] = {}
# `python -m bench` runs each benchmark in a process of its own and names a file here, to which
# each row is appended as a line of JSON; it reads them back for the summary (`load`)
FILE_VARIABLE = "EPITRACE_BENCH_TARGETS"


def record(target: str, *, figure: str, baseline: str, met: bool | None) -> None:
    if target not in ORDER:
        raise ValueError(f"not a target: {target}")
    row = Row(target, figure, baseline, met)
    _rows[target] = row
    path = os.environ.get(FILE_VARIABLE)
    if path:
        with Path(path).open("a", encoding="utf-8") as out:
            out.write(json.dumps(asdict(row), ensure_ascii=False) + "\n")


def load(path: Path) -> None:
    """The rows the benchmarks' processes appended to `path` (the last of a target wins)."""
    if not path.exists():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = Row(**json.loads(line))
            _rows[row.target] = row


def rows() -> list[Row]:
    return [_rows[t] for t in ORDER if t in _rows]


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the values lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def summary() -> str:
    """The table printed at the end of `make bench` (targets not measured are listed too)."""
    lines = ["targets (figure | baseline of the same run | verdict):"]
    for target in ORDER:
        row = _rows.get(target)
        if row is None:
            lines.append(f"  {target}\n      not measured in this run")
            continue
        verdict = "—  (below the reference size)" if row.met is None else (
            "met" if row.met else "not met")  # fmt: skip
        lines.append(f"  {target}\n      {row.figure} | {row.baseline} | {verdict}")
    return "\n".join(lines)
