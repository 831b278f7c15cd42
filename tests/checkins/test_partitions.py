"""Presences by day on PostgreSQL: the job makes the days' partitions ahead and detaches (then
drops) those past retention, leaving nothing that names a removed presence; the reads of
tracing, the door log and the counts export touch only the partitions of their days
(EXPLAIN). SQLite keeps one table, and the purge leaves nothing dangling there either.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from epitrace.cases import service as case_service
from epitrace.cases.models import Case, QuarantineBreach, QuarantineKind, QuarantineOrder
from epitrace.checkins import partitions, tasks
from epitrace.checkins import service as checkin_service
from epitrace.checkins.models import Presence, ScanReceipt
from epitrace.config import Settings
from epitrace.db import Database, utcnow
from epitrace.security.keys import Keyring
from epitrace.tracing.engine import trace_case
from epitrace.tracing.policy import DEFAULT_POLICY
from epitrace.venues.models import Venue
from tests import factories
from tests.checkins.test_api import _token
from tests.tracing import factories as tf

postgresql_only = pytest.mark.parametrize("backend", ["postgresql"])


def _where(session: Session, presence_id: uuid.UUID) -> str:
    return str(
        session.scalar(
            text("SELECT tableoid::regclass::text FROM presence WHERE id = :id"),
            {"id": presence_id},
        )
    )


def _breach(session: Session, presence: Presence) -> QuarantineBreach:
    assert presence.person_id is not None
    order = QuarantineOrder(
        person_id=presence.person_id,
        kind=QuarantineKind.HOME,
        ward_code="26743",
        starts_at=presence.entered_at - timedelta(days=1),
        ends_at=presence.entered_at + timedelta(days=13),
        reason="f1",
    )
    session.add(order)
    session.flush()
    breach = QuarantineBreach(
        order_id=order.id,
        presence_id=presence.id,
        venue_id=presence.venue_id,
        ward_code="26743",
        entered_at=presence.entered_at,
    )
    session.add(breach)
    return breach


def _receipt(session: Session, presence: Presence, scanned_at: datetime) -> ScanReceipt:
    assert presence.person_id is not None
    receipt = ScanReceipt(
        person_id=presence.person_id,
        client_key=uuid.uuid4().hex,
        venue_id=presence.venue_id,
        scanned_at=scanned_at,
        outcome="checked_in",
        presence_id=presence.id,
    )
    session.add(receipt)
    return receipt


def _minutes(moment: datetime) -> float:
    return (moment - tf.T0).total_seconds() / 60


@postgresql_only
def test_the_job_makes_the_retention_window_and_a_week_ahead(
    db: Database, settings: Settings
) -> None:
    with db.session_scope() as s:
        partitions.create(s, date(2020, 1, 1))
    with db.session_scope() as s:
        outcome = tasks.keep_partitions(s, settings)
    with db.session_scope() as s:
        have = set(partitions.days(s))
    today = utcnow().date()
    window = {today + timedelta(days=n) for n in range(-settings.retention_days, 8)}
    assert window <= have, sorted(window - have)
    assert date(2020, 1, 1) not in have  # wholly past retention: dropped
    assert min(have) >= today - timedelta(days=settings.retention_days)
    assert "1 detached" in outcome
    with db.session_scope() as s:  # the next run drops the day's table; the one after: nothing
        assert "presence_p20200101" in partitions.detached_tables(s)
        assert tasks.keep_partitions(s, settings).startswith("0 day partitions made, 0 detached")
        assert partitions.detached_tables(s) == []
    with db.session_scope() as s:
        assert tasks.keep_partitions(s, settings) == (
            "0 day partitions made, 0 detached, 0 detached before dropped"
        )


@postgresql_only
def test_a_new_day_takes_its_rows_out_of_the_default_partition(db: Database) -> None:
    with db.session_scope() as s:
        factories.make_places(s)
        market, who = tf.venue(s), tf.person(s)
        stray = tf.presence(s, venue=market, who=who, start=0, end=None)
        stray.entered_at = datetime(2020, 2, 1, 9, 30, tzinfo=UTC)
        s.flush()
        assert _where(s, stray.id) == "presence_default"
        assert partitions.ensure(s, first=date(2020, 2, 1), last=date(2020, 2, 1)) == [
            date(2020, 2, 1)
        ]
        assert _where(s, stray.id) == "presence_p20200201"
        assert s.scalar(text("SELECT count(*) FROM presence_default")) == 0
        partitions.detach_before(
            s, cutoff=datetime(2020, 2, 2, tzinfo=UTC), unlink=case_service.delete_breaches_of
        )
        partitions.drop_detached(s)


@postgresql_only
def test_dropping_a_day_leaves_nothing_that_names_its_presences(db: Database) -> None:
    day, next_day = datetime(2020, 1, 1, 10, tzinfo=UTC), datetime(2020, 1, 2, 10, tzinfo=UTC)
    with db.session_scope() as s:
        partitions.ensure(s, first=day.date(), last=next_day.date())
        factories.make_places(s)
        market, who = tf.venue(s), tf.person(s)
        old = tf.presence(s, venue=market, who=who, start=_minutes(day), end=None)
        kept = tf.presence(s, venue=market, who=who, start=_minutes(next_day), end=None)
        _breach(s, old), _breach(s, kept)
        # a check-out scan the next day names the old presence; a scan of the kept one
        _receipt(s, old, next_day), _receipt(s, kept, next_day)
        old_id, kept_id = old.id, kept.id
    with db.session_scope() as s:
        dropped = partitions.detach_before(
            s, cutoff=datetime(2020, 1, 2, tzinfo=UTC), unlink=case_service.delete_breaches_of
        )
    assert dropped == [date(2020, 1, 1)]
    with db.session_scope() as s:
        assert date(2020, 1, 1) not in partitions.days(s)
        assert "presence_p20200101" in partitions.drop_detached(s)
        assert s.scalars(select(Presence.id)).all() == [kept_id]
        assert s.scalars(select(QuarantineBreach.presence_id)).all() == [kept_id]
        links = list(s.scalars(select(ScanReceipt.presence_id)))
        assert sorted(links, key=str) == sorted([None, kept_id], key=str)
        assert old_id not in links
        partitions.detach_before(
            s, cutoff=datetime(2020, 1, 3, tzinfo=UTC), unlink=case_service.delete_breaches_of
        )
        partitions.drop_detached(s)


def test_the_purge_leaves_no_breach_or_receipt_naming_a_purged_presence(
    db: Database, settings: Settings
) -> None:
    """On both databases: rows past retention go with what names them (no foreign key)."""
    long_ago = utcnow() - timedelta(days=settings.retention_days, hours=2)
    with db.session_scope() as s:
        factories.make_places(s)
        market, who = tf.venue(s), tf.person(s)
        old = tf.presence(s, venue=market, who=who, start=_minutes(long_ago), end=None)
        recent = tf.presence(s, venue=market, who=who, start=_minutes(utcnow()), end=None)
        _breach(s, old), _breach(s, recent)
        # a receipt still inside retention that names the old presence (its check-out)
        _receipt(s, old, utcnow() - timedelta(days=1)), _receipt(s, recent, utcnow())
        recent_id = recent.id
    with db.session_scope() as s:
        tasks.purge_old(s, settings)
    with db.session_scope() as s:
        assert s.scalars(select(Presence.id)).all() == [recent_id]
        assert s.scalars(select(QuarantineBreach.presence_id)).all() == [recent_id]
        assert sorted(s.scalars(select(ScanReceipt.presence_id)), key=str) == sorted(
            [None, recent_id], key=str
        )


@postgresql_only
def test_an_offline_scan_dated_yesterday_is_stored_in_its_day(
    client: TestClient,
    db: Database,
    settings: Settings,
    citizen: Any,
    operator: Callable[..., Any],
    keyring: Keyring,
) -> None:
    with db.session_scope() as s:
        tasks.keep_partitions(s, settings)
    token = _token(db, keyring, operator()["venue_id"])
    at = utcnow() - timedelta(hours=20)
    scan = {"client_key": "k-offline-0001", "token": token, "at": at.isoformat()}
    body = client.post("/api/v1/checkins/batch", json={"scans": [scan]}, headers=citizen()).json()
    assert body["accepted"] == 1, body
    [presence_id] = body["results"][0]["presence_ids"]
    with db.session_scope() as s:
        assert _where(s, uuid.UUID(presence_id)) == partitions.partition_name(at.date())


# -- partition pruning -------------------------------------------------------------------

MARCH = [date(2026, 3, 1) + timedelta(days=n) for n in range(31)]


@pytest.fixture
def march(db: Database) -> Iterator[None]:
    """Day partitions for March 2026, so that a read's days can be told from the others."""
    with db.session_scope() as s:
        partitions.ensure(s, first=MARCH[0], last=MARCH[-1])
    yield


