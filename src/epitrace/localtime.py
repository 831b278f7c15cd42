"""The deployment's local time zone (Asia/Ho_Chi_Minh unless configured): "today", day
boundaries, quiet hours and schedules are local; everything stored stays UTC.

`EPITRACE_TIME_ZONE` names the zone; `configure` (called by the app and the worker) applies
a `Settings` value. Pure functions, no database.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Asia/Ho_Chi_Minh"

_zone = ZoneInfo(os.environ.get("EPITRACE_TIME_ZONE", DEFAULT_ZONE))


def configure(name: str) -> None:
    """Use the IANA zone `name` from now on (raises for an unknown zone)."""
    global _zone  # noqa: PLW0603 - one zone per process, set once at start-up
    _zone = ZoneInfo(name)


def zone() -> ZoneInfo:
    return _zone


def now_utc() -> datetime:
    return datetime.now(UTC)


def utc_offset_minutes(moment: datetime | None = None) -> int:
    """The zone's offset from UTC at `moment` (now by default), in minutes."""
    offset = (moment or now_utc()).astimezone(_zone).utcoffset()
    return int(offset.total_seconds() // 60) if offset is not None else 0


def to_local(moment: datetime) -> datetime:
    """A UTC (or any aware) datetime seen on the local wall clock."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given to to_local")
    return moment.astimezone(_zone)


def local_date(moment: datetime) -> date:
    """The local calendar day of a moment."""
    return to_local(moment).date()


def today(now: datetime | None = None) -> date:
    return local_date(now or now_utc())


def at_local(day: date, clock: time) -> datetime:
    """The UTC moment of a local wall-clock time on a local day."""
    return datetime.combine(day, clock, tzinfo=_zone).astimezone(UTC)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) of a local day, in UTC."""
    return at_local(day, time.min), at_local(day + timedelta(days=1), time.min)


def in_window(moment: datetime, start: time, end: time) -> bool:
    """Whether the local clock time of `moment` lies in [start, end); windows may wrap midnight."""
    clock = to_local(moment).time()
    if start <= end:
        return start <= clock < end
    return clock >= start or clock < end


def next_window_start(moment: datetime, start: time, end: time) -> datetime:
    """`moment` itself if it lies in the window, else the next local `start` after it (UTC)."""
    if in_window(moment, start, end):
        return moment
    day = local_date(moment)
    candidate = at_local(day, start)
    if candidate <= moment:
        candidate = at_local(day + timedelta(days=1), start)
    return candidate


def next_outside(moment: datetime, start: time, end: time) -> datetime:
    """`moment` if it lies outside the window [start, end), else the window's end (UTC)."""
    if not in_window(moment, start, end):
        return moment
    day = local_date(moment)
    candidate = at_local(day, end)
    if candidate <= moment:
        candidate = at_local(day + timedelta(days=1), end)
    return candidate
