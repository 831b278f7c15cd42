"""Demo venues in the demo wards; the `operator` account runs the market's door."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from epitrace.venues import service as venue_service
from epitrace.venues.models import Venue, VenueCategory

VENUES = [
    ("Chợ Bến Thành", VenueCategory.MARKET, "26743", "Lê Lợi, Phường Bến Thành", "operator"),
    ("UBND Phường Bến Thành", VenueCategory.AGENCY_OFFICE, "26743", "92 Nguyễn Trãi", None),
    ("Trường THCS Văn Lang", VenueCategory.SCHOOL, "26737", "Trần Quang Khải", None),
    ("Bệnh viện Quận 1", VenueCategory.HOSPITAL_CLINIC, "26740", "338 Hai Bà Trưng", None),
    ("Nhà hàng Phở Hòa", VenueCategory.SHOP_RESTAURANT, "26737", "260C Pasteur", None),
]


def seed(session: Session, context: Any) -> None:
    """Create the demo venues once (matched by name); running again changes nothing."""
    for name, category, ward, address, operator in VENUES:
        if ward not in context.wards:
            continue
        existing = session.scalars(select(Venue).where(Venue.name == name)).first()
        if existing is not None:
            continue
        account = context.accounts.get(operator) if operator else None
        venue_service.create(
            session,
            name=name,
            category=category,
            ward_code=ward,
            address=address,
            capacity=2000 if category is VenueCategory.MARKET else None,
            created_by=account.id if account is not None else None,
        )
    bus = session.scalars(select(Venue).where(Venue.name == "Xe buýt số 19")).first()
    if bus is None and "26743" in context.wards:
        venue_service.create(
            session,
            name="Xe buýt số 19",
            category=VenueCategory.VEHICLE,
            ward_code="26743",
            vehicle_plate="51B-123.45",
            vehicle_route="Bến Thành – Đại học Quốc gia",
        )
