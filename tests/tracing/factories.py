"""Builders for people, venues, presences and cases used by the cases and tracing tests."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from epitrace.accounts.models import Person
from epitrace.cases.models import Case, TestType
from epitrace.checkins.models import ManualVisitor, Presence, PresenceMethod
from epitrace.venues.models import Venue, VenueCategory

T0 = datetime(2026, 11, 10, 0, 0, tzinfo=UTC)
_numbers = itertools.count(int(uuid.uuid4().int % 10_000_000) * 10)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def person(
    session: Session, name: str = "Nguyễn Văn An", ward: str = "26743", **kw: object
) -> Person:
    p = Person(full_name=name, ward_code=ward, phone=kw.pop("phone", None), **kw)  # type: ignore[arg-type]
    session.add(p)
    session.flush()
    return p


def visitor(session: Session, name: str = "Trần Thị Bình") -> ManualVisitor:
    v = ManualVisitor(full_name=name, phone="0901234567")
    session.add(v)
    session.flush()
    return v


def venue(
    session: Session,
    *,
    category: VenueCategory = VenueCategory.MARKET,
    ward: str = "26743",
    small_room: bool = False,
    name: str = "Chợ Bến Thành",
) -> Venue:
    v = Venue(
        number=next(_numbers),
        name=name,
        category=category,
        ward_code=ward,
        small_room=small_room,
        address="1 Lê Lợi",
    )
    session.add(v)
    session.flush()
    return v


def presence(
    session: Session,
    *,
    venue: Venue,
    who: Person | ManualVisitor,
    start: float,
    end: float | None,
    id: uuid.UUID | None = None,
) -> Presence:
    p = Presence(
        id=id or uuid.uuid4(),
        venue_id=venue.id,
        ward_code=venue.ward_code,
        person_id=who.id if isinstance(who, Person) else None,
        manual_visitor_id=who.id if isinstance(who, ManualVisitor) else None,
        entered_at=at(start),
        left_at=at(end) if end is not None else None,
        method=PresenceMethod.SELF_SCAN if isinstance(who, Person) else PresenceMethod.MANUAL,
    )
    session.add(p)
    session.flush()
    return p


def case(
    session: Session,
    *,
    who: Person,
    sampled: float,
    onset: float | None = None,
    isolated: float | None = None,
) -> Case:
    c = Case(
        person_id=who.id,
        ward_code=who.ward_code or "26743",
        test_type=TestType.PCR,
        sampled_at=at(sampled),
        confirmed_at=at(sampled),
        onset_at=at(onset) if onset is not None else None,
        isolated_at=at(isolated) if isolated is not None else None,
    )
    session.add(c)
    session.flush()
    return c
