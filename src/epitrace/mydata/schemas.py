"""API shapes of "My data": everything held about a citizen, who read it, erasure requests."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from epitrace.cases.schemas import CaseOut, FollowUpOut, OrderOut, TestOut
from epitrace.checkins.schemas import PresenceOut
from epitrace.declarations.schemas import DeclarationOut
from epitrace.feedback.schemas import FeedbackOut


class NoticeOut(BaseModel):
    """The privacy notice in force and the version this account accepted (None: not yet)."""

    version: str
    accepted_version: str | None
    accepted_at: datetime | None
    accepted: bool = Field(description="True when the accepted version is the one in force.")


class NoticeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str = Field(max_length=20, description="The version shown to the citizen.")


class AccountOut(BaseModel):
    phone: str | None
    created_at: datetime
    last_login_at: datetime | None


class PassOut(BaseModel):
    """Passes are not stored: each is signed on demand and expires within minutes. This is
    the colour a pass made now would carry, and why."""

    colour: Literal["green", "yellow", "red"]
    reason: str


class VisitOut(BaseModel):
    presence: PresenceOut
    venue_name: str
    venue_address: str


class PersonDataOut(BaseModel):
    """One person: the account holder (`relationship` "self") or a dependent."""

    id: uuid.UUID
    relationship: str
    full_name: str
    phone: str | None
    id_number: str | None
    birth_year: int | None
    gender: str | None
    ward_code: str | None
    ward_name: str | None
    address: str | None
    created_at: datetime
    current_pass: PassOut
    declarations: list[DeclarationOut]
    checkins: list[VisitOut]
    cases: list[CaseOut]
    tests: list[TestOut]
    quarantine_orders: list[OrderOut]
    quarantine_follow_ups: list[FollowUpOut]
    feedback: list[FeedbackOut]


class AccessOut(BaseModel):
    """One read or change of these records by someone other than the citizen."""

    at: datetime
    action: str = Field(examples=["read", "update", "create", "export"])
    what: str = Field(description="The kind of record: person, case, declaration …")
    person_id: uuid.UUID | None = Field(description="Whose record (self or a dependent).")
    purpose: str
    who: str = Field(
        description="The staff member's role and unit; their name only where "
        "the deployment chose names (EPITRACE_PRIVACY_SHOW_STAFF_NAMES)."
    )
    roles: list[str]
    units: list[str]
    name: str | None


class ErasureOut(BaseModel):
    id: uuid.UUID
    status: Literal["queued", "done"]
    reasons: list[str] = Field(
        description="What holds a queued request: active_case, pending_test, quarantine, "
        "open_trace, recent_checkins."
    )
    reason_texts: list[str]
    possible_on: date | None = Field(
        description="The local day from which a queued request is honoured (None: when the "
        "case is closed or the test result is in)."
    )
    requested_at: datetime
    done_at: datetime | None
    people: int
    erased: dict[str, int]


class ErasureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    confirm: Literal[True] = Field(description="Must be true: erasure cannot be undone.")


class MyDataOut(BaseModel):
    """Everything held about the citizen and the dependents they declare for."""

    generated_at: datetime
    notice: NoticeOut
    account: AccountOut
    people: list[PersonDataOut]
    erasure: ErasureOut | None
