"""API shapes of person matching, search and merging."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field


class CandidateOut(BaseModel):
    """A known person and the evidence that they are the one meant."""

    person_id: uuid.UUID
    full_name: str = Field(description="Initials only when the person is outside your area.")
    matched_on: list[str] = Field(description='"phone" and/or "id_number"; empty in a search.')
    phone_masked: str | None
    ward_code: str | None = Field(description="Home ward, else the ward of a case or order.")
    ward_name: str | None
    birth_year: int | None
    has_account: bool = Field(description="Signed up: checks in and declares from a phone.")
    in_area: bool = Field(description="You may register a case or order for this person.")


class MatchIn(BaseModel):
    phone: str | None = Field(default=None, max_length=20)
    id_number: str | None = Field(default=None, max_length=20)


class MergeIn(BaseModel):
    keep_id: uuid.UUID = Field(description="The record that stays.")
    merge_id: uuid.UUID = Field(description="The record merged into it (kept as history).")


class MergeOut(BaseModel):
    person_id: uuid.UUID
    merged_id: uuid.UUID
    moved: dict[str, int]
    filled: list[str]


class RecordDeclarationOut(BaseModel):
    id: uuid.UUID
    submitted_at: datetime
    ward_code: str
    symptoms: list[str]
    exposures: list[str]
    test_kind: str | None
    test_result: str | None


class RecordTestOut(BaseModel):
    id: uuid.UUID
    test_type: str
    sampled_at: datetime
    result: str


class RecordCaseOut(BaseModel):
    id: uuid.UUID
    confirmed_at: datetime
    status: str
    ward_code: str


class RecordOrderOut(BaseModel):
    id: uuid.UUID
    reason: str
    kind: str
    starts_at: datetime
    ends_at: datetime
    status: str


class RecordPresenceOut(BaseModel):
    venue_id: uuid.UUID
    venue_name: str
    entered_at: datetime
    left_at: datetime | None


class HealthRecordOut(BaseModel):
    """What the health system holds about one person, as a reader with a purpose sees it."""

    person_id: uuid.UUID
    full_name: str
    phone: str | None
    birth_year: int | None
    ward_code: str | None
    ward_name: str | None
    context: str | None = Field(
        description='The active case that covers the read ("active_case", "case_contact", '
        '"active_quarantine"), or null when a purpose was stated.'
    )
    purpose: str = Field(description="The purpose written to the audit log.")
    declarations: list[RecordDeclarationOut]
    lab_tests: list[RecordTestOut]
    cases: list[RecordCaseOut]
    quarantine_orders: list[RecordOrderOut]
    check_ins: list[RecordPresenceOut]
