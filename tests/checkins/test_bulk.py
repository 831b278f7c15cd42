"""Bulk ingestion of offline batches gives what applying the scans one by one gives.

Two people with the same history: one's batches go through `sync_batch` (one scan at a time),
the other's through `ingest_batch`; results and stored rows must be the same, on random
batches with resends, scans older than earlier batches' (interleavings), dependents, forged
codes, stale and future scans and daily budgets. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epitrace.accounts import service as account_service
from epitrace.accounts.models import Person
from epitrace.checkins import service as checkin_service
from epitrace.checkins.models import Presence, ScanReceipt
from epitrace.errors import InvalidInput
from epitrace.security.keys import Keyring
from epitrace.venues import service as venue_service
from epitrace.venues.models import VenueCategory
from tests.sql import statements_sent
from tests.venues import factories as venue_factories

VENUES = ("market", "school", "station")


@pytest.fixture
def ring(tmp_path_factory: pytest.TempPathFactory) -> Keyring:
    return Keyring(tmp_path_factory.getbasetemp() / "checkin-bulk-keys")


def _venues(session: Session) -> dict[str, Any]:
    out = {
        "market": venue_factories.venue(session, name="Chợ Bến Thành"),
        "school": venue_factories.venue(
            session, name="Trường Văn Lang", category=VenueCategory.SCHOOL
        ),
        "station": venue_factories.venue(
            session, name="Bến xe Miền Đông", category=VenueCategory.STATION
        ),
    }
    session.flush()
    return out


def _family(session: Session, name: str) -> tuple[uuid.UUID, uuid.UUID]:
    person = Person(full_name=name)
    session.add(person)
    session.flush()
    child = account_service.add_dependent(
        session, guardian_id=person.id, full_name=f"Con {name}", birth_year=2018, relationship="con"
    )
    return person.id, child.id


scan_specs = st.tuples(
    st.sampled_from([*VENUES, *VENUES, "forged"]),  # which code
    st.one_of(  # minutes before now, or None: soon after the scan before it
        st.none(), st.none(), st.integers(0, 36 * 60)
    ),
    st.integers(0, 179),  # seconds: before now, or after the scan before it
    st.sampled_from(["alone", "alone", "child", "stranger"]),
    st.booleans(),  # resend an earlier scan instead (when there is one)
)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    batches=st.lists(st.lists(scan_specs, min_size=1, max_size=12), min_size=1, max_size=4),
    budget=st.one_of(st.none(), st.none(), st.integers(0, 6)),
    picks=st.randoms(use_true_random=False),
)
def test_bulk_ingestion_equals_one_scan_at_a_time(
    session: Session,
    places: Any,
    ring: Keyring,
    batches: list[list[tuple[str, int | None, int, str, bool]]],
    budget: int | None,
    picks: Any,
) -> None:
    _compare(session, ring, batches, budget, picks)


def test_a_dependents_visit_is_not_the_guardians(
    session: Session, places: Any, ring: Keyring
) -> None:
    """Mai and her child at the market; Mai alone to school; both to the station (the child
    leaves the market then); Mai back at the market within the minute: a new visit, since her
    own last visit there ended long before."""
    batch = [
        ("market", 300, 0, "child", False),
        ("school", None, 120, "alone", False),
        ("station", None, 120, "child", False),
        ("market", None, 30, "alone", False),
    ]
    _compare(session, ring, [batch], None, random.Random(0))


def _compare(
    session: Session,
    ring: Keyring,
    batches: list[list[tuple[str, int | None, int, str, bool]]],
    budget: int | None,
    picks: Any,
) -> None:
    session.rollback()
    session.begin_nested()
    venues = _venues(session)
    now = datetime.now(UTC).replace(microsecond=0)
    tokens = {name: venue_service.token_for(ring, v) for name, v in venues.items()}
    tokens["forged"] = tokens["market"][:-3] + ("AAA" if tokens["market"][-3:] != "AAA" else "BBB")
    families = {"one": _family(session, "Lần lượt"), "bulk": _family(session, "Một lần")}
    stranger = uuid.uuid4()
    sent: list[tuple[str, str, datetime, str]] = []
    last = now - timedelta(hours=6)
    seen: dict[str, list[Any]] = {"one": [], "bulk": []}
    for number, batch in enumerate(batches):
        specs: list[tuple[str, str, datetime, str]] = []
        for index, (code, minutes, seconds, who, resend) in enumerate(batch):
            if resend and sent:
                again = picks.choice(sent)
                if again[0] not in {s[0] for s in specs}:
                    specs.append(again)
                continue
            if minutes is None:
                at = last + timedelta(seconds=seconds)
            else:
                at = now - timedelta(minutes=minutes, seconds=seconds) + timedelta(minutes=10)
            last = at
            specs.append((f"k{number}-{index:02d}", code, at, who))
        sent.extend(specs)
        for way, apply in (
            ("one", checkin_service.sync_batch),
            ("bulk", checkin_service.ingest_batch),
        ):
            person_id, child_id = families[way]
            dependents = {"alone": (), "child": (child_id,), "stranger": (stranger,)}
            scans = [
                checkin_service.ScanIn(f"{way}-{key}", tokens[code], at, dependents[who])
                for key, code, at, who in specs
            ]
            results = apply(
                session,
                keyring=ring,
                person_id=person_id,
                scans=scans,
                now=now,
                retention_days=21,
                device_id="phone",
                max_age=timedelta(hours=30),
                budget=budget,
            )
            seen[way].append(results)
    assert _normalised(session, families["one"], seen["one"]) == _normalised(
        session, families["bulk"], seen["bulk"]
    )
    session.rollback()


def _normalised(
    session: Session, family: tuple[uuid.UUID, uuid.UUID], batches: list[Any]
) -> dict[str, Any]:
    """Results and rows of one person, with ids and client-key prefixes replaced."""
    person_id, child_id = family
    role = {person_id: "person", child_id: "child"}
    presences = list(
        session.scalars(
            select(Presence)
            .where(Presence.person_id.in_(role))
            .order_by(Presence.entered_at, Presence.person_id == child_id, Presence.venue_id)
        )
    )

    def key(value: str | None) -> str | None:
        return value.split("-", 1)[1] if value else None

    label = {
        p.id: (role[p.person_id], p.venue_id, p.entered_at, key(p.client_key))
        for p in presences
        if p.person_id is not None
    }
    receipts = session.scalars(
        select(ScanReceipt)
        .where(ScanReceipt.person_id == person_id)
        .order_by(ScanReceipt.client_key)
    )
    return {
        "results": [
            [
                (
                    key(r.client_key),
                    r.status,
                    r.outcome,
                    r.reason,
                    r.venue_id,
                    [label.get(p, p) for p in r.presence_ids],
                )
                for r in results
            ]
            for results in batches
        ],
        "presences": sorted(
            ((label[p.id], p.left_at, p.close_reason, p.method, p.device_id) for p in presences),
            key=repr,  # rows alike but for the client key come in either order
        ),
        "receipts": [
            (
                key(r.client_key),
                r.venue_id,
                r.scanned_at,
                r.outcome,
                label.get(r.presence_id) if r.presence_id else None,
            )
            for r in receipts
        ],
    }


def test_bulk_refuses_duplicate_keys_and_takes_an_empty_batch(
    session: Session, places: Any, ring: Keyring
) -> None:
    venues = _venues(session)
    person_id, _ = _family(session, "Trống")
    now = datetime.now(UTC)
    kw: dict[str, Any] = {"keyring": ring, "person_id": person_id, "now": now, "retention_days": 21}
    assert checkin_service.ingest_batch(session, scans=[], **kw) == []
    scan = checkin_service.ScanIn(
        "same-key-1", venue_service.token_for(ring, venues["market"]), now
    )
    with pytest.raises(InvalidInput):
        checkin_service.ingest_batch(session, scans=[scan, scan], **kw)


def test_bulk_writes_a_batch_in_a_few_statements(
    session: Session, places: Any, ring: Keyring
) -> None:
    venues = _venues(session)
    person_id, _ = _family(session, "Nhanh")
    now = datetime.now(UTC)
    tokens = [venue_service.token_for(ring, v) for v in venues.values()]
    scans = [
        checkin_service.ScanIn(
            f"fast-{i:03d}", tokens[i % 3], now - timedelta(minutes=5 * (60 - i))
        )
        for i in range(60)
    ]
    with statements_sent(session.get_bind()) as statements:
        results = checkin_service.ingest_batch(
            session, keyring=ring, person_id=person_id, scans=scans, now=now, retention_days=21
        )
    assert [r.outcome for r in results] == ["checked_in"] * 60
    assert len(statements) <= 15, statements  # one by one: 13 a scan
    stored = session.scalar(
        select(func.count()).select_from(Presence).where(Presence.person_id == person_id)
    )
    assert stored == 60
