"""Venue registry: organisations, venues, their operators, status and signed codes."""

from __future__ import annotations

import functools
import re
import secrets
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, false, func, or_, select, true
from sqlalchemy.orm import Session

from epitrace.accounts.models import UserAccount
from epitrace.db import contains_text, path_within, utcnow
from epitrace.errors import N_, Conflict, Gone, InvalidInput, NotFound
from epitrace.places import service as place_service
from epitrace.places.models import AdminUnit
from epitrace.security.keys import Keyring
from epitrace.security.tokens import TokenError
from epitrace.venues import codes
from epitrace.venues.models import (
    Organisation,
    OrganisationKind,
    Sector,
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

ORGANISATION_KIND_NAMES: dict[OrganisationKind, str] = {
    OrganisationKind.STATE_AGENCY: N_("State agency"),
    OrganisationKind.POLITICAL_SOCIAL: N_("Political-social organisation"),
    OrganisationKind.PUBLIC_SERVICE: N_("Public service unit"),
    OrganisationKind.ENTERPRISE: N_("Enterprise"),
    OrganisationKind.SCHOOL: N_("School / university / vocational school"),
    OrganisationKind.HEALTH_FACILITY: N_("Health facility"),
    OrganisationKind.TRANSPORT: N_("Transport operator"),
    OrganisationKind.HOSPITALITY: N_("Hotel / restaurant / lodging"),
    OrganisationKind.MARKET: N_("Market / shopping centre"),
    OrganisationKind.QUARANTINE_AREA: N_("Quarantine area"),
    OrganisationKind.OTHER: N_("Other"),
}

SECTOR_NAMES: dict[Sector, str] = {
    Sector.HEALTH: N_("Health"),
    Sector.EDUCATION: N_("Education and Training"),
    Sector.LABOUR: N_("Labour, Invalids and Social Affairs"),
    Sector.TRANSPORT: N_("Transport"),
    Sector.CULTURE_TOURISM: N_("Culture, Sports and Tourism"),
    Sector.INDUSTRY_TRADE: N_("Industry and Trade"),
    Sector.ZONE_BOARD: N_("Industrial, economic and high-tech zones management board"),
    Sector.MASS_ORGANISATIONS: N_("Trade union and mass organisations"),
    Sector.PEOPLE_COMMITTEE: N_("District / ward people's committee"),
}

# Accepted before the registry knew the kinds of the province's order.
_LEGACY_KINDS = {"agency": OrganisationKind.STATE_AGENCY}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CONTACT_PHONE = re.compile(r"^\+?[0-9 .()\-]{8,20}$")
ORGANISATION_FIELDS = (
    "name",
    "kind",
    "sector",
    "ward_code",
    "tax_code",
    "address",
    "head_name",
    "head_title",
    "contact_phone",
    "contact_email",
)


def organisation_kind(value: str | OrganisationKind) -> OrganisationKind | None:
    if isinstance(value, OrganisationKind):
        return value
    text = (value or "").strip()
    if text in _LEGACY_KINDS:
        return _LEGACY_KINDS[text]
    try:
        return OrganisationKind(text)
    except ValueError:
        return None


def sector_of(value: str | Sector) -> Sector | None:
    if isinstance(value, Sector):
        return value
    try:
        return Sector((value or "").strip())
    except ValueError:
        return None


def clean_organisation(
    fields: dict[str, Any], *, ward_exists: Callable[[str], bool]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Checked, trimmed organisation fields, and field → message id for each problem.

    Used by the forms and, row by row, by the importer (which reports every bad line before
    writing anything).
    """
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}

    def text(name: str, limit: int) -> str | None:
        value = str(fields.get(name) or "").strip()
        if len(value) > limit:
            errors[name] = N_("This value is too long.")
        return value or None

    name = text("name", 200)
    if not name:
        errors["name"] = N_("Required.")
    clean["name"] = name or ""
    kind = organisation_kind(fields.get("kind") or OrganisationKind.ENTERPRISE)
    if kind is None:
        errors["kind"] = N_("Choose one of the allowed values.")
    clean["kind"] = kind
    sector = sector_of(fields.get("sector") or Sector.PEOPLE_COMMITTEE)
    if sector is None:
        errors["sector"] = N_("Choose one of the allowed values.")
    clean["sector"] = sector
    ward_code = str(fields.get("ward_code") or "").strip()
    if not ward_code:
        errors["ward_code"] = N_("Required.")
    elif not ward_exists(ward_code):
        errors["ward_code"] = N_("Choose a ward from the list of administrative units.")
    clean["ward_code"] = ward_code
    tax_code = text("tax_code", 20)
    if tax_code and not re.fullmatch(r"\d{10}(-\d{3})?", tax_code):
        errors["tax_code"] = N_("A tax code has 10 digits (or 10 digits, a dash and 3 more).")
    clean["tax_code"] = tax_code
    clean["address"] = text("address", 300) or ""
    clean["head_name"] = text("head_name", 200)
    clean["head_title"] = text("head_title", 120)
    phone = text("contact_phone", 20)
    if phone and not _CONTACT_PHONE.match(phone):
        errors["contact_phone"] = N_("Enter a telephone number, e.g. 028 3829 1234.")
    clean["contact_phone"] = phone
    email = text("contact_email", 200)
    if email and not _EMAIL.match(email):
        errors["contact_email"] = N_("Enter an e-mail address, e.g. vanphong@example.gov.vn.")
    clean["contact_email"] = email
    return clean, errors


def _ward_check(session: Session) -> Callable[[str], bool]:
    return lambda code: place_service.get(session, code=code) is not None


def create_organisation(session: Session, **fields: Any) -> Organisation:
    """Register an organisation; every field is checked first (422 with per-field reasons)."""
    unknown = set(fields) - set(ORGANISATION_FIELDS)
    if unknown:
        raise ValueError(f"unknown organisation fields: {sorted(unknown)}")
    clean, errors = clean_organisation(fields, ward_exists=_ward_check(session))
    if errors:
        raise InvalidInput(N_("Some fields are not valid."), fields=errors)
    organisation = Organisation(**clean)
    session.add(organisation)
    session.flush()
    return organisation


def update_organisation(
    session: Session, *, organisation: Organisation, **fields: Any
) -> Organisation:
    """Change the given fields of an organisation (the others keep their values)."""
    unknown = set(fields) - set(ORGANISATION_FIELDS)
    if unknown:
        raise ValueError(f"unknown organisation fields: {sorted(unknown)}")
    current = {name: getattr(organisation, name) for name in ORGANISATION_FIELDS}
    clean, errors = clean_organisation({**current, **fields}, ward_exists=_ward_check(session))
    if errors:
        raise InvalidInput(N_("Some fields are not valid."), fields=errors)
    for name in fields:
        setattr(organisation, name, clean[name])
    session.flush()
    return organisation


def get_organisation(session: Session, *, organisation_id: uuid.UUID) -> Organisation:
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(N_("This organisation does not exist."))
    return organisation


OrganisationScope = tuple[str | None, Sector | None]  # (area path or everywhere, sector or any)


def _scope_condition(
    scopes: Sequence[OrganisationScope], scope_ids: Sequence[uuid.UUID]
) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = []
    if scope_ids:
        conditions.append(Organisation.id.in_(list(scope_ids)))
    for path, sector in scopes:
        condition = true() if path is None else path_within(AdminUnit.path, path)
        if sector is not None:
            condition = and_(condition, Organisation.sector == sector)
        conditions.append(condition)
    return or_(false(), *conditions)


def get_organisations(
    session: Session,
    *,
    area_paths: Sequence[str | None] | None = None,
    scopes: Sequence[OrganisationScope] | None = None,
    scope_ids: Sequence[uuid.UUID] = (),
    sector: Sector | None = None,
    kind: OrganisationKind | None = None,
    ward_code: str | None = None,
    query: str | None = None,
    ids: Sequence[uuid.UUID] | None = None,
    limit: int = 500,
    offset: int = 0,
) -> list[Organisation]:
    """Organisations inside the areas, or the (area, sector) scopes and `scope_ids`, by name."""
    stmt = _organisation_query(
        area_paths=area_paths,
        scopes=scopes,
        scope_ids=scope_ids,
        sector=sector,
        kind=kind,
        ward_code=ward_code,
        query=query,
        ids=ids,
    )
    stmt = stmt.order_by(Organisation.name, Organisation.id).limit(limit).offset(offset)
    return list(session.scalars(stmt))


def count_organisations(
    session: Session,
    *,
    area_paths: Sequence[str | None] | None = None,
    scopes: Sequence[OrganisationScope] | None = None,
    scope_ids: Sequence[uuid.UUID] = (),
    sector: Sector | None = None,
    kind: OrganisationKind | None = None,
    ward_code: str | None = None,
    query: str | None = None,
) -> int:
    stmt = _organisation_query(
        area_paths=area_paths,
        scopes=scopes,
        scope_ids=scope_ids,
        sector=sector,
        kind=kind,
        ward_code=ward_code,
        query=query,
        ids=None,
    )
    return session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def _organisation_query(
    *,
    area_paths: Sequence[str | None] | None,
    scopes: Sequence[OrganisationScope] | None,
    scope_ids: Sequence[uuid.UUID],
    sector: Sector | None,
    kind: OrganisationKind | None,
    ward_code: str | None,
    query: str | None,
    ids: Sequence[uuid.UUID] | None,
) -> Select[Organisation]:
    stmt = select(Organisation).join(AdminUnit, AdminUnit.code == Organisation.ward_code)
    if area_paths is not None:
        stmt = stmt.where(_any_path(AdminUnit.path, area_paths))
    if scopes is not None:
        stmt = stmt.where(_scope_condition(scopes, scope_ids))
    if sector is not None:
        stmt = stmt.where(Organisation.sector == sector)
    if kind is not None:
        stmt = stmt.where(Organisation.kind == kind)
    if ward_code:
        stmt = stmt.where(Organisation.ward_code == ward_code)
    if query:
        stmt = stmt.where(contains_text(Organisation.name, query))
    if ids is not None:
        stmt = stmt.where(Organisation.id.in_(list(ids)))
    return stmt


def find_organisation(
    session: Session, *, tax_code: str | None, name: str, ward_code: str
) -> Organisation | None:
    """The registered organisation a list row stands for: same tax code, else same name and ward."""
    if tax_code:
        found = session.scalars(
            select(Organisation).where(Organisation.tax_code == tax_code).limit(1)
        ).first()
        if found is not None:
            return found
    return session.scalars(
        select(Organisation)
        .where(
            func.lower(Organisation.name) == name.strip().lower(),
            Organisation.ward_code == ward_code,
        )
        .limit(1)
    ).first()


def get_venues_of(session: Session, *, organisation_id: uuid.UUID) -> list[Venue]:
    stmt = select(Venue).where(Venue.organisation_id == organisation_id)
    return list(session.scalars(stmt.order_by(Venue.name)))


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
    return or_(*(path_within(column, p) for p in area_paths if p is not None))


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


@functools.cache
def _by_number() -> Select[Venue]:
    # built once: every scan reads its venue by number
    return select(Venue).where(Venue.number == bindparam("number"))


def get_by_number(session: Session, *, number: int) -> Venue | None:
    return session.scalars(_by_number(), {"number": number}).first()


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
        stmt = stmt.where(contains_text(Venue.name, query))
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
    venue.poster_downloaded_at = None
    session.flush()
    return venue


def mark_poster_downloaded(session: Session, *, venue: Venue) -> None:
    """Remember the first download of the current code's poster (the venue printed its code)."""
    if venue.poster_downloaded_at is None:
        venue.poster_downloaded_at = utcnow()
        session.flush()


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
