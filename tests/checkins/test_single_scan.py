"""A single check-in reads what it needs in few statements, on SQLite and PostgreSQL.

The lock on the people also asks who is under a quarantine order (PostgreSQL), and the open
presences come with the last closed presence at the venue: a check-in that closes the
previous visit elsewhere is the venue, the lock, the presences, and the two writes.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from epitrace.accounts.models import Person
from epitrace.checkins import flows
from epitrace.checkins.models import CloseReason
from epitrace.checkins.service import Outcome
from epitrace.security.keys import Keyring
from epitrace.venues import service as venue_service
from epitrace.venues.models import VenueCategory
from tests.venues import factories as venue_factories


@pytest.fixture
def ring(tmp_path_factory: pytest.TempPathFactory) -> Keyring:
    return Keyring(tmp_path_factory.getbasetemp() / "single-scan-keys")


def test_a_check_in_that_closes_the_previous_visit_takes_five_statements(
    session: Session, places: Any, ring: Keyring
) -> None:
    market = venue_factories.venue(session, name="Chợ Bến Thành")
    school = venue_factories.venue(session, name="Trường Văn Lang", category=VenueCategory.SCHOOL)
    person = Person(full_name="Nhanh")
    session.add(person)
    session.flush()
    now = datetime.now(UTC)
    scan: dict[str, Any] = {"keyring": ring, "person_id": person.id}
    first = flows.self_scan(
        session, token=venue_service.token_for(ring, market), at=now - timedelta(minutes=20), **scan
    )
    assert first.outcome == Outcome.CHECKED_IN
    token = venue_service.token_for(ring, school)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        result = flows.self_scan(session, token=token, at=now, **scan)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert result.outcome == Outcome.CHECKED_IN
    assert first.presences[0].close_reason is CloseReason.NEXT_CHECKIN
    # venue, lock (+ quarantine orders), presences, UPDATE, INSERT; SQLite asks the
    # quarantine orders on their own (7 and 7 before)
    expected = 5 if session.get_bind().dialect.name == "postgresql" else 6
    assert len(statements) == expected, statements


def test_a_second_scan_within_a_minute_of_a_check_out_is_the_same_check_out(
    session: Session, places: Any, ring: Keyring
) -> None:
    market = venue_factories.venue(session, name="Chợ Bến Thành")
    person = Person(full_name="Hai Lần")
    session.add(person)
    session.flush()
    token = venue_service.token_for(ring, market)
    start = datetime.now(UTC) - timedelta(minutes=30)
    scan: dict[str, Any] = {"keyring": ring, "person_id": person.id, "token": token}
    assert flows.self_scan(session, at=start, **scan).outcome == Outcome.CHECKED_IN
    out = flows.self_scan(session, at=start + timedelta(minutes=10), **scan)
    assert out.outcome == Outcome.CHECKED_OUT
    again = flows.self_scan(session, at=start + timedelta(minutes=10, seconds=30), **scan)
    assert again.outcome == Outcome.ALREADY_OUT
    assert again.presences[0].id == out.presences[0].id
    later = flows.self_scan(session, at=start + timedelta(minutes=12), **scan)
    assert later.outcome == Outcome.CHECKED_IN
    assert later.presences[0].id not in {out.presences[0].id, uuid.UUID(int=0)}
