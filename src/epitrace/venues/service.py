"""Venue registry: organisations, venues, their operators, status and signed codes."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, false, func, or_, select, true
from sqlalchemy.orm import Session

from epitrace.accounts.models import UserAccount
from epitrace.db import utcnow
from epitrace.errors import N_, Conflict, Gone, InvalidInput, NotFound
from epitrace.places import service as place_service
from epitrace.places.models import AdminUnit
from epitrace.security.keys import Keyring
from epitrace.security.tokens import TokenError
from epitrace.venues import codes
from epitrace.venues.models import (
    Organisation,
    Venue,
    VenueCategory,
    VenueOperator,
    VenueStatus,
)

CATEGORY_NAMES: dict[VenueCategory, str] = {
    VenueCategory.AGENCY_OFFICE: N_("Agency office"),
    VenueCategory.MARKET: N_("Market"),
    VenueCategory.SHOPPING_CENTRE: N_("Shopping centre"),
    VenueCategory.SHOP_RESTAURANT: N_("Shop / restaurant"),
    VenueCategory.HOTEL_LODGING: N_("Hotel / lodging"),
    VenueCategory.SCHOOL: N_("School / university"),
    VenueCategory.HOSPITAL_CLINIC: N_("Hospital / clinic"),
    VenueCategory.FACTORY: N_("Factory / industrial zone enterprise"),
    VenueCategory.STATION: N_("Bus / rail / ferry station"),
    VenueCategory.VEHICLE: N_("Vehicle"),
    VenueCategory.RELIGIOUS_EVENT: N_("Religious / event place"),
    VenueCategory.QUARANTINE_FACILITY: N_("Quarantine facility"),
    VenueCategory.OTHER: N_("Other"),
}

TOKEN_MESSAGES = {
    "revoked": N_("This QR code has been withdrawn. Scan the venue's new poster."),
    "suspended": N_("This venue is temporarily closed; check-ins are paused."),
    "unknown_venue": N_("This QR code does not belong to any registered venue."),
}


# -- organisations -----------------------------------------------------------------------


def create_organisation(
    session: Session, *, name: str, kind: str, ward_code: str, tax_code: str | None = None
) -> Organisation:
    if not name.strip():
        raise InvalidInput(N_("The name is required."), fields={"name": N_("Required.")})
    if kind not in ("agency", "enterprise"):
        raise InvalidInput(
            N_("Choose one of the allowed values."), fields={"kind": N_("agency or enterprise")}
        )
    _ward_or_422(session, ward_code)
    organisation = Organisation(
        name=name.strip(), kind=kind, ward_code=ward_code, tax_code=(tax_code or None)
    )
    session.add(organisation)
    session.flush()
    return organisation


def get_organisation(session: Session, *, organisation_id: uuid.UUID) -> Organisation:
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(N_("This organisation does not exist."))
    return organisation


def get_organisations(
    session: Session, *, area_paths: Sequence[str | None], limit: int = 500
) -> list[Organisation]:
    stmt = select(Organisation).join(AdminUnit, AdminUnit.code == Organisation.ward_code)
    stmt = stmt.where(_any_path(AdminUnit.path, area_paths))
    return list(session.scalars(stmt.order_by(Organisation.name).limit(limit)))


# -- venues ------------------------------------------------------------------------------


def _ward_or_422(session: Session, ward_code: str) -> AdminUnit:
    unit = place_service.get(session, code=ward_code)
    if unit is None:
        raise InvalidInput(
            N_("The ward %(code)s does not exist."),
            params={"code": ward_code},
            fields={"ward_code": N_("Choose a ward from the list of administrative units.")},
        )
    return unit


def _any_path(column: Any, area_paths: Sequence[str | None]) -> ColumnElement[bool]:
    """SQL condition: a unit path lies in one of the areas (None = everywhere)."""
    if any(p is None for p in area_paths):
        return true()
    if not area_paths:
        return false()
    return or_(*(column.like(p + "%") for p in area_paths if p is not None))


def _new_number(session: Session) -> int:
    # Random, not sequential: numbers are never reused and concurrent creations do not race.
    for _ in range(20):
        number = secrets.randbelow(2**31 - 1) + 1
        if session.scalar(select(Venue.id).where(Venue.number == number)) is None:
            return number
    raise Conflict(N_("Could not allocate a venue number; try again."))  # pragma: no cover


def create(
    session: Session,
    *,
    name: str,
    category: VenueCategory,
    ward_code: str,
    address: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    capacity: int | None = None,
    vehicle_plate: str | None = None,
    vehicle_route: str | None = None,
    small_room: bool = False,
    organisation_id: uuid.UUID | None = None,
    created_by: uuid.UUID | None = None,
) -> Venue:
    """Register a venue; its creator (a staff account) becomes one of its operators."""
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = N_("Required.")
    if (latitude is None) != (longitude is None):
        errors["latitude"] = N_("Give both latitude and longitude, or neither.")
    if latitude is not None and not -90 <= latitude <= 90:
        errors["latitude"] = N_("This value is not valid.")
    if longitude is not None and not -180 <= longitude <= 180:
        errors["longitude"] = N_("This value is not valid.")
    if capacity is not None and capacity < 1:
        errors["capacity"] = N_("This value is too small.")
    if category is VenueCategory.VEHICLE and not (vehicle_plate or "").strip():
        errors["vehicle_plate"] = N_("A vehicle needs its number plate.")
    if errors:
        raise InvalidInput(N_("Some fields are not valid."), fields=errors)
    _ward_or_422(session, ward_code)
    if organisation_id is not None:
        get_organisation(session, organisation_id=organisation_id)
    venue = Venue(
        number=_new_number(session),
        name=name.strip(),
        category=category,
        address=address.strip(),
        ward_code=ward_code,
        latitude=latitude,
        longitude=longitude,
        capacity=capacity,
        vehicle_plate=(vehicle_plate or "").strip().upper() or None,
        vehicle_route=(vehicle_route or "").strip() or None,
        small_room=small_room or category is VenueCategory.VEHICLE,
        organisation_id=organisation_id,
        created_by=created_by,
        status=VenueStatus.ACTIVE,
        code_version=1,
    )
    session.add(venue)
    session.flush()
    if created_by is not None:
        add_operator(session, venue=venue, user_id=created_by)
    return venue


def get(session: Session, *, venue_id: uuid.UUID) -> Venue | None:
    return session.get(Venue, venue_id)


def get_or_404(session: Session, *, venue_id: uuid.UUID) -> Venue:
    venue = session.get(Venue, venue_id)
    if venue is None:
        raise NotFound(N_("This venue does not exist."))
    return venue


def get_by_number(session: Session, *, number: int) -> Venue | None:
    return session.scalars(select(Venue).where(Venue.number == number)).first()


def get_all(
    session: Session,
    *,
    area_paths: Sequence[str | None],
    operator_id: uuid.UUID | None = None,
    ward_code: str | None = None,
    status: VenueStatus | None = None,
    query: str | None = None,
    limit: int = 500,
    offset: int = 0,
) -> tuple[list[Venue], int]:
    """Venues inside the given areas (and, for operators, only the ones they run)."""
    stmt = select(Venue).join(AdminUnit, AdminUnit.code == Venue.ward_code)
    stmt = stmt.where(_any_path(AdminUnit.path, area_paths))
    if operator_id is not None:
        stmt = stmt.where(
            Venue.id.in_(select(VenueOperator.venue_id).where(VenueOperator.user_id == operator_id))
        )
    if ward_code:
        stmt = stmt.where(Venue.ward_code == ward_code)
    if status is not None:
        stmt = stmt.where(Venue.status == status)
    if query:
        stmt = stmt.where(Venue.name.ilike(f"%{query.strip()}%"))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Venue.name, Venue.number).limit(limit).offset(offset))
    return list(rows), total


def suspend(session: Session, *, venue: Venue) -> Venue:
    """Close a venue (e.g. for disinfection): its code stays valid but check-ins are refused."""
    if venue.status is not VenueStatus.SUSPENDED:
        venue.status = VenueStatus.SUSPENDED
        venue.suspended_at = utcnow()
        session.flush()
    return venue


def resume(session: Session, *, venue: Venue) -> Venue:
    if venue.status is not VenueStatus.ACTIVE:
        venue.status = VenueStatus.ACTIVE
        venue.suspended_at = None
        session.flush()
    return venue


def reissue_code(session: Session, *, venue: Venue) -> Venue:
    """Revoke every printed code of the venue; a new poster must be printed."""
    if venue.code_version >= codes.MAX_CODE_VERSION:
        raise Conflict(N_("This venue's code cannot be reissued any more."))  # pragma: no cover
    venue.code_version += 1
    session.flush()
    return venue


def token_for(keyring: Keyring, venue: Venue) -> str:
    return codes.make_token(keyring, number=venue.number, code_version=venue.code_version)


def url_for(keyring: Keyring, venue: Venue, *, base_url: str) -> str:
    return codes.url_for(base_url, token_for(keyring, venue))


class VenueCodeRefused(InvalidInput):
    """A scanned venue code that cannot be used; `reason` says why."""

    code = "invalid_venue_code"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message, fields={"token": message})
        self.reason = reason


class VenueClosed(Gone):
    code = "venue_suspended"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.reason = "suspended"


def resolve_token(
    session: Session, keyring: Keyring, token: str, *, allow_suspended: bool = False
) -> Venue:
    """The venue of a scanned code; raise VenueCodeRefused/VenueClosed saying why not."""
    try:
        code = codes.read_token(keyring, codes.token_from_text(token))
    except TokenError as exc:
        raise VenueCodeRefused(exc.reason, exc.message) from exc
    venue = get_by_number(session, number=code.number)
    if venue is None:
        raise VenueCodeRefused("unknown_venue", TOKEN_MESSAGES["unknown_venue"])
    if code.code_version != venue.code_version:
        raise VenueCodeRefused("revoked", TOKEN_MESSAGES["revoked"])
    if venue.status is VenueStatus.SUSPENDED and not allow_suspended:
        raise VenueClosed(TOKEN_MESSAGES["suspended"])
    return venue


# -- operators ---------------------------------------------------------------------------


def add_operator(session: Session, *, venue: Venue, user_id: uuid.UUID) -> VenueOperator:
    existing = session.scalars(
        select(VenueOperator).where(
            VenueOperator.venue_id == venue.id, VenueOperator.user_id == user_id
        )
    ).first()
    if existing is not None:
        return existing
    account = session.get(UserAccount, user_id)
    if account is None or account.kind != "staff":
        raise InvalidInput(
            N_("Only staff accounts can operate a venue."),
            fields={"username": N_("Enter the user name of a staff account.")},
        )
    link = VenueOperator(venue_id=venue.id, user_id=user_id)
    session.add(link)
    session.flush()
    return link


def remove_operator(session: Session, *, venue: Venue, user_id: uuid.UUID) -> None:
    link = session.scalars(
        select(VenueOperator).where(
            VenueOperator.venue_id == venue.id, VenueOperator.user_id == user_id
        )
    ).first()
    if link is None:
        raise NotFound(N_("This account does not operate the venue."))
    session.delete(link)
    session.flush()


def is_operator(session: Session, *, venue_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    return (
        session.scalar(
            select(VenueOperator.id).where(
                VenueOperator.venue_id == venue_id, VenueOperator.user_id == user_id
            )
        )
        is not None
    )


def get_operators(session: Session, *, venue_id: uuid.UUID) -> list[UserAccount]:
    stmt = (
        select(UserAccount)
        .join(VenueOperator, VenueOperator.user_id == UserAccount.id)
        .where(VenueOperator.venue_id == venue_id)
        .order_by(UserAccount.username)
    )
    return list(session.scalars(stmt))
