"""The SQL engine against worked examples and against the brute-force reference."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epitrace.cases.models import QuarantineKind, QuarantineOrder
from epitrace.tracing.engine import contact_key, trace_case
from epitrace.tracing.models import ContactLink
from epitrace.tracing.policy import DEFAULT_POLICY
from epitrace.tracing.tasks import purge_links
from epitrace.venues.models import VenueCategory
from tests.tracing import factories as f
from tests.tracing.reference import P, trace

AS_OF = f.at(60 * 24 * 6)
DAY = 60 * 24


def links(session: Session, case: Any, level: int) -> list[ContactLink]:
    stmt = select(ContactLink).where(ContactLink.case_id == case.id, ContactLink.level == level)
    return list(session.scalars(stmt))


def keys(session: Session, case: Any, level: int) -> set[str]:
    return {x.contact_key for x in links(session, case, level)}


def test_f1_needs_fifteen_minutes_at_a_market(session: Session, places: Any) -> None:
    f0, a, b = f.person(session), f.person(session, "A"), f.person(session, "B")
    market = f.venue(session)
    f.presence(session, venue=market, who=f0, start=DAY * 3, end=DAY * 3 + 60)
    f.presence(session, venue=market, who=a, start=DAY * 3 + 40, end=DAY * 3 + 120)  # 20 min
    f.presence(session, venue=market, who=b, start=DAY * 3 + 50, end=DAY * 3 + 120)  # 10 min
    case = f.case(session, who=f0, sampled=DAY * 4)
    out = trace_case(session, case=case, policy=DEFAULT_POLICY, as_of=AS_OF)
    assert keys(session, case, 1) == {contact_key(a.id, None)}
    (link,) = links(session, case, 1)
    assert link.venue_id == market.id
    assert link.overlap_minutes == 20
    assert link.exposed_at == f.at(DAY * 3 + 40)
    assert link.source_key == contact_key(f0.id, None)
    assert out.f1_count == 1


def test_an_overlap_under_a_minute_counts_as_one_minute(session: Session, places: Any) -> None:
    f0, a = f.person(session), f.person(session, "A")
    bus = f.venue(session, category=VenueCategory.VEHICLE, name="Xe buýt 02")
    f.presence(session, venue=bus, who=f0, start=DAY * 3, end=DAY * 3 + 30)
    f.presence(session, venue=bus, who=a, start=DAY * 3 + 29.5, end=DAY * 3 + 40)  # 30 s
    case = f.case(session, who=f0, sampled=DAY * 4)
    trace_case(session, case=case, policy=DEFAULT_POLICY, as_of=AS_OF)
    (link,) = links(session, case, 1)
    assert link.overlap_minutes == 1


def test_any_overlap_in_vehicles_and_small_rooms(session: Session, places: Any) -> None:
    f0, a, b = f.person(session), f.person(session, "A"), f.visitor(session)
    bus = f.venue(session, category=VenueCategory.VEHICLE, name="Xe buýt 01")
    room = f.venue(session, category=VenueCategory.AGENCY_OFFICE, small_room=True)
    f.presence(session, venue=bus, who=f0, start=DAY * 3, end=DAY * 3 + 30)
    f.presence(session, venue=bus, who=a, start=DAY * 3 + 29, end=DAY * 3 + 40)
    f.presence(session, venue=room, who=f0, start=DAY * 3 + 60, end=DAY * 3 + 70)
    f.presence(session, venue=room, who=b, start=DAY * 3 + 69, end=None)  # open: dwell
    case = f.case(session, who=f0, sampled=DAY * 4)
    trace_case(session, case=case, policy=DEFAULT_POLICY, as_of=AS_OF)
    assert keys(session, case, 1) == {contact_key(a.id, None), contact_key(None, b.id)}


def test_window_starts_two_days_before_onset_and_ends_at_isolation(
    session: Session, places: Any
) -> None:
    f0, early, inside, late = (f.person(session, n) for n in ("F0", "early", "in", "late"))
    shop = f.venue(session, category=VenueCategory.SHOP_RESTAURANT)
    # onset on day 3 → infectious from day 1; isolated on day 4
    for start, who in ((DAY * 0.5, early), (DAY * 2, inside), (DAY * 4.5, late)):
        f.presence(session, venue=shop, who=f0, start=start, end=start + 60)
        f.presence(session, venue=shop, who=who, start=start, end=start + 60)
    case = f.case(session, who=f0, sampled=DAY * 3.5, onset=DAY * 3, isolated=DAY * 4)
    trace_case(session, case=case, policy=DEFAULT_POLICY, as_of=AS_OF)
    assert keys(session, case, 1) == {contact_key(inside.id, None)}


def test_f2_only_after_the_f1_exposure_and_before_isolation(session: Session, places: Any) -> None:
    f0, f1p = f.person(session, "F0"), f.person(session, "F1")
    before, after, quarantined = (f.person(session, n) for n in ("before", "after", "q"))
    market = f.venue(session)
    office = f.venue(session, category=VenueCategory.AGENCY_OFFICE, name="UBND phường")
    f.presence(session, venue=market, who=f0, start=DAY * 2, end=DAY * 2 + 60)
    f.presence(session, venue=market, who=f1p, start=DAY * 2, end=DAY * 2 + 60)
    f.presence(session, venue=office, who=f1p, start=DAY * 1, end=DAY * 1 + 120)
    f.presence(session, venue=office, who=before, start=DAY * 1, end=DAY * 1 + 120)
    f.presence(session, venue=office, who=f1p, start=DAY * 3, end=DAY * 3 + 120)
    f.presence(session, venue=office, who=after, start=DAY * 3, end=DAY * 3 + 120)
    f.presence(session, venue=office, who=f1p, start=DAY * 5, end=DAY * 5 + 120)
    f.presence(session, venue=office, who=quarantined, start=DAY * 5, end=DAY * 5 + 120)
    session.add(
        QuarantineOrder(
            person_id=f1p.id,
            reason="f1",
            kind=QuarantineKind.HOME,
            ward_code="26743",
            starts_at=f.at(DAY * 4),
            ends_at=f.at(DAY * 18),
        )
    )
    case = f.case(session, who=f0, sampled=DAY * 2.5)
    trace_case(session, case=case, policy=DEFAULT_POLICY, as_of=AS_OF)
    assert keys(session, case, 1) == {contact_key(f1p.id, None)}
    assert keys(session, case, 2) == {contact_key(after.id, None)}
    assert links(session, case, 2)[0].source_key == contact_key(f1p.id, None)


def test_tied_sources_give_the_same_evidence_on_every_database(
    session: Session, places: Any
) -> None:
    """Two F1s share the F2's whole visit: the overlaps tie, and the evidence recorded is the
    source presence with the smaller id on SQLite and PostgreSQL alike (insertion order and
    the planner once decided)."""
    f0, first, second, f2 = (f.person(session, n) for n in ("F0", "first", "second", "F2"))
    market = f.venue(session)
    office = f.venue(session, category=VenueCategory.AGENCY_OFFICE, name="UBND phường")
    for f1p in (first, second):
        f.presence(session, venue=market, who=f0, start=DAY * 2, end=DAY * 2 + 60)
        f.presence(session, venue=market, who=f1p, start=DAY * 2, end=DAY * 2 + 60)
    high = uuid.UUID(int=(1 << 128) - 1)
    low = uuid.UUID(int=1)
    f.presence(session, venue=office, who=first, start=DAY * 3, end=DAY * 3 + 180, id=high)
    f.presence(session, venue=office, who=second, start=DAY * 3, end=DAY * 3 + 180, id=low)
    f.presence(session, venue=office, who=f2, start=DAY * 3 + 30, end=DAY * 3 + 90)
    case = f.case(session, who=f0, sampled=DAY * 2.5)
    trace_case(session, case=case, policy=DEFAULT_POLICY, as_of=AS_OF)
    (link,) = links(session, case, 2)
    assert link.source_presence_id == low
    assert link.source_key == contact_key(second.id, None)
    assert link.evidence_count == 2


def test_long_stays_reach_back_to_the_cap(session: Session, places: Any) -> None:
    """A stay that began long before the F0 came is found (through the long-stay index);
    a stay that began earlier than the policy's cap is cut at the cap."""
    f0, guest, night, late, old = (
        f.person(session, n) for n in ("F0", "guest", "night", "late", "old")
    )
    hotel = f.venue(session, category=VenueCategory.HOTEL_LODGING, name="Khách sạn Sông Hàn")
    f.presence(session, venue=hotel, who=f0, start=DAY * 3, end=DAY * 3 + 60)
    f.presence(session, venue=hotel, who=guest, start=DAY * 3 - 40 * 60, end=DAY * 3 + 30)
    f.presence(session, venue=hotel, who=night, start=DAY * 3 - 13 * 60, end=None)  # open
    f.presence(session, venue=hotel, who=late, start=DAY * 3 - 11.5 * 60, end=None)  # open
    f.presence(session, venue=hotel, who=old, start=DAY * 3 - 73 * 60, end=DAY * 3 + 60)
    case = f.case(session, who=f0, sampled=DAY * 4)
    trace_case(session, case=case, policy=DEFAULT_POLICY, as_of=AS_OF)
    # the guest overlaps 30 min; of the open stays (a hotel's dwell is 12 h) the later one
    # overlaps 30 min, the earlier ended before the F0 came; the stay of 74 h is capped at
    # 72 h and ends before the F0 came
    assert keys(session, case, 1) == {contact_key(guest.id, None), contact_key(late.id, None)}


