"""API shapes of the escrow openings."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from epitrace.escrow.models import OpeningStatus


class OpeningIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="", max_length=300, description="Why the case is traced.")


class OpeningOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    case_id: uuid.UUID
    first_day: date
    last_day: date
    status: OpeningStatus
    expires_at: datetime
    opened_presences: int
    trace_id: uuid.UUID | None
    f1_count: int | None = None
    f2_count: int | None = None
