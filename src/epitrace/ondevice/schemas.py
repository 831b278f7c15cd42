"""API shapes of on-device mode: hotspot notices (public and staff views), anonymous counts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from epitrace.web.fields import MedicalDateTime

Severity = Literal["monitor_symptoms", "get_tested"]


class NoticeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    venue_id: uuid.UUID
    starts_at: MedicalDateTime
    ends_at: MedicalDateTime
    severity: Severity = Field(description="'monitor_symptoms' or 'get_tested'.")
    instructions_vi: str = Field(min_length=1, max_length=1000)
    instructions_en: str = Field(default="", max_length=1000)


class NoticeOut(BaseModel):
    """A notice as the health officers see it (with the venue's name)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    venue_id: uuid.UUID
    venue_name: str
    ward_code: str
    starts_at: datetime
    ends_at: datetime
    severity: str
    instructions_vi: str
    instructions_en: str
    issued_at: datetime
    expires_at: datetime
    withdrawn_at: datetime | None


class SignedNoticeOut(BaseModel):
    """One public notice: the signed canonical JSON (base64url) and its Ed25519 signature."""

    id: uuid.UUID
    kid: int
    payload: str
    signature: str


class NoticeListOut(BaseModel):
    generated_at: datetime
    next_since: datetime = Field(description="Pass as `since` on the next fetch.")
    notices: list[SignedNoticeOut]


class NoticeKeyOut(BaseModel):
    kid: int
    alg: Literal["Ed25519"] = "Ed25519"
    public_key: str = Field(description="The raw 32-byte public key, base64url.")
    status: str


class NoticeKeysOut(BaseModel):
    keys: list[NoticeKeyOut]


class VisitCountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=20, max_length=400, description="The scanned venue code.")
    hour: AwareDatetime | None = Field(
        default=None, description="Hour of a scan made offline (now when absent)."
    )
    people: int = Field(default=1, ge=1, le=11, description="The scanner and their relatives.")


class VisitCountOut(BaseModel):
    """What the phone keeps with the visit: the venue's id, name and default dwell time."""

    venue_id: uuid.UUID
    venue_name: str
    venue_address: str
    dwell_minutes: int


class HourCountOut(BaseModel):
    hour: datetime
    self_scans: int
    door_scans: int
