"""A single check-in reads what it needs in few statements, on SQLite and PostgreSQL.

The lock on the people also asks who is under a quarantine order (PostgreSQL), and the open
presences come with the last closed presence at the venue: a check-in that closes the
previous visit elsewhere is the venue, the lock, the presences, and the two writes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from epitrace.accounts.models import Person
from epitrace.checkins import flows, policy
from epitrace.checkins.models import CloseReason, Presence, PresenceMethod
from epitrace.checkins.service import Outcome
from epitrace.security.keys import Keyring
from epitrace.venues import service as venue_service
from epitrace.venues.models import VenueCategory
from tests.sql import statements_sent
from tests.venues import factories as venue_factories


@pytest.fixture
def ring(tmp_path_factory: pytest.TempPathFactory) -> Keyring:
    return Keyring(tmp_path_factory.getbasetemp() / "single-scan-keys")


def _statements(session: Session, **scan: Any) -> tuple[Any, list[str]]:
    with statements_sent(session.get_bind()) as statements:
        result = flows.self_scan(session, **scan)
    return result, statements


def _market_school_and(session: Session, name: str) -> tuple[Any, Any, Person]:
    market = venue_factories.venue(session, name="Chợ Bến Thành")
    school = venue_factories.venue(session, name="Trường Văn Lang", category=VenueCategory.SCHOOL)
    person = Person(full_name=name)
    session.add(person)
    session.flush()
    return market, school, person


def test_a_check_in_that_closes_the_previous_visit_takes_five_statements_on_postgresql(
    session: Session, places: Any, ring: Keyring
) -> None:
    market, school, person = _market_school_and(session, "Nhanh")
    now = datetime.now(UTC)
    scan: dict[str, Any] = {"keyring": ring, "person_id": person.id}
    first = flows.self_scan(
        session, token=venue_service.token_for(ring, market), at=now - timedelta(minutes=20), **scan
    )
    assert first.outcome == Outcome.CHECKED_IN
    token = venue_service.token_for(ring, school)
    result, statements = _statements(session, token=token, at=now, **scan)
    assert result.outcome == Outcome.CHECKED_IN
    assert first.presences[0].close_reason is CloseReason.NEXT_CHECKIN
    # venue, lock (+ quarantine orders), presences, UPDATE, INSERT; SQLite asks the
    # quarantine orders on their own (7 and 7 before)
    expected = 5 if session.get_bind().dialect.name == "postgresql" else 6
    assert len(statements) == expected, statements


def test_a_check_in_with_a_client_key_adds_its_receipt_and_no_savepoint(
    session: Session, places: Any, ring: Keyring
) -> None:
    # the web app sends a key with every scan: the receipt is looked for after the lock (a
    # resend waits for the first sending there) and written with the presence; no savepoint
    # and no look-up before the lock (9 statements on PostgreSQL before, 2 of them savepoints)
    market, school, person = _market_school_and(session, "Có Khoá")
    now = datetime.now(UTC)
    scan: dict[str, Any] = {"keyring": ring, "person_id": person.id}
    flows.self_scan(
        session,
        token=venue_service.token_for(ring, market),
        at=now - timedelta(minutes=20),
        client_key="k-first-scan-01",
        **scan,
    )
    token = venue_service.token_for(ring, school)
    result, statements = _statements(
        session, token=token, at=now, client_key="k-second-scan-02", **scan
    )
    assert result.outcome == Outcome.CHECKED_IN
    assert not any("SAVEPOINT" in sql.upper() for sql in statements), statements
    # venue, lock, receipt, presences, UPDATE, INSERT presence, INSERT receipt
    expected = 7 if session.get_bind().dialect.name == "postgresql" else 8
    assert len(statements) == expected, statements
    again, statements = _statements(
        session, token=token, at=now, client_key="k-second-scan-02", **scan
    )
    assert again.duplicate and again.presences[0].id == result.presences[0].id


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
    assert later.presences[0].id != out.presences[0].id


def test_a_visit_forgotten_past_its_dwell_time_is_no_check_out_of_a_new_scan(
    session: Session, places: Any, ring: Keyring
) -> None:
    # closed by the scan itself (dwell time) a moment after it ended: a new visit, not the
    # check-out of a minute ago
    market = venue_factories.venue(session, name="Chợ Bến Thành")
    person = Person(full_name="Quên Về")
    session.add(person)
    session.flush()
    token = venue_service.token_for(ring, market)
    start = datetime.now(UTC) - timedelta(days=1)
    scan: dict[str, Any] = {"keyring": ring, "person_id": person.id, "token": token}
    first = flows.self_scan(session, at=start, **scan)
    assert first.outcome == Outcome.CHECKED_IN
    ended = policy.auto_leave_time(market.category, start)
    again = flows.self_scan(session, at=ended + timedelta(seconds=20), **scan)
    assert again.outcome == Outcome.CHECKED_IN
    assert first.presences[0].close_reason is CloseReason.DWELL_TIMEOUT
    assert first.presences[0].left_at == ended


def test_the_last_closed_presence_here_counts_one_closed_by_the_scan_itself(
    session: Session, places: Any, ring: Keyring
) -> None:
    # a check-out here at `left`, and a visit here (entered before it, e.g. from the door)
    # still open whose dwell time ends after it: that one, closed by the scan, is the last
    # closed presence here, and a dwell-time end is no check-out: a new visit
    market = venue_factories.venue(session, name="Chợ Bến Thành")
    person = Person(full_name="Hai Cửa")
    session.add(person)
    session.flush()
    left = datetime.now(UTC) - timedelta(hours=2)
    dwell = policy.auto_leave_time(market.category, left) - left
    common: dict[str, Any] = {
        "venue_id": market.id,
        "ward_code": market.ward_code,
        "person_id": person.id,
    }
    out = Presence(
        **common,
        entered_at=left - timedelta(minutes=30),
        left_at=left,
        close_reason=CloseReason.CHECKOUT,
        method=PresenceMethod.SELF_SCAN,
    )
    forgotten = Presence(
        **common, entered_at=left + timedelta(seconds=10) - dwell, method=PresenceMethod.DOOR_SCAN
    )
    session.add_all([out, forgotten])
    session.flush()
    token = venue_service.token_for(ring, market)
    result = flows.self_scan(
        session, keyring=ring, person_id=person.id, token=token, at=left + timedelta(seconds=40)
    )
    assert forgotten.close_reason is CloseReason.DWELL_TIMEOUT
    assert result.outcome == Outcome.CHECKED_IN


def test_a_warm_check_in_builds_no_statement(session: Session, places: Any, ring: Keyring) -> None:
    # building a statement and its cache key cost a check-in more Python than running it:
    # the token's principal, the venue, the lock (with its quarantine question), the
    # presences and the receipt are built once and only bound per scan
    from epitrace.accounts import service as account_service
    from epitrace.accounts.models import UserAccount
    from tests.sql import selects_built

    market, school, person = _market_school_and(session, "Không Dựng Lại")
    account = UserAccount(kind="citizen", phone="+84900000777", person_id=person.id)
    session.add(account)
    session.flush()
    token, _ = account_service.issue_token(session, account=account, ttl_seconds=600)
    now = datetime.now(UTC)
    scan: dict[str, Any] = {"keyring": ring, "person_id": person.id}
    account_service.principal_for_token(session, token=token)
    flows.self_scan(
        session,
        token=venue_service.token_for(ring, market),
        at=now - timedelta(minutes=20),
        client_key="k-warm-up-scan-1",
        **scan,
    )
    school_token = venue_service.token_for(ring, school)
    with selects_built() as built:
        principal = account_service.principal_for_token(session, token=token)
        result = flows.self_scan(
            session, token=school_token, at=now, client_key="k-second-scan-1", **scan
        )
    assert principal is not None and principal.person_id == person.id
    assert result.outcome == Outcome.CHECKED_IN
    if session.get_bind().dialect.name == "postgresql":
        assert built == []
    else:
        # SQLite asks for quarantine orders on their own (see `_lock_people`)
        assert built and all("cases/service.py" in line for line in built), built
