"""People (citizens, dependents, anyone traced), sign-in accounts, role grants, one-time codes,
browser sessions."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from epitrace.accounts.names import fold
from epitrace.db import Base, created_at, utcnow, uuid_pk
from epitrace.security.roles import Role


def new_pseudonym() -> str:
    return secrets.token_urlsafe(9)


class Person(Base):
    """A human the system knows about: an account holder, a dependent, or someone traced.

    `guardian_id` is set for dependents (relatives without a smartphone) declared by a citizen.
    `pseudonym` is the random id used in personal passes instead of anything identifying.
    `search_name` is `full_name` folded for search (no diacritics, lower case), kept in step
    by the model. `merged_into_id` is set when the record was merged into another record of
    the same human: it stays for history, everything about the human now points to the other.
    """

    __tablename__ = "person"

    id: Mapped[uuid_pk]
    full_name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    id_number: Mapped[str | None] = mapped_column(String(20), index=True)
    birth_year: Mapped[int | None] = mapped_column(Integer)
    gender: Mapped[str | None] = mapped_column(String(10))
    ward_code: Mapped[str | None] = mapped_column(ForeignKey("admin_unit.code"), index=True)
    address: Mapped[str | None] = mapped_column(String(300))
    guardian_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    relationship_to_guardian: Mapped[str | None] = mapped_column(String(40))
    pseudonym: Mapped[str] = mapped_column(String(24), unique=True, default=new_pseudonym)
    search_name: Mapped[str] = mapped_column(String(200), default="", index=True)
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("person.id"), default=None, index=True
    )
    created_at: Mapped[created_at]

    @validates("full_name")
    def _fold_name(self, _key: str, value: str) -> str:
        self.search_name = fold(value)[:200]
        return value


class UserAccount(Base):
    """Something that signs in: a citizen (phone + one-time code) or staff (username + password)."""

    __tablename__ = "user_account"
    # the accounts created since a day ended: the indicators subtract them from the counts
    # kept per ward (`ward_signup_count`)
    __table_args__ = (Index("ix_user_account_created", "created_at"),)

    id: Mapped[uuid_pk]
    kind: Mapped[str] = mapped_column(String(10))  # "citizen" | "staff"
    username: Mapped[str | None] = mapped_column(String(80), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("person.id"), index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[created_at]
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)
    # the version of the privacy notice the citizen accepted, and when (docs/privacy.md)
    privacy_notice_version: Mapped[str | None] = mapped_column(String(20), default=None)
    privacy_notice_accepted_at: Mapped[datetime | None] = mapped_column(default=None)

    grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )


class RoleGrant(Base):
    """A role held by a staff account, bound to an area (None = the whole country)."""

    __tablename__ = "role_grant"
    __table_args__ = (UniqueConstraint("user_id", "role", "area_code"),)

    id: Mapped[uuid_pk]
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=30, values_callable=lambda e: [m.value for m in e])
    )
    area_code: Mapped[str | None] = mapped_column(ForeignKey("admin_unit.code"))
    created_at: Mapped[created_at]

    user: Mapped[UserAccount] = relationship(back_populates="grants")


class OtpChallenge(Base):
    """A one-time sign-in code sent by SMS; only its hash is stored."""

    __tablename__ = "otp_challenge"

    id: Mapped[uuid_pk]
    phone: Mapped[str] = mapped_column(String(20), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]
    consumed_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebSession(Base):
    """A browser session. The cookie holds a random id; only its SHA-256 is stored here.

    `user_id` is None before sign-in (the session then only carries the CSRF token of the
    sign-in forms and one-time messages). Signing out deletes the row, so a copied cookie
    is worthless afterwards. A session ends at `expires_at` or after the idle timeout
    counted from `last_seen_at` (settings `session_max_age_seconds`, `session_idle_seconds`).
    """

    __tablename__ = "web_session"

    id: Mapped[uuid_pk]
    id_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    user_agent: Mapped[str | None] = mapped_column(String(200))
    ip_address: Mapped[str | None] = mapped_column(String(45))
    created_at: Mapped[created_at]
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
