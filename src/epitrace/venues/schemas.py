"""API shapes of venues."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from epitrace.venues.models import VenueCategory, VenueStatus


class VenueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, examples=["Chợ Bến Thành"])
    category: VenueCategory
    ward_code: str = Field(min_length=1, max_length=16, examples=["26743"])
    address: str = Field(default="", max_length=300)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    capacity: int | None = Field(default=None, ge=1, le=1_000_000)
    vehicle_plate: str | None = Field(default=None, max_length=20)
    vehicle_route: str | None = Field(default=None, max_length=200)
    small_room: bool = False
    organisation_id: uuid.UUID | None = None


class VenueOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    number: int
    name: str
    category: VenueCategory
    address: str
    ward_code: str
    latitude: float | None
    longitude: float | None
    capacity: int | None
    vehicle_plate: str | None
    vehicle_route: str | None
    small_room: bool
    organisation_id: uuid.UUID | None
    status: VenueStatus
    code_version: int
    created_at: datetime
    qr_url: str | None = None


class VenuePage(BaseModel):
    items: list[VenueOut]
    total: int


class OperatorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=80)


class OperatorOut(BaseModel):
    user_id: uuid.UUID
    username: str | None
    display_name: str


class PublicVenueOut(BaseModel):
    """What a scanned code shows to anyone: the venue, no operator details."""

    id: uuid.UUID
    name: str
    category: VenueCategory
    category_label: str
    address: str
    ward_name: str
    status: VenueStatus