def test_rerun_is_idempotent_and_picks_up_new_data(session: Session, places: Any) -> None:
    f0, a, b = f.person(session), f.person(session, "A"), f.person(session, "B")
    market = f.venue(session)
    f.presence(session, venue=market, who=f0, start=DAY * 3, end=DAY * 3 + 60)
    f.presence(session, venue=market, who=a, start=DAY * 3, end=DAY * 3 + 60)
    case = f.case(session, who=f0, sampled=DAY * 4)
    trace_case(session, case=case, policy=DEFAULT_POLICY, as_of=AS_OF)
    trace_case(session, case=case, policy=DEFAULT_POLICY, as_of=AS_OF)
    count = select(func.count()).select_from(ContactLink).where(ContactLink.case_id == case.id)
    assert session.scalar(count) == 1
    f.presence(session, venue=market, who=b, start=DAY * 3, end=DAY * 3 + 60)
    trace_case(session, case=case, policy=DEFAULT_POLICY, as_of=AS_OF)
    assert session.scalar(count) == 2
    assert keys(session, case, 1) == {contact_key(a.id, None), contact_key(b.id, None)}


_CATEGORIES = [VenueCategory.MARKET, VenueCategory.VEHICLE, VenueCategory.AGENCY_OFFICE]
visit = st.tuples(
    st.integers(0, 5),  # who (0 = the F0; 5 = a manual visitor)
    st.integers(0, 2),  # venue
    st.integers(0, 6 * 24 * 4),  # start, in quarter hours over six days
    # duration in quarter hours, None = open; some past the 12 h of a long stay and the
    # policy's 72 h cap
    st.one_of(st.none(), st.integers(0, 16 * 4), st.integers(11 * 4, 80 * 4)),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    visits=st.lists(visit, min_size=1, max_size=40),
    onset=st.one_of(st.none(), st.integers(2, 5)),
    small_room=st.booleans(),
)
def test_engine_matches_brute_force(
    session: Session,
    places: Any,
    visits: list[tuple[int, int, int, int | None]],
    onset: int | None,
    small_room: bool,
) -> None:
    try:
        people = [f.person(session, f"P{i}") for i in range(5)]
        mv = f.visitor(session)
        who = [*people, mv]
        venues = [
            f.venue(session, category=c, small_room=small_room and i == 2)
            for i, c in enumerate(_CATEGORIES)
        ]
        ref: list[P] = []
        for w, v, start_q, dur_q in visits:
            start = start_q * 15
            end = start + dur_q * 15 if dur_q is not None else None
            p = f.presence(session, venue=venues[v], who=who[w], start=start, end=end)
            ref.append(
                P(
                    id=p.id,
                    key=contact_key(p.person_id, p.manual_visitor_id),
                    venue=venues[v].id,
                    category=venues[v].category.value,
                    small_room=venues[v].small_room,
                    start=p.entered_at.timestamp(),
                    left=p.left_at.timestamp() if p.left_at else None,
                )
            )
        case = f.case(
            session,
            who=people[0],
            sampled=DAY * 4,
            onset=DAY * onset if onset is not None else None,
        )
        out = trace_case(session, case=case, policy=DEFAULT_POLICY, as_of=AS_OF)
        window = DEFAULT_POLICY.infectious_window(
            onset_at=case.onset_at, sampled_at=case.sampled_at, isolated_at=None, as_of=AS_OF
        )
        f1, f2 = trace(
            ref,
            f0_key=contact_key(people[0].id, None),
            window=window,
            as_of=AS_OF,
            policy=DEFAULT_POLICY,
        )
        for level, expected in ((1, f1), (2, f2)):
            got = {
                x.contact_key: round(x.exposed_at.timestamp()) for x in links(session, case, level)
            }
            assert got == {k: round(v) for k, v in expected.items()}
        assert (out.f1_count, out.f2_count) == (len(f1), len(f2))
        assert window[1] - window[0] >= timedelta(0)
    finally:
        session.rollback()


