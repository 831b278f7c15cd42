"""Presence rules: one open presence, toggling check-out, dwell timeout, idempotent batches."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epitrace.accounts import service as account_service
from epitrace.accounts.models import Person
from epitrace.checkins import policy
from epitrace.checkins import service as checkin_service
from epitrace.checkins.identity import PROVINCE_CODES, normalise_cccd
from epitrace.checkins.models import CloseReason, Presence, ScanReceipt
from epitrace.errors import Conflict, InvalidInput, NotFound
from epitrace.security.keys import Keyring
from epitrace.venues import service as venue_service
from epitrace.venues.models import VenueCategory
from tests.venues import factories as venue_factories

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


@pytest.fixture
def ring(tmp_path_factory: pytest.TempPathFactory) -> Keyring:
    return Keyring(tmp_path_factory.getbasetemp() / "checkin-service-keys")


@pytest.fixture
def world(session: Session, places: Any) -> dict[str, Any]:
    person = Person(full_name="Nguyễn Thị Mai", phone="+84912345678")
    session.add(person)
    session.flush()
    child = account_service.add_dependent(
        session,
        guardian_id=person.id,
        full_name="Nguyễn Văn Tí",
        birth_year=2018,
        relationship="con",
    )
    market = venue_factories.venue(session, name="Chợ Bến Thành")
    school = venue_factories.venue(session, name="Trường Văn Lang", category=VenueCategory.SCHOOL)
    session.flush()
    return {"person": person, "child": child, "market": market, "school": school}


def _scan(session: Session, world: dict[str, Any], venue: str, at: datetime, **kw: Any) -> Any:
    return checkin_service.scan(
        session, venue=world[venue], person_id=world["person"].id, at=at, **kw
    )


def _count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Presence)) or 0)


def test_scan_twice_within_a_minute_is_one_presence(
    session: Session, world: dict[str, Any]
) -> None:
    first = _scan(session, world, "market", T0)
    again = _scan(session, world, "market", T0 + timedelta(seconds=59))
    assert first.outcome == checkin_service.Outcome.CHECKED_IN
    assert again.outcome == checkin_service.Outcome.ALREADY_IN
    assert again.presences[0].id == first.presences[0].id
    assert _count(session) == 1


def test_scanning_again_later_checks_out_and_a_quick_rescan_does_not_reopen(
    session: Session, world: dict[str, Any]
) -> None:
    _scan(session, world, "market", T0)
    out = _scan(session, world, "market", T0 + timedelta(minutes=30))
    assert out.outcome == checkin_service.Outcome.CHECKED_OUT
    assert out.presences[0].left_at == T0 + timedelta(minutes=30)
    assert out.presences[0].close_reason is CloseReason.CHECKOUT
    shaky = _scan(session, world, "market", T0 + timedelta(minutes=30, seconds=20))
    assert shaky.outcome == checkin_service.Outcome.ALREADY_OUT
    assert _count(session) == 1
    back = _scan(session, world, "market", T0 + timedelta(minutes=45))
    assert back.outcome == checkin_service.Outcome.CHECKED_IN
    assert _count(session) == 2


def test_checking_in_elsewhere_closes_the_open_presence(
    session: Session, world: dict[str, Any]
) -> None:
    first = _scan(session, world, "market", T0).presences[0]
    _scan(session, world, "school", T0 + timedelta(minutes=20))
    assert first.left_at == T0 + timedelta(minutes=20)
    assert first.close_reason is CloseReason.NEXT_CHECKIN
    open_count = session.scalar(
        select(func.count()).select_from(Presence).where(Presence.left_at.is_(None))
    )
    assert open_count == 1


def test_dwell_time_ends_a_forgotten_presence(session: Session, world: dict[str, Any]) -> None:
    first = _scan(session, world, "market", T0).presences[0]
    dwell = policy.dwell(VenueCategory.MARKET)
    later = _scan(session, world, "market", T0 + dwell + timedelta(hours=1))
    assert later.outcome == checkin_service.Outcome.CHECKED_IN  # a new visit, not a check-out
    assert first.left_at == T0 + dwell
    assert first.close_reason is CloseReason.DWELL_TIMEOUT


def test_every_category_has_a_dwell_time() -> None:
    assert set(policy.DWELL_MINUTES) == set(VenueCategory)
    assert all(15 <= m <= 24 * 60 for m in policy.DWELL_MINUTES.values())


def test_dependents_check_in_and_out_with_their_guardian(
    session: Session, world: dict[str, Any]
) -> None:
    result = _scan(session, world, "market", T0, dependent_ids=[world["child"].id])
    assert {p.person_id for p in result.presences} == {world["person"].id, world["child"].id}
    closed = checkin_service.check_out(
        session,
        person_id=world["person"].id,
        presence_id=result.presences[0].id,
        at=T0 + timedelta(minutes=10),
    )
    assert len(closed) == 2
    assert all(p.left_at == T0 + timedelta(minutes=10) for p in closed)


def test_someone_elses_dependent_is_refused(session: Session, world: dict[str, Any]) -> None:
    stranger = Person(full_name="Người lạ")
    session.add(stranger)
    session.flush()
    with pytest.raises(NotFound):
        _scan(session, world, "market", T0, dependent_ids=[stranger.id])


def test_check_out_of_someone_elses_visit_is_not_found(
    session: Session, world: dict[str, Any]
) -> None:
    presence = _scan(session, world, "market", T0).presences[0]
    stranger = Person(full_name="Người lạ")
    session.add(stranger)
    session.flush()
    with pytest.raises(NotFound):
        checkin_service.check_out(session, person_id=stranger.id, presence_id=presence.id, at=T0)


def test_door_exit_needs_an_open_presence(session: Session, world: dict[str, Any]) -> None:
    with pytest.raises(Conflict):
        _scan(session, world, "market", T0, direction="out")


def _token(ring: Keyring, world: dict[str, Any], venue: str = "market") -> str:
    return venue_service.token_for(ring, world[venue])


def test_a_resent_batch_creates_nothing_twice(
    session: Session, world: dict[str, Any], ring: Keyring
) -> None:
    now = datetime.now(UTC)
    scans = [
        checkin_service.ScanIn("key-0001-in", _token(ring, world), now - timedelta(hours=3)),
        checkin_service.ScanIn("key-0002-out", _token(ring, world), now - timedelta(hours=2)),
        checkin_service.ScanIn(
            "key-0003-in", _token(ring, world, "school"), now - timedelta(hours=1)
        ),
    ]
    first = checkin_service.sync_batch(
        session, keyring=ring, person_id=world["person"].id, scans=scans, now=now, retention_days=21
    )
    assert [r.status for r in first] == ["accepted"] * 3
    assert [r.outcome for r in first] == ["checked_in", "checked_out", "checked_in"]
    presences = _count(session)
    # the phone did not get the answer and sends everything again, plus one new scan
    again = checkin_service.sync_batch(
        session,
        keyring=ring,
        person_id=world["person"].id,
        scans=[*scans, checkin_service.ScanIn("key-0004-out", _token(ring, world, "school"), now)],
        now=now,
        retention_days=21,
    )
    assert [r.status for r in again] == ["duplicate"] * 3 + ["accepted"]
    assert [r.outcome for r in again[:3]] == ["checked_in", "checked_out", "checked_in"]
    assert again[3].outcome == "checked_out"
    assert _count(session) == presences == 2
    assert session.scalar(select(func.count()).select_from(ScanReceipt)) == 4


def test_too_old_future_and_bad_scans_are_refused_one_by_one(
    session: Session, world: dict[str, Any], ring: Keyring
) -> None:
    now = datetime.now(UTC)
    scans = [
        checkin_service.ScanIn("old-scan-1", _token(ring, world), now - timedelta(days=22)),
        checkin_service.ScanIn("future-scan", _token(ring, world), now + timedelta(minutes=10)),
        checkin_service.ScanIn("skewed-scan", _token(ring, world), now + timedelta(minutes=2)),
        checkin_service.ScanIn("broken-scan", "garbage!", now - timedelta(minutes=5)),
    ]
    results = checkin_service.sync_batch(
        session, keyring=ring, person_id=world["person"].id, scans=scans, now=now, retention_days=21
    )
    assert [(r.status, r.reason) for r in results] == [
        ("refused", "too_old"),
        ("refused", "future"),
        ("accepted", None),
        ("refused", "malformed"),
    ]
    assert _count(session) == 1


def test_duplicate_keys_inside_one_batch_are_bad_input(
    session: Session, world: dict[str, Any], ring: Keyring
) -> None:
    now = datetime.now(UTC)
    scan = checkin_service.ScanIn("same-key-1", _token(ring, world), now)
    with pytest.raises(InvalidInput):
        checkin_service.sync_batch(
            session,
            keyring=ring,
            person_id=world["person"].id,
            scans=[scan, scan],
            now=now,
            retention_days=21,
        )


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(["market", "school"]), st.integers(0, 600)),
        min_size=1,
        max_size=8,
    ),
    resend=st.integers(0, 8),
)
def test_property_at_most_one_open_presence_and_resends_are_idempotent(
    session: Session,
    world: dict[str, Any],
    ring: Keyring,
    steps: list[tuple[str, int]],
    resend: int,
) -> None:
    session.rollback()
    session.begin_nested()
    now = datetime.now(UTC)
    at = now - timedelta(days=1)
    scans = []
    for index, (venue, gap) in enumerate(steps):
        at += timedelta(seconds=gap)
        scans.append(checkin_service.ScanIn(f"prop-{index:04d}", _token(ring, world, venue), at))
    person_id = world["person"].id
    kw = {"keyring": ring, "person_id": person_id, "now": now, "retention_days": 21}
    checkin_service.sync_batch(session, scans=scans, **kw)  # type: ignore[arg-type]
    before = _count(session)
    checkin_service.sync_batch(session, scans=scans[:resend], **kw)  # type: ignore[arg-type]
    assert _count(session) == before
    open_count = session.scalar(
        select(func.count())
        .select_from(Presence)
        .where(Presence.person_id == person_id, Presence.left_at.is_(None))
    )
    assert (open_count or 0) <= 1
    for presence in session.scalars(select(Presence).where(Presence.left_at.is_not(None))):
        assert presence.left_at is not None and presence.left_at >= presence.entered_at
    session.rollback()


def test_manual_entry_validates_and_reuses_the_visitor(
    session: Session, world: dict[str, Any]
) -> None:
    recorder = account_service.create_staff(
        session, username="cua", password="correct-horse-battery", grants=[], granter=None
    )
    with pytest.raises(InvalidInput) as info:
        checkin_service.manual_entry(
            session,
            venue=world["market"],
            full_name="",
            phone="12345",
            id_number="999123456789",
            at=T0,
            recorded_by=recorder.id,
        )
    assert set(info.value.fields) == {"full_name", "phone", "id_number"}
    with pytest.raises(InvalidInput) as info:
        checkin_service.manual_entry(
            session,
            venue=world["market"],
            full_name="Bà Tư",
            phone="",
            id_number="",
            at=T0,
            recorded_by=recorder.id,
        )
    assert set(info.value.fields) == {"phone"}
    first = checkin_service.manual_entry(
        session,
        venue=world["market"],
        full_name="  Trần   Văn Tư ",
        phone="0912 345 679",
        id_number="079 090 001 234",
        at=T0,
        recorded_by=recorder.id,
    )
    again = checkin_service.manual_entry(
        session,
        venue=world["market"],
        full_name="Trần Văn Tư",
        phone=None,
        id_number="079090001234",
        at=T0 + timedelta(minutes=1),
        recorded_by=recorder.id,
    )
    assert again.id == first.id  # still inside: not entered twice
    assert checkin_service.visitor_name(session, first) == "Trần Văn Tư"


@given(
    province=st.sampled_from(sorted(PROVINCE_CODES)),
    rest=st.text(alphabet="0123456789", min_size=9, max_size=9),
)
def test_cccd_accepts_province_codes(province: str, rest: str) -> None:
    assert normalise_cccd(f" {province}.{rest} ") == province + rest


@given(st.text(max_size=20))
def test_cccd_refuses_anything_else(raw: str) -> None:
    digits = re.sub(r"[\s.\-]", "", raw)
    if re.fullmatch("[0-9]{12}", digits) and digits[:3] in PROVINCE_CODES:
        assert normalise_cccd(raw) == digits
    else:
        with pytest.raises(InvalidInput):
            normalise_cccd(raw)


def test_cccd_refuses_unknown_province_codes() -> None:
    for prefix in ("000", "003", "097", "123"):
        with pytest.raises(InvalidInput):
            normalise_cccd(prefix + "090001234")


def test_jobs_close_forgotten_presences_and_delete_old_ones(
    session: Session, world: dict[str, Any], settings: Any
) -> None:
    from epitrace.checkins import tasks

    now = datetime.now(UTC)
    old = _scan(session, world, "market", now - timedelta(days=30)).presences[0]
    session.add(
        ScanReceipt(
            person_id=world["person"].id,
            client_key="old-receipt",
            venue_id=world["market"].id,
            scanned_at=now - timedelta(days=30),
            outcome="checked_in",
            presence_id=old.id,
        )
    )
    recent = _scan(session, world, "school", now - timedelta(hours=20)).presences[0]
    fresh = checkin_service.scan(
        session, venue=world["market"], person_id=world["child"].id, at=now - timedelta(minutes=5)
    ).presences[0]
    session.flush()
    assert tasks.close_expired(session, settings) >= 1
    assert recent.left_at == recent.entered_at + policy.dwell(VenueCategory.SCHOOL)
    assert fresh.left_at is None
    assert tasks.purge_old(session, settings) == 2
    session.expire_all()
    assert {p.id for p in session.scalars(select(Presence))} == {recent.id, fresh.id}
