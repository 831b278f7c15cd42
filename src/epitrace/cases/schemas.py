"""API shapes of cases, tests, quarantine orders and follow-ups."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from epitrace.cases.models import (
    CaseStatus,
    FollowUpOutcome,
    QuarantineKind,
    TestResult,
    TestType,
)
from epitrace.web.fields import BirthYear, MedicalDateTime, Temperature


class NewPerson(BaseModel):
    """A person as the laboratory reports them: a phone or ID number is matched first.

    Name and ward are needed only when nobody known matches (or `new_person` is set).
    """

    full_name: str = Field(default="", max_length=200)
    ward_code: str = Field(default="", max_length=16)
    phone: str | None = Field(default=None, max_length=20)
    id_number: str | None = Field(default=None, max_length=20, description="CCCD or passport.")
    birth_year: BirthYear | None = None
    address: str | None = Field(default=None, max_length=300)


_PERSON_ID = "A known person (from a match or a search)."
_NEW = (
    "Register `person` as a new person although their phone or ID number matches someone "
    "known; without it such a request answers 409 with the candidates."
)


class CaseIn(BaseModel):
    person_id: uuid.UUID | None = Field(default=None, description=_PERSON_ID)
    person: NewPerson | None = None
    new_person: bool = Field(default=False, description=_NEW)
    ward_code: str | None = Field(default=None, max_length=16)
    test_type: TestType = TestType.PCR
    sampled_at: MedicalDateTime
    onset_at: MedicalDateTime | None = None
    isolated_at: MedicalDateTime | None = None
    isolation_place: str = Field(default="", max_length=300)
    notes: str = Field(default="", max_length=2000)


class CaseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    person_id: uuid.UUID
    full_name: str = ""
    ward_code: str
    test_type: TestType
    sampled_at: datetime
    confirmed_at: datetime
    onset_at: datetime | None
    isolated_at: datetime | None
    isolation_place: str
    status: CaseStatus


class TestIn(BaseModel):
    person_id: uuid.UUID | None = Field(default=None, description=_PERSON_ID)
    person: NewPerson | None = None
    new_person: bool = Field(default=False, description=_NEW)
    test_type: TestType
    sampled_at: MedicalDateTime
    result: TestResult = TestResult.PENDING
    promote: bool = False
    ward_code: str | None = Field(default=None, max_length=16)


class TestOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    person_id: uuid.UUID
    test_type: TestType
    sampled_at: datetime
    result: TestResult
    case_id: uuid.UUID | None


class OrderIn(BaseModel):
    person_id: uuid.UUID | None = Field(default=None, description=_PERSON_ID)
    person: NewPerson | None = None
    new_person: bool = Field(default=False, description=_NEW)
    reason: str = Field(pattern="^f[012]$")
    kind: QuarantineKind
    ward_code: str | None = Field(default=None, max_length=16)
    facility_name: str = Field(default="", max_length=300)
    starts_at: MedicalDateTime | None = None
    case_id: uuid.UUID | None = None


class OrderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    person_id: uuid.UUID
    reason: str
    kind: QuarantineKind
    ward_code: str
    facility_name: str
    starts_at: datetime
    ends_at: datetime
    test_days: list[str]


class VisitIn(BaseModel):
    outcome: FollowUpOutcome
    temperature: Temperature | None = None
    symptoms: str = Field(default="", max_length=500)


class SelfReportIn(BaseModel):
    symptoms: str = Field(default="", max_length=500)
    temperature: Temperature | None = None


class FollowUpOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    order_id: uuid.UUID
    day: date
    source: str
    outcome: FollowUpOutcome


class QuarantineRow(BaseModel):
    order: OrderOut
    full_name: str
    phone: str | None
    reported_today: bool
    test_due_today: bool


class BreachOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    order_id: uuid.UUID
    presence_id: uuid.UUID
    venue_id: uuid.UUID
    ward_code: str
    entered_at: datetime
    full_name: str = ""
    phone: str | None = None
    venue_name: str = ""