def _statements(db: Database, run: Callable[[Session], object]) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []

    def record(_c: Any, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "presence" in statement and not statement.lstrip().startswith(("UPDATE", "DELETE")):
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        with db.sessionmaker() as s:
            run(s)
            s.rollback()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return seen


def _days_read(db: Database, statement: str, parameters: Any) -> set[str]:
    with db.engine.connect() as conn:
        plan = "\n".join(
            str(r[0]) for r in conn.exec_driver_sql("EXPLAIN " + statement, parameters)
        )
    return set(re.findall(r" on (presence_(?:p\d{8}|default))\b", plan))


def _names(first: date, last: date) -> set[str]:
    return {partitions.partition_name(d) for d in MARCH if first <= d <= last}


@postgresql_only
def test_tracing_reads_only_the_partitions_of_the_case_window(db: Database, march: None) -> None:
    onset = datetime(2026, 3, 15, 8, tzinfo=UTC)
    with db.session_scope() as s:
        factories.make_places(s)
        f0 = tf.person(s, "F0")
        case_id = tf.case(s, who=f0, sampled=_minutes(onset), onset=_minutes(onset)).id

    def run(s: Session) -> None:
        case = s.get(Case, case_id)
        assert case is not None
        trace_case(s, case=case, policy=DEFAULT_POLICY, as_of=datetime(2026, 3, 18, tzinfo=UTC))

    reads = [r for r in _statements(db, run) if "INSERT INTO contact_link" in r[0]]
    assert len(reads) == 2  # F1 and F2
    # window: 2 days before onset until as_of; candidates up to the policy's cap (72 h) before
    expected = _names(date(2026, 3, 10), date(2026, 3, 18))
    for statement, parameters in reads:
        read = _days_read(db, statement, parameters)
        assert read, statement
        assert read <= expected, sorted(read - expected)
        assert "presence_default" not in read


@postgresql_only
def test_the_door_log_reads_only_the_partitions_of_its_day(db: Database, march: None) -> None:
    with db.session_scope() as s:
        factories.make_places(s)
        venue_id = tf.venue(s).id

    def run(s: Session) -> None:
        venue = s.get(Venue, venue_id)
        assert venue is not None
        checkin_service.door_log(
            s, venue=venue, day=date(2026, 3, 15), now=datetime(2026, 3, 15, 9, tzinfo=UTC)
        )

    statements = _statements(db, run)
    log = [r for r in statements if "LIMIT" in r[0]]
    inside = [r for r in statements if "count(*)" in r[0]]
    assert len(log) == len(inside) == 1
    # the local day (UTC+7) starts on the 14th at 17:00 UTC; exits of stays begun 2 days before
    assert _days_read(db, *log[0]) == _names(date(2026, 3, 12), date(2026, 3, 15))
    assert _days_read(db, *inside[0]) == _names(date(2026, 3, 13), date(2026, 3, 15))


@postgresql_only
def test_the_counts_export_reads_only_the_partitions_of_its_day(db: Database, march: None) -> None:
    def run(s: Session) -> None:
        checkin_service.counts(s, day=date(2026, 3, 15), area_paths=[None])

    statements = _statements(db, run)
    assert len(statements) == 2
    for statement, parameters in statements:
        read = _days_read(db, statement, parameters)
        assert read == _names(date(2026, 3, 14), date(2026, 3, 15)), read


@postgresql_only
def test_a_presence_keeps_its_partition_when_it_is_closed(db: Database) -> None:
    """The check-in sets `left_at`; `entered_at`, the partition key, never changes."""
    with db.session_scope() as s:
        factories.make_places(s)
        market, who = tf.venue(s), tf.person(s)
        p = tf.presence(s, venue=market, who=who, start=_minutes(utcnow()), end=None)
        before = _where(s, p.id)
        checkin_service.check_out(s, person_id=who.id, presence_id=p.id, at=utcnow())
        s.flush()
        assert p.left_at is not None
        assert _where(s, p.id) == before
        assert s.scalar(select(func.count()).select_from(Presence)) == 1
