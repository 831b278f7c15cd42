"""Roll-ups: per-venue daily check-in counts, kept up to date from the presences stored since
the last run, so that the nightly indicators read one row per active venue, not every scan.

`catch_up` counts the presences stored between the mark and a minute ago (a check-in's
transaction has committed by then), by the local day they happened on — computed in Python
with the deployment's time zone, one `INSERT … SELECT … GROUP BY venue … ON CONFLICT DO
UPDATE` per day touched — and moves the mark, in one transaction. Runs are serialised by
locking the mark's row (PostgreSQL; SQLite has one writer), so two workers never count a
presence twice. The first run after the upgrade counts every presence already stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from epitrace import localtime
from epitrace.checkins.models import Presence, PresenceMethod
from epitrace.db import utcnow
from epitrace.rollout.models import RollupMark, VenueDayCount

MARK = "venue_day_count"
# presences stored in the last minute may belong to a transaction not committed yet
SETTLE = timedelta(minutes=1)
# An entry recorded by an operator at the door (a scanned pass or a visitor entered by hand):
# the venue controls its door that day.
DOOR_METHODS = (PresenceMethod.DOOR_SCAN.value, PresenceMethod.MANUAL.value)


BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class CatchUp:
    since: datetime
    upto: datetime
    days: tuple[date, ...]  # local days whose counts changed


def _insert(session: Session) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def _mark(session: Session) -> RollupMark:
    """The mark, locked until the end of the transaction (a concurrent run waits here)."""
    session.execute(
        _insert(session)(RollupMark).values(name=MARK, upto=BEGINNING).on_conflict_do_nothing()
    )
    stmt = select(RollupMark).where(RollupMark.name == MARK)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return session.scalars(stmt).one()


def catch_up(session: Session, *, now: datetime | None = None) -> CatchUp:
    """Count the presences stored since the last run; returns what was read."""
    upto = (now or utcnow()) - SETTLE
    mark = _mark(session)
    since = mark.upto
    if since >= upto:
        return CatchUp(since, since, ())
    stored = [Presence.created_at >= since, Presence.created_at < upto]
    days: list[date] = []
    cursor = BEGINNING
    while True:
        # the next day with presences in the batch (an upload may span days far apart)
        first = session.scalar(
            select(func.min(Presence.entered_at)).where(*stored, Presence.entered_at >= cursor)
        )
        if first is None:
            break
        day = localtime.local_date(first)
        days.append(day)
        _count_day(session, day, stored)
        cursor = localtime.day_bounds(day)[1]
    mark.upto = upto
    session.flush()
    return CatchUp(since, upto, tuple(days))


def _count_day(session: Session, day: date, stored: list[Any]) -> None:
    start, end = localtime.day_bounds(day)
    counted = (
        select(
            Presence.venue_id,
            literal(day).label("day"),
            func.count().label("checkins"),
            func.sum(case((Presence.method.in_(DOOR_METHODS), 1), else_=0)).label("door"),
        )
        .where(*stored, and_(Presence.entered_at >= start, Presence.entered_at < end))
        .group_by(Presence.venue_id)
    )
    stmt = _insert(session)(VenueDayCount).from_select(
        ["venue_id", "day", "checkins", "door_checkins"], counted
    )
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["venue_id", "day"],
            set_={
                "checkins": VenueDayCount.checkins + stmt.excluded.checkins,
                "door_checkins": VenueDayCount.door_checkins + stmt.excluded.door_checkins,
            },
        )
    )
