"""API shapes of the audit log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    at: datetime
    actor_id: uuid.UUID | None
    actor_label: str
    action: str
    subject_type: str
    subject_id: str
    purpose: str
    ip: str | None
    detail: dict[str, Any] | None


class AuditPage(BaseModel):
    total: int
    items: list[AuditEntryOut]


class AccessFlagOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    actor_id: uuid.UUID
    actor_label: str
    kind: str = Field(description='"many_people" or "outside_area".')
    window_start: datetime
    window_end: datetime
    people: int = Field(description="Named people read in the window (outside: outside only).")
    detail: dict[str, Any] | None
    created_at: datetime
    reviewed_at: datetime | None
    review_note: str


class ReviewIn(BaseModel):
    note: str = Field(min_length=1, max_length=300, description="What was found, what was done.")


class AuditReportRowOut(BaseModel):
    key: str = Field(description="Account id, or unit code ('*' for nationwide grants).")
    label: str
    roles: list[str] = Field(description="role@unit of the account(s).")
    accounts: int
    reads: int = Field(description="Reads of named people (audit entries).")
    people: int = Field(description="Distinct named people read.")
    purposes: dict[str, int]
    flags: int
