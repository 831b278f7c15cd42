"""Indicator rows of province 99 (tests.factories.PLACE_ROWS) for the dashboard's tests: three
computed days ending yesterday, every unit, two sectors and 23 organisations."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import update

from epitrace import localtime
from epitrace.db import Database, utcnow
from epitrace.places.models import AdminUnit
from epitrace.rollout.models import IndicatorSnapshot, IndicatorUnit
from epitrace.venues.models import Organisation, OrganisationKind, Sector

SHARE = 0.5
# (code, population, citizens on the last day, venues, active venues)
AREAS = [
    ("99", 1_000_000, 300_000, 40, 20),
    ("991", 400_000, 60_000, 30, 10),  # 30 % of its target of 200,000
    ("992", 600_000, 240_000, 10, 10),  # 80 %
    ("99101", 150_000, 15_000, 10, 5),
    ("99102", 250_000, 45_000, 20, 5),
    ("99201", 600_000, 240_000, 10, 10),
]


def area_row(day: date, code: str, pop: int, citizens: int, venues: int, active: int) -> Any:
    return IndicatorSnapshot(
        day=day,
        unit_type=IndicatorUnit.AREA,
        area_code=code,
        sector="",
        population=pop,
        smartphone_share=SHARE,
        citizens=citizens,
        declarations=7,
        venues=venues,
        venues_active=active,
        venues_door_control=active // 2,
        checkins=100,
        roster_members=10,
        roster_signed_up=5,
        computed_at=utcnow(),
    )


def org_row(day: date, org: Organisation, members: int, signed: int, venues: int) -> Any:
    return IndicatorSnapshot(
        day=day,
        unit_type=IndicatorUnit.ORGANISATION,
        area_code=org.ward_code,
        sector=org.sector.value,
        organisation_id=org.id,
        venues=venues,
        venues_active=min(venues, 1),
        roster_members=members,
        roster_signed_up=signed,
        computed_at=utcnow(),
    )


def seed(db: Database) -> dict[str, Any]:
    """Three computed days ending yesterday (today not computed yet), rows for every unit of
    province 99, its education and health sectors, and 23 organisations."""
    last = localtime.today() - timedelta(days=1)
    days = [last - timedelta(days=n) for n in (2, 1, 0)]
    orgs: dict[str, uuid.UUID] = {}
    with db.session_scope() as s:
        for n, day in enumerate(days):
            grow = n + 1  # the last day has the figures of AREAS; earlier days fewer citizens
            for code, pop, citizens, venues, active in AREAS:
                s.add(area_row(day, code, pop, citizens * grow // 3, venues, active))
        for sector, members, signed in (("education", 100, 90), ("health", 100, 10)):
            s.add(
                IndicatorSnapshot(
                    day=last,
                    unit_type=IndicatorUnit.SECTOR,
                    area_code="99",
                    sector=sector,
                    venues=4,
                    venues_active=2,
                    roster_members=members,
                    roster_signed_up=signed,
                    computed_at=utcnow(),
                )
            )
        # organisation n has n of 22 signed up; one more has no roster (not ranked)
        for n in range(23):
            org = Organisation(
                name=f"Đơn vị {n:02d}",
                kind=OrganisationKind.SCHOOL,
                sector=Sector.EDUCATION,
                ward_code="99101" if n % 2 else "99201",
            )
            s.add(org)
            s.flush()
            orgs[org.name] = org.id
            members = 0 if n == 22 else 22
            s.add(org_row(last, org, members, min(n, members), venues=n % 3))
        # an organisation of another province never shows
        other = Organisation(
            name="Đơn vị Hà Nội",
            kind=OrganisationKind.SCHOOL,
            sector=Sector.EDUCATION,
            ward_code="00070",
        )
        s.add(other)
        s.flush()
        s.add(org_row(last, other, 10, 10, 1))
    return {"last": last, "first_seeded": days[0], "orgs": orgs}


def ward_squares(db: Database) -> None:
    """Square shapes side by side for the three wards of province 99."""
    squares = {"99101": 105.0, "99102": 105.1, "99201": 105.2}
    with db.session_scope() as s:
        for code, x in squares.items():
            ring = [[x, 10.0], [x + 0.1, 10.0], [x + 0.1, 10.1], [x, 10.1], [x, 10.0]]
            geometry = json.dumps({"type": "Polygon", "coordinates": [ring]})
            s.execute(update(AdminUnit).where(AdminUnit.code == code).values(geometry=geometry))
