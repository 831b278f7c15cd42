"""Venues that post QR codes, the organisations that own them, and their operators."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Boolean, Enum, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from epitrace.db import Base, created_at, utcnow, uuid_pk


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=40, values_callable=lambda e: [m.value for m in e])


class VenueCategory(enum.StrEnum):
    AGENCY_OFFICE = "agency_office"
    MARKET = "market"
    SHOPPING_CENTRE = "shopping_centre"
    SHOP_RESTAURANT = "shop_restaurant"
    HOTEL_LODGING = "hotel_lodging"
    SCHOOL = "school"
    HOSPITAL_CLINIC = "hospital_clinic"
    FACTORY = "factory"
    STATION = "station"
    VEHICLE = "vehicle"
    RELIGIOUS_EVENT = "religious_event"
    QUARANTINE_FACILITY = "quarantine_facility"
    OTHER = "other"


class VenueStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"  # e.g. closed for disinfection; check-ins refused


class OrganisationKind(enum.StrEnum):
    """What an organisation is, as the province's order lists them."""

    STATE_AGENCY = "state_agency"
    POLITICAL_SOCIAL = "political_social"
    PUBLIC_SERVICE = "public_service"
    ENTERPRISE = "enterprise"
    SCHOOL = "school"  # school, university, vocational school
    HEALTH_FACILITY = "health_facility"
    TRANSPORT = "transport"
    HOSPITALITY = "hospitality"  # hotel, restaurant, lodging
    MARKET = "market"  # market, shopping centre
    QUARANTINE_AREA = "quarantine_area"
    OTHER = "other"


class Sector(enum.StrEnum):
    """The supervising sector that answers for an organisation's results."""

    HEALTH = "health"
    EDUCATION = "education"
    LABOUR = "labour"
    TRANSPORT = "transport"
    CULTURE_TOURISM = "culture_tourism"
    INDUSTRY_TRADE = "industry_trade"
    ZONE_BOARD = "zone_board"  # industrial / economic / high-tech zone management board
    MASS_ORGANISATIONS = "mass_organisations"  # trade union and mass organisations
    PEOPLE_COMMITTEE = "people_committee"  # the district / ward people's committee


class Organisation(Base):
    """An accountable unit: an agency, school, enterprise … that owns venues and keeps a roster.

    The table stays in the venue registry because venues point to it and the registry comes
    before rollout oversight; the rollout domain keeps everything about accountability (its
    admins, roster, reports) and changes these rows through `venues.service`.
    """

    __tablename__ = "organisation"

    id: Mapped[uuid_pk]
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[OrganisationKind] = mapped_column(
        _enum(OrganisationKind), default=OrganisationKind.ENTERPRISE
    )
    sector: Mapped[Sector] = mapped_column(
        _enum(Sector), default=Sector.PEOPLE_COMMITTEE, index=True
    )
    tax_code: Mapped[str | None] = mapped_column(String(20), index=True)
    ward_code: Mapped[str] = mapped_column(ForeignKey("admin_unit.code"), index=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    head_name: Mapped[str | None] = mapped_column(String(200))
    head_title: Mapped[str | None] = mapped_column(String(120))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    contact_email: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Venue(Base):
    """A place or vehicle that posts a QR code. `code_version` is bumped to revoke old codes."""

    __tablename__ = "venue"

    id: Mapped[uuid_pk]
    # Short number carried in the QR token (compact codes); unique, never reused.
    number: Mapped[int] = mapped_column(Integer, unique=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[VenueCategory] = mapped_column(_enum(VenueCategory))
    address: Mapped[str] = mapped_column(String(300), default="")
    ward_code: Mapped[str] = mapped_column(ForeignKey("admin_unit.code"), index=True)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    capacity: Mapped[int | None] = mapped_column(Integer)
    vehicle_plate: Mapped[str | None] = mapped_column(String(20))
    vehicle_route: Mapped[str | None] = mapped_column(String(200))
    small_room: Mapped[bool] = mapped_column(Boolean, default=False)
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisation.id"), index=True
    )
    status: Mapped[VenueStatus] = mapped_column(_enum(VenueStatus), default=VenueStatus.ACTIVE)
    code_version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[created_at]
    suspended_at: Mapped[datetime | None] = mapped_column(default=None)
    # First download of a poster of the current code (reset when the code is reissued):
    # the rollout counts venues that have printed their QR code.
    poster_downloaded_at: Mapped[datetime | None] = mapped_column(default=None)


class VenueOperator(Base):
    """A staff account allowed to run a venue's door (scan passes, manual entries, door log)."""

    __tablename__ = "venue_operator"
    __table_args__ = (UniqueConstraint("venue_id", "user_id"),)

    id: Mapped[uuid_pk]
    venue_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("venue.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[created_at]
