"""Demo case: an F0 who went to the market, a contact there (F1) and that contact's colleague
(F2); traced once so the case page, graph, exports and zoning page have something to show."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from epitrace.accounts.models import Person
from epitrace.cases import service as case_service
from epitrace.cases.models import TestType
from epitrace.checkins.models import Presence, PresenceMethod
from epitrace.db import utcnow
from epitrace.tracing import service as tracing_service
from epitrace.venues.models import Venue

PEOPLE = [
    ("Trần Văn Hùng", "0908000101", "26743"),
    ("Nguyễn Thị Lan", "0908000102", "26743"),
    ("Phạm Minh Tuấn", "0908000103", "26740"),
]


def seed(session: Session, context: Any) -> None:
    """Create the demo case once (matched by the F0's phone); running again changes nothing."""
    if "26743" not in context.wards:
        return
    if session.scalars(select(Person).where(Person.phone == PEOPLE[0][1])).first() is not None:
        return
    market = session.scalars(select(Venue).where(Venue.name == "Chợ Bến Thành")).first()
    office = session.scalars(select(Venue).where(Venue.name == "UBND Phường Bến Thành")).first()
    if market is None or office is None:
        return
    f0, f1, f2 = (
        case_service.new_person(session, full_name=name, phone=phone, ward_code=ward)
        for name, phone, ward in PEOPLE
    )
    now = utcnow()
    visits = [
        (market, f0, now - timedelta(days=3, hours=2), timedelta(minutes=50)),
        (market, f1, now - timedelta(days=3, hours=2, minutes=-10), timedelta(minutes=45)),
        (office, f1, now - timedelta(days=2, hours=6), timedelta(hours=4)),
        (office, f2, now - timedelta(days=2, hours=5), timedelta(hours=2)),
    ]
    for venue, person, start, length in visits:
        session.add(
            Presence(
                venue_id=venue.id,
                ward_code=venue.ward_code,
                person_id=person.id,
                entered_at=start,
                left_at=start + length,
                method=PresenceMethod.SELF_SCAN,
            )
        )
    session.flush()
    case = case_service.create_case(
        session,
        person=f0,
        ward_code=None,
        test_type=TestType.PCR,
        sampled_at=now - timedelta(days=1),
        onset_at=now - timedelta(days=2),
        isolated_at=now - timedelta(hours=12),
        isolation_place="Bệnh viện Dã chiến số 1",
    )
    tracing_service.run_trace(session, case=case, now=now)
