"""API shapes of traces, contacts, clusters, hotspots and risk levels."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from epitrace.web.fields import MedicalDateTime


class Evidence(BaseModel):
    contact_presence_id: uuid.UUID
    source_presence_id: uuid.UUID
    venue_id: uuid.UUID
    venue_name: str
    venue_ward: str
    exposed_at: datetime
    exposure_end: datetime
    overlap_minutes: int
    evidence_count: int


class ContactOut(BaseModel):
    level: int
    contact_key: str
    person_id: uuid.UUID | None
    manual_visitor_id: uuid.UUID | None
    full_name: str
    phone: str | None
    home_ward: str | None
    source_key: str
    source_name: str
    evidence: Evidence


class TraceOut(BaseModel):
    trace_id: uuid.UUID
    case_id: uuid.UUID
    policy_version: int
    window_start: datetime
    window_end: datetime
    ran_at: datetime
    duration_ms: int
    f1_count: int
    f2_count: int
    confirmed_at: datetime | None = None
    alerts_queued: int = 0


class TraceConfirmOut(BaseModel):
    """What confirming a trace queued: one alert per contact (and level) of the case."""

    trace: TraceOut
    queued: int
    unreachable: int
    already_alerted: int


class HotspotAlertIn(BaseModel):
    venue_id: uuid.UUID
    starts_at: MedicalDateTime
    ends_at: MedicalDateTime
    note: str = Field(default="", max_length=300)


class HotspotAlertOut(BaseModel):
    id: uuid.UUID
    venue_id: uuid.UUID
    venue_name: str
    ward_code: str
    starts_at: datetime
    ends_at: datetime
    note: str
    visitors: int
    created_at: datetime


class HotspotAlertCreated(BaseModel):
    alert: HotspotAlertOut
    queued: int
    unreachable: int


class ContactsOut(BaseModel):
    """Identities only for roles allowed to see them; otherwise counts by ward."""

    case_id: uuid.UUID
    trace: TraceOut | None
    f1_count: int
    f2_count: int
    counts_by_ward: dict[str, list[int]]
    identities: bool
    f0_presences: int | None = Field(
        default=None, description="The F0's check-ins in the infectious window (after a trace)."
    )
    warning: str | None = Field(
        default=None, description="Why the trace could find nobody, when that is the reason."
    )
    f1: list[ContactOut] = []
    f2: list[ContactOut] = []


class WardRiskOut(BaseModel):
    code: str
    name: str
    population: int | None
    cases_7: int
    cases_14: int
    per_100k_7: float | None
    per_100k_14: float | None
    level: int | None


class HotspotOut(BaseModel):
    venue_id: uuid.UUID
    name: str
    ward_code: str
    category: str
    presences: int
    cases: int


class ClusterOut(BaseModel):
    size: int
    case_ids: list[uuid.UUID]
    venue_ids: list[uuid.UUID]
