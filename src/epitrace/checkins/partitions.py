"""Day partitions of presences on PostgreSQL: made ahead of the days they hold, detached whole
once every row in them is past retention and dropped at the next run. SQLite keeps one plain
table; nothing here runs there.

A partition holds one UTC day of `entered_at`, `presence_pYYYYMMDD`; `presence_default` takes
a row no day partition covers. Making a day's partition moves its rows out of the default one.
"""

# ruff: noqa: S608 - the SQL names our own tables; every value is bound or a formatted date
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, Uuid, column, select, table, text, update
from sqlalchemy.orm import Session

from epitrace.checkins.models import Presence, ScanReceipt

PREFIX = "presence_p"
DEFAULT = "presence_default"
# days made ahead of today: a week of check-ins never waits for the job
AHEAD_DAYS = 7
_NAME = re.compile(rf"{PREFIX}(\d{{8}})")

# what the purge of a day's presences also does to the rows that name them, in another
# domain's tables (given by the caller): (session, ids of the presences, entered before)
Unlink = Callable[[Session, Select[Any], datetime], int]


@dataclass
class Upkeep:
    created: list[date] = field(default_factory=list)
    detached: list[date] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"{len(self.created)} day partitions made, {len(self.detached)} detached, "
            f"{len(self.dropped)} detached before dropped"
        )


def partition_name(day: date) -> str:
    return f"{PREFIX}{day:%Y%m%d}"


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start, start + timedelta(days=1)


def partitioned(session: Session) -> bool:
    """True on PostgreSQL once `27_presence_partitions` made the table partitioned."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    kind = session.scalar(text("SELECT relkind FROM pg_class WHERE oid = to_regclass('presence')"))
    return bool(kind == "p")


def days(session: Session) -> list[date]:
    """The days that have their own partition, in order."""
    names = session.scalars(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass('presence')"
        )
    )
    found = (_NAME.fullmatch(name) for name in names)
    return sorted(datetime.strptime(m[1], "%Y%m%d").date() for m in found if m)  # noqa: DTZ007


def create(session: Session, day: date) -> None:
    """Make the day's partition; rows of that day waiting in the default partition move in."""
    name = partition_name(day)
    start, end = day_bounds(day)
    bounds = f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
    in_day = "entered_at >= :start AND entered_at < :end"
    waiting = session.scalar(
        text(f"SELECT EXISTS (SELECT 1 FROM {DEFAULT} WHERE {in_day})"),
        {"start": start, "end": end},
    )
    if not waiting:
        session.execute(text(f"CREATE TABLE {name} PARTITION OF presence {bounds}"))
        return
    # a new partition may not cover rows of the default one: move them first, then attach
    session.execute(text(f"CREATE TABLE {name} (LIKE presence INCLUDING DEFAULTS)"))
    session.execute(
        text(
            f"WITH moved AS (DELETE FROM {DEFAULT} WHERE {in_day} RETURNING *) "
            f"INSERT INTO {name} SELECT * FROM moved"
        ),
        {"start": start, "end": end},
    )
    session.execute(text(f"ALTER TABLE presence ATTACH PARTITION {name} {bounds}"))


def ensure(session: Session, *, first: date, last: date) -> list[date]:
    """Make every missing day partition from `first` to `last` (both included)."""
    have = set(days(session))
    made: list[date] = []
    day = first
    while day <= last:
        if day not in have:
            create(session, day)
            made.append(day)
        day += timedelta(days=1)
    return made


def detach_before(session: Session, *, cutoff: datetime, unlink: Unlink) -> list[date]:
    """Detach the partitions of days that ended by `cutoff`, after unlinking what names their
    presences: scan receipts lose the link, and `unlink` does the rest (quarantine breaches).

    Their rows leave `presence` at commit; the tables themselves are dropped by the next
    `drop_detached`, in a later transaction: removing a day's files (gigabytes) happens at
    the commit of a DROP, and a DROP of a partition would hold the lock on `presence`, and
    so every check-in, for that long."""
    detached: list[date] = []
    for day in days(session):
        start, end = day_bounds(day)
        if end > cutoff:
            break
        name = partition_name(day)
        ids = select(table(name, column("id", Uuid())).c.id)
        unlink(session, ids, end)
        # a receipt names the presence its scan made or closed: scanned at or after entry
        session.execute(
            update(ScanReceipt)
            .where(ScanReceipt.scanned_at >= start, ScanReceipt.presence_id.in_(ids))
            .values(presence_id=None)
            .execution_options(synchronize_session=False)
        )
        session.execute(text(f"ALTER TABLE presence DETACH PARTITION {name}"))
        detached.append(day)
    return detached


def detached_tables(session: Session) -> list[str]:
    """Day tables detached by an earlier run, waiting to be dropped."""
    names = session.scalars(
        text(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND NOT relispartition "
            "AND relnamespace = to_regnamespace(current_schema())"
        )
    )
    return sorted(name for name in names if _NAME.fullmatch(name))


def drop_detached(session: Session) -> list[str]:
    """Drop the day tables detached earlier: only their own lock is taken."""
    names = detached_tables(session)
    for name in names:
        session.execute(text(f"DROP TABLE {name}"))
    return names


def upkeep(session: Session, *, now: datetime, retention_days: int, unlink: Unlink) -> Upkeep:
    """Every day of the retention window and `AHEAD_DAYS` ahead has its partition (an offline
    scan dated days back finds its own); days wholly past retention are detached, and the
    tables detached by the run before are dropped.

    A run that drops tables does nothing else: their files go at its commit, and a partition
    made or detached in the same transaction would hold the lock on `presence` meanwhile.
    The next run (an hour later, or the purge's right after) does the rest; the days ahead
    leave a week for it."""
    if not partitioned(session):
        return Upkeep()
    dropped = drop_detached(session)
    if dropped:
        return Upkeep(dropped=dropped)
    cutoff = now - timedelta(days=retention_days)
    today = now.astimezone(UTC).date()
    created = ensure(
        session, first=cutoff.astimezone(UTC).date(), last=today + timedelta(days=AHEAD_DAYS)
    )
    detached = detach_before(session, cutoff=cutoff, unlink=unlink)
    return Upkeep(created=created, detached=detached)


def presence_ids_before(cutoff: datetime) -> Select[Any]:
    """The presences the row purge removes (on PostgreSQL: of the partitions it prunes to)."""
    return select(Presence.id).where(Presence.entered_at < cutoff)
