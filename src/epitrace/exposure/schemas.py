"""API shapes of the key server (Pydantic only)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from epitrace.exposure import schedule
from epitrace.web.fields import MedicalDate


class CodeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    area_code: str | None = Field(default=None, max_length=16)
    case_id: uuid.UUID | None = None
    report_type: Literal["confirmed_test", "clinical_diagnosis"] = "confirmed_test"
    test_date: MedicalDate | None = None
    onset_date: MedicalDate | None = None
    valid_minutes: int = Field(default=60, ge=5, le=1440)


class CodeOut(BaseModel):
    code: str
    expires_at: datetime
    area_code: str
    case_id: uuid.UUID | None
    report_type: str
    test_date: date
    onset_date: date | None


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="ignore")  # EN clients send transmissionRisk too

    key_data: str = Field(max_length=64)
    rolling_start_interval_number: int = Field(ge=0, le=schedule.ENIN_MAX)
    rolling_period: int = Field(default=schedule.TEK_ROLLING_PERIOD, ge=-1000, le=100_000)


class KeyUpload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    verification_code: str = Field(min_length=4, max_length=32)
    keys: list[KeyIn] = Field(max_length=100)


class KeyUploadOut(BaseModel):
    inserted: int
    report_type: str
    message: str


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    consent: bool
    exposure_date: MedicalDate
    score: float = Field(default=0.0, ge=0, le=1_000_000)
    windows: int = Field(default=0, ge=0, le=10_000)
    ward_code: str | None = Field(default=None, max_length=16)
    attach_to_account: bool = False
    idempotency_key: str = Field(min_length=8, max_length=100)


class ReportOut(BaseModel):
    id: uuid.UUID
    created: bool
    advice: str


class DayCount(BaseModel):
    day: date
    reports: int


class CountsOut(BaseModel):
    area_code: str | None
    since: date
    codes_issued: int
    codes_used: int
    keys_uploaded: int
    reports: int
    reports_by_day: list[DayCount]
    files_published: int
