"""Builders for venues and their operators in tests."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from epitrace.accounts import service as account_service
from epitrace.venues import service as venue_service
from epitrace.venues.models import Venue, VenueCategory


def venue(
    session: Session,
    *,
    name: str = "Chợ Bến Thành",
    ward_code: str = "26743",
    category: VenueCategory = VenueCategory.MARKET,
    operator_id: uuid.UUID | None = None,
    **fields: object,
) -> Venue:
    created = venue_service.create(
        session,
        name=name,
        category=category,
        ward_code=ward_code,
        address=str(fields.pop("address", "Lê Lợi")),
        **fields,  # type: ignore[arg-type]
    )
    if operator_id is not None:
        venue_service.add_operator(session, venue=created, user_id=operator_id)
    return created


def operator_of(session: Session, venue_obj: Venue, username: str) -> None:
    account = account_service.get_by_username(session, username=username)
    assert account is not None
    venue_service.add_operator(session, venue=venue_obj, user_id=account.id)
