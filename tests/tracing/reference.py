"""A brute-force, pure-Python statement of the tracing rules, to check the SQL engine against."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from epitrace.tracing.engine import TOLERANCE
from epitrace.tracing.policy import Policy


@dataclass(frozen=True)
class P:
    id: uuid.UUID
    key: str  # "p:<uuid>" or "m:<uuid>"
    venue: uuid.UUID
    category: str
    small_room: bool
    start: float  # epoch seconds
    left: float | None


def _end(p: P, policy: Policy) -> float:
    natural = p.left if p.left is not None else p.start + policy.dwell_for(p.category) * 60
    return min(natural, p.start + policy.max_presence_hours * 3600)


def _contacts(
    sources: list[tuple[P, float, float]], presences: list[P], policy: Policy
) -> dict[str, float]:
    """contact key -> earliest overlap start, for sources clipped to [lo, hi)."""
    found: dict[str, float] = {}
    for src, lo, hi in sources:
        s = max(src.start, lo)
        e = min(_end(src, policy), hi)
        if e <= s:
            continue
        thr = policy.threshold_for(src.category, small_room=src.small_room) * 60
        for q in presences:
            if q.venue != src.venue or q.id == src.id:
                continue
            os_, oe = max(s, q.start), min(e, _end(q, policy))
            if oe - os_ > TOLERANCE and oe - os_ >= thr - TOLERANCE:
                found[q.key] = min(found.get(q.key, os_), os_)
    return found


def trace(
    presences: list[P],
    *,
    f0_key: str,
    window: tuple[datetime, datetime],
    as_of: datetime,
    policy: Policy,
) -> tuple[dict[str, float], dict[str, float]]:
    """F1 and F2 (contact key -> exposure start) by checking every pair of presences."""
    ws, we = window[0].timestamp(), window[1].timestamp()
    f1 = _contacts([(p, ws, we) for p in presences if p.key == f0_key], presences, policy)
    f1.pop(f0_key, None)
    sources = [(p, f1[p.key], as_of.timestamp()) for p in presences if p.key in f1]
    f2 = _contacts(sources, presences, policy)
    for key in [f0_key, *f1]:
        f2.pop(key, None)
    return f1, f2
