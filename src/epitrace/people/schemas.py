"""API shapes of person matching, search and merging."""

from __future__ import annotations

import uuid

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