def test_dependents_are_traced(session: Session, places: Any) -> None:
    f0, guardian = f.person(session, "F0"), f.person(session, "Mẹ")
    child = f.person(session, "Bé Na", guardian_id=guardian.id, relationship_to_guardian="con")
    school = f.venue(session, category=VenueCategory.SCHOOL, name="Trường Mầm non Hoa Mai")
    f.presence(session, venue=school, who=f0, start=DAY * 2, end=DAY * 2 + 240)
    f.presence(session, venue=school, who=child, start=DAY * 2 + 30, end=DAY * 2 + 200)
    case = f.case(session, who=f0, sampled=DAY * 3)
    trace_case(session, case=case, policy=DEFAULT_POLICY, as_of=AS_OF)
    assert keys(session, case, 1) == {contact_key(child.id, None)}


def test_links_follow_presence_retention(session: Session, places: Any, settings: Any) -> None:
    f0, a = f.person(session), f.person(session, "A")
    market = f.venue(session)
    f.presence(session, venue=market, who=f0, start=DAY, end=DAY + 60)
    f.presence(session, venue=market, who=a, start=DAY, end=DAY + 60)
    case = f.case(session, who=f0, sampled=DAY * 2)
    trace_case(session, case=case, policy=DEFAULT_POLICY, as_of=AS_OF)
    assert purge_links(session, settings) == 0  # within the 21 days of presence retention
    assert purge_links(session, settings.model_copy(update={"retention_days": 5})) == 1
    assert keys(session, case, 1) == set()
