"""API shapes of declarations, statuses, passes and the officials' lists."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from epitrace.web.fields import MedicalDate


class TravelIn(BaseModel):
    place: str = Field(default="", max_length=200)
    date: MedicalDate | None = None


class DeclarationIn(BaseModel):
    """A domestic health declaration; the service checks every rule and names each bad field."""

    model_config = ConfigDict(extra="forbid")

    subject: Literal["self", "dependent", "other"] = "self"
    person_id: uuid.UUID | None = None  # the dependent, when subject is "dependent"
    full_name: str = Field(default="", max_length=200)
    id_kind: Literal["cccd", "passport"] = "cccd"
    id_number: str = Field(default="", max_length=20)
    # bounded here; the service says "between 1900 and this year" beside the field
    birth_year: int | None = Field(default=None, ge=0, le=9999)
    gender: str = Field(default="", max_length=10)
    nationality: str = Field(default="Việt Nam", max_length=60)
    ward_code: str = Field(default="", max_length=16)
    street: str = Field(default="", max_length=300)
    phone: str = Field(default="", max_length=20)
    email: str | None = Field(default=None, max_length=200)
    travel: list[TravelIn] = Field(default_factory=list, max_length=10)
    symptoms: list[str] = Field(default_factory=list, max_length=10)
    other_symptom: str | None = Field(default=None, max_length=300)
    exposures: list[str] = Field(default_factory=list, max_length=5)
    dose_dates: list[MedicalDate] = Field(default_factory=list, max_length=6)
    test_kind: Literal["rapid", "pcr"] | None = None
    test_date: MedicalDate | None = None
    test_result: Literal["negative", "positive"] | None = None
    consent: bool = False


class TravelOut(BaseModel):
    place: str
    date: str


class DeclarationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    person_id: uuid.UUID
    subject: str
    full_name: str
    id_kind: str
    id_number: str
    birth_year: int
    gender: str
    nationality: str
    ward_code: str
    street: str
    phone: str
    email: str | None
    travel: list[TravelOut]
    symptoms: list[str]
    other_symptom: str | None
    exposures: list[str]
    dose_dates: list[str]
    test_kind: str | None
    test_date: date | None
    test_result: str | None
    has_symptoms: bool
    has_exposure: bool
    submitted_at: datetime


class StatusOut(BaseModel):
    person_id: uuid.UUID
    full_name: str
    colour: Literal["green", "yellow", "red"]
    reason_code: str
    reason: str
    last_declared_at: datetime | None


class DeclarationCreated(BaseModel):
    declaration: DeclarationOut
    status: StatusOut


class PassOut(BaseModel):
    person_id: uuid.UUID
    full_name: str
    text: str
    colour: Literal["green", "yellow", "red"]
    reason: str
    issued_at: datetime
    expires_at: datetime
    refresh_in_seconds: int
    qr_svg: str  # a data: URI of the QR code, for an <img>


class VerifyIn(BaseModel):
    text: str = Field(max_length=400)


class VerifyOut(BaseModel):
    colour: Literal["green", "yellow", "red"]
    display_name: str
    birth_year: int | None
    issued_at: datetime
    expires_at: datetime


class FlaggedOut(BaseModel):
    id: uuid.UUID
    person_id: uuid.UUID
    full_name: str
    phone: str
    ward_code: str
    ward_name: str
    street: str
    symptoms: list[str]
    exposures: list[str]
    submitted_at: datetime
    followed_up_at: datetime | None
    followed_up_by: str | None


class WardDayCount(BaseModel):
    ward_code: str
    ward_name: str
    day: date
    declarations: int
    with_symptoms: int
    with_exposure: int


class FollowUpIn(BaseModel):
    note: str = Field(default="", max_length=1000)


class FollowUpOut(BaseModel):
    declaration_id: uuid.UUID
    followed_up_at: datetime
    followed_up_by: str
