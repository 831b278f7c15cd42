"""API shapes for sign-in, profiles, dependents and staff accounts."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from epitrace.errors import N_
from epitrace.security.roles import Role
from epitrace.web.fields import BirthYear


class OtpRequest(BaseModel):
    phone: str = Field(min_length=9, max_length=20, examples=["0912345678"])


class OtpRequested(BaseModel):
    phone: str
    expires_in: int


class TokenRequest(BaseModel):
    """Either staff credentials or a citizen's phone number and one-time code."""

    username: str | None = Field(default=None, max_length=80)
    password: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=20)
    code: str | None = Field(default=None, max_length=10)

    @model_validator(mode="after")
    def one_kind(self) -> TokenRequest:
        staff = self.username is not None and self.password is not None
        citizen = self.phone is not None and self.code is not None
        if staff == citizen:
            raise ValueError(N_("Give either username and password, or phone and code."))
        return self


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int


class GrantOut(BaseModel):
    role: Role
    area_code: str | None


class MeOut(BaseModel):
    user_id: uuid.UUID
    kind: str
    display_name: str
    person_id: uuid.UUID | None
    grants: list[GrantOut]


class ProfileIn(BaseModel):
    full_name: str = Field(min_length=1, max_length=200)
    birth_year: BirthYear | None = None
    ward_code: str | None = Field(default=None, max_length=16)
    address: str | None = Field(default=None, max_length=300)


class PersonOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    full_name: str
    birth_year: int | None
    ward_code: str | None
    relationship_to_guardian: str | None = None


class DependentIn(BaseModel):
    full_name: str = Field(min_length=1, max_length=200)
    birth_year: BirthYear | None = None
    relationship: str | None = Field(default=None, max_length=40)
    gender: str | None = Field(default=None, pattern="^(male|female|other)$")


class StaffGrantIn(BaseModel):
    role: Role
    area_code: str | None = Field(default=None, max_length=16)


class StaffIn(BaseModel):
    username: str = Field(min_length=3, max_length=80, pattern=r"^[A-Za-z0-9_.\-]+$")
    password: str = Field(min_length=10, max_length=200)
    display_name: str | None = Field(default=None, max_length=200)
    grants: list[StaffGrantIn] = Field(default_factory=list, max_length=20)


class StaffGrantOut(GrantOut):
    id: uuid.UUID


class StaffOut(BaseModel):
    id: uuid.UUID
    username: str
    display_name: str
    is_active: bool
    created_at: datetime
    grants: list[StaffGrantOut]


class StaffUpdate(BaseModel):
    """Fields an administrator may change; absent fields stay as they are."""

    display_name: str | None = Field(default=None, min_length=1, max_length=200)
    is_active: bool | None = None


class PasswordReset(BaseModel):
    password: str = Field(min_length=10, max_length=200)


class PasswordChange(BaseModel):
    """A staff member's own new password; their other sessions and tokens end."""

    current_password: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=10, max_length=200)


class SessionOut(BaseModel):
    """A browser session of the signed-in account."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    user_agent: str | None
    ip_address: str | None
    current: bool = False


class SignedOut(BaseModel):
    ended: int = Field(description="Sessions and tokens that ended.")
