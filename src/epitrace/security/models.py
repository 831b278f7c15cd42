"""Tables of the security domain: API tokens, rate-limit counters and the audit log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from epitrace.db import KEEPS_PERSON, Base, created_at, uuid_pk


class ApiToken(Base):
    """A bearer token for the API; only the SHA-256 of the token is stored."""

    __tablename__ = "api_token"

    id: Mapped[uuid_pk]
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[created_at]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class RateCounter(Base):
    """A fixed-window counter shared by every server process (works on SQLite and PostgreSQL)."""

    __tablename__ = "rate_counter"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class AuditEntry(Base):
    """Who read or changed which personal record, when and from where."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_subject", "subject_type", "subject_id"),
        Index("ix_audit_entry_at", "at"),
    )

    id: Mapped[uuid_pk]
    at: Mapped[created_at]
    actor_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    actor_label: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(20))  # read | create | update | delete | export
    subject_type: Mapped[str] = mapped_column(String(60))
    subject_id: Mapped[str] = mapped_column(String(100))
    purpose: Mapped[str] = mapped_column(String(100), default="")
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # the people a search or a match listed (detail `ids` / `matched`), one row each
    named: Mapped[list[AuditNamedPerson]] = relationship(
        cascade="all, delete-orphan", lazy="raise", passive_deletes=True
    )


# the lists of people an entry of one search or match may name in its detail
NAMED_LISTS = ("ids", "matched")


class AuditNamedPerson(Base):
    """A person named by an audit entry that read many (a search, a match): a person's access
    history finds the entries by this index, not by reading every search's detail."""

    __tablename__ = "audit_named_person"
    __table_args__ = (Index("ix_audit_named_person_person_id", "person_id"),)

    entry_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("audit_entry.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, info={KEEPS_PERSON: False})


class AccessFlag(Base):
    """Unusual access by one staff account in one window, for the system administrators.

    `kind` is "many_people" (more named people read than the threshold) or "outside_area"
    (people read outside the units the account read in before). Flags are found by the
    `security.access_flags` job from the audit log; an administrator reviews each one.
    """

    __tablename__ = "access_flag"
    __table_args__ = (UniqueConstraint("actor_id", "kind", "window_start"),)

    id: Mapped[uuid_pk]
    actor_id: Mapped[uuid.UUID] = mapped_column(index=True)
    actor_label: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    people: Mapped[int] = mapped_column(Integer)  # named people concerned in the window
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[created_at]
    reviewed_at: Mapped[datetime | None] = mapped_column(default=None)
    reviewed_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    review_note: Mapped[str] = mapped_column(String(300), default="")
