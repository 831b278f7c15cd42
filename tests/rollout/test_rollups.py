"""The per-venue daily check-in roll-up: each presence counted once, on the day it happened."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from epitrace import localtime
from epitrace.checkins.models import Presence, PresenceMethod
from epitrace.db import Database
from epitrace.rollout import rollups
from epitrace.rollout.models import VenueDayCount
from tests.tracing import factories as f


def _presences(
    db: Database,
    venue_id: Any,
    moments: list[datetime],
    method: Any,
    stored: timedelta = timedelta(minutes=-5),
) -> None:
    with db.session_scope() as s:
        for at in moments:
            s.add(
                Presence(
                    venue_id=venue_id,
                    ward_code="26743",
                    entered_at=at,
                    method=method,
                    created_at=datetime.now(UTC) + stored,
                )
            )


def _counts(db: Database) -> dict[Any, tuple[int, int]]:
    with db.session_scope() as s:
        return {r.day: (r.checkins, r.door_checkins) for r in s.scalars(select(VenueDayCount))}


def test_each_presence_is_counted_once_on_its_local_day(db: Database, places: Any) -> None:
    today = localtime.today()
    with db.session_scope() as s:
        venue_id = f.venue(s).id
    # 23:30 and 00:30 local are different days; a scan uploaded late counts on its own day
    late_evening = localtime.at_local(today - timedelta(days=1), time(23, 30))
    after_midnight = localtime.at_local(today, time(0, 30))
    _presences(db, venue_id, [late_evening, after_midnight], PresenceMethod.SELF_SCAN)
    _presences(db, venue_id, [after_midnight], PresenceMethod.DOOR_SCAN)
    with db.session_scope() as s:
        done = rollups.catch_up(s)
        assert set(done.days) == {today - timedelta(days=1), today}
    with db.session_scope() as s:
        assert rollups.catch_up(s).days == ()  # nothing new: nothing counted again
    assert _counts(db) == {today - timedelta(days=1): (1, 0), today: (2, 1)}

    week_ago = localtime.at_local(today - timedelta(days=7), time(9, 0))
    # uploaded now, from a phone that was offline: stored after the last run
    _presences(db, venue_id, [week_ago, after_midnight], PresenceMethod.SELF_SCAN, timedelta())
    with db.session_scope() as s:
        rollups.catch_up(s, now=datetime.now(UTC) + rollups.SETTLE)
    assert _counts(db) == {
        today - timedelta(days=7): (1, 0),
        today - timedelta(days=1): (1, 0),
        today: (3, 1),
    }


def test_presences_stored_in_the_last_minute_wait_for_the_next_run(
    db: Database, places: Any
) -> None:
    with db.session_scope() as s:
        venue_id = f.venue(s).id
        s.add(
            Presence(
                venue_id=venue_id,
                ward_code="26743",
                entered_at=datetime.now(UTC),
                method=PresenceMethod.SELF_SCAN,
            )
        )
    with db.session_scope() as s:
        rollups.catch_up(s)
    assert _counts(db) == {}
    with db.session_scope() as s:
        rollups.catch_up(s, now=datetime.now(UTC) + rollups.SETTLE)
    assert sum(c for c, _ in _counts(db).values()) == 1


def test_two_runs_at_once_count_once(db: Database, places: Any) -> None:
    with db.session_scope() as s:
        venue_id = f.venue(s).id
    moments = [datetime.now(UTC) - timedelta(hours=2, minutes=n) for n in range(50)]
    _presences(db, venue_id, moments, PresenceMethod.SELF_SCAN)
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def run() -> None:
        try:
            start.wait()
            with db.session_scope() as s:
                rollups.catch_up(s)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # SQLite may refuse the second writer ("locked"); it then counted nothing, as it should
    assert all("locked" in str(e) for e in errors), errors
    assert sum(c for c, _ in _counts(db).values()) == 50
