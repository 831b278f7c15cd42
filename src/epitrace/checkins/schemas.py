"""API shapes of check-ins, offline batches, door scans, manual entries and counts."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from epitrace.checkins import policy
from epitrace.checkins.models import CloseReason, PresenceMethod
from epitrace.web.fields import MedicalDateTime

CLIENT_KEY_PATTERN = r"^[A-Za-z0-9_\-:.]+$"


class HeldIn(BaseModel):
    """A presence the phone opened in the escrow privacy mode, with its close token."""

    model_config = ConfigDict(extra="forbid")

    presence_id: uuid.UUID
    close_token: str = Field(min_length=8, max_length=64)


HELD_DESCRIPTION = (
    "Escrow privacy mode only: the presences this phone opened for the people of this scan "
    "(the owner and the dependents named), with their close tokens, so that this scan can "
    "close or check out of them; the server cannot find them itself."
)
TOKENS_DESCRIPTION = (
    "Escrow privacy mode only: the close token of each presence opened, by presence id; the "
    "phone keeps them and sends them as `held` with its next scan or check-out."
)


class CheckinIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=400, description="The code's token or its URL.")
    dependent_ids: list[uuid.UUID] = Field(default_factory=list, max_length=20)
    client_key: str | None = Field(
        default=None, min_length=8, max_length=64, pattern=CLIENT_KEY_PATTERN
    )
    device_id: str | None = Field(default=None, max_length=64)
    held: list[HeldIn] = Field(default_factory=list, max_length=40, description=HELD_DESCRIPTION)


class ScanItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_key: str = Field(min_length=8, max_length=64, pattern=CLIENT_KEY_PATTERN)
    token: str = Field(min_length=1, max_length=400)
    at: MedicalDateTime = Field(description="When the phone scanned the code (with time zone).")
    dependent_ids: list[uuid.UUID] = Field(default_factory=list, max_length=20)


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    device_id: str | None = Field(default=None, max_length=64)
    scans: list[ScanItemIn] = Field(max_length=policy.BATCH_MAX_SCANS)
    held: list[HeldIn] = Field(default_factory=list, max_length=40, description=HELD_DESCRIPTION)


class BatchItemOut(BaseModel):
    client_key: str
    status: Literal["accepted", "duplicate", "refused"]
    outcome: str | None = None
    reason: str | None = None
    message: str | None = None
    venue_id: uuid.UUID | None = None
    presence_ids: list[uuid.UUID] = Field(default_factory=list)


class BatchOut(BaseModel):
    accepted: int
    duplicates: int
    refused: int
    results: list[BatchItemOut]
    retry_after: int | None = Field(
        default=None,
        description="Seconds until the daily budget renews, when scans were held back "
        "('daily_limit'); the phone sends those again then.",
    )
    close_tokens: dict[uuid.UUID, str] = Field(default_factory=dict, description=TOKENS_DESCRIPTION)


class PresenceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    venue_id: uuid.UUID
    person_id: uuid.UUID | None
    entered_at: datetime
    left_at: datetime | None
    close_reason: CloseReason | None
    method: PresenceMethod


class CheckinOut(BaseModel):
    outcome: str
    message: str
    duplicate: bool
    venue_id: uuid.UUID
    venue_name: str
    presences: list[PresenceOut]
    close_tokens: dict[uuid.UUID, str] = Field(default_factory=dict, description=TOKENS_DESCRIPTION)


class VisitOut(BaseModel):
    presence: PresenceOut
    venue_name: str
    venue_address: str
    dependent_name: str


class DoorScanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=400, description="The scanned personal pass.")
    direction: Literal["in", "out", "auto"] = "in"


class DoorScanOut(BaseModel):
    outcome: str
    message: str
    colour: Literal["green", "yellow", "red"]
    name: str
    presence: PresenceOut | None
    occupancy: int


class ManualEntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    full_name: str = Field(min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=20)
    id_number: str | None = Field(default=None, max_length=20)


class DoorLogRowOut(BaseModel):
    presence: PresenceOut
    name: str


class DoorLogOut(BaseModel):
    venue_id: uuid.UUID
    day: date
    entries: int
    exits: int
    occupancy: int
    rows: list[DoorLogRowOut]


class VenueCountOut(BaseModel):
    venue_id: uuid.UUID
    venue_name: str
    ward_code: str
    checkins: int


class WardCountOut(BaseModel):
    ward_code: str
    ward_name: str
    checkins: int
    venues: int


class CountsOut(BaseModel):
    day: date
    venues: list[VenueCountOut]
    wards: list[WardCountOut]


class CheckoutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    close_token: str | None = Field(
        default=None,
        min_length=8,
        max_length=64,
        description="Escrow privacy mode only: the presence's close token.",
    )
