"""API shapes of the audit log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


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
