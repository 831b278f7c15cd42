"""Health declarations (append-only) and the follow-up marks officials put on them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from epitrace.db import Base, created_at, utcnow, uuid_pk


class Declaration(Base):
    """One domestic health declaration, as submitted; never changed afterwards.

    The latest declaration of a person supersedes the earlier ones, which stay as history.
    `has_symptoms` / `has_exposure` are kept beside the lists so that officials' queries
    filter on an indexed column.
    """

    __tablename__ = "declaration"
    __table_args__ = (
        Index("ix_declaration_person_submitted", "person_id", "submitted_at"),
        Index("ix_declaration_ward_submitted", "ward_code", "submitted_at"),
    )

    id: Mapped[uuid_pk]
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    submitted_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    subject: Mapped[str] = mapped_column(String(12))  # self | dependent | other
    full_name: Mapped[str] = mapped_column(String(200))
    id_kind: Mapped[str] = mapped_column(String(10))  # cccd | passport
    id_number: Mapped[str] = mapped_column(String(20))
    birth_year: Mapped[int] = mapped_column(Integer)
    gender: Mapped[str] = mapped_column(String(10))
    nationality: Mapped[str] = mapped_column(String(60))
    ward_code: Mapped[str] = mapped_column(ForeignKey("admin_unit.code"))
    street: Mapped[str] = mapped_column(String(300))
    phone: Mapped[str] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(200))
    travel: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    symptoms: Mapped[list[str]] = mapped_column(JSON, default=list)
    other_symptom: Mapped[str | None] = mapped_column(String(300))
    exposures: Mapped[list[str]] = mapped_column(JSON, default=list)
    dose_dates: Mapped[list[str]] = mapped_column(JSON, default=list)  # ISO dates, in order
    test_kind: Mapped[str | None] = mapped_column(String(10))  # rapid | pcr
    test_date: Mapped[date | None] = mapped_column(Date)
    test_result: Mapped[str | None] = mapped_column(String(10))  # negative | positive
    has_symptoms: Mapped[bool] = mapped_column(Boolean, default=False)
    has_exposure: Mapped[bool] = mapped_column(Boolean, default=False)
    consent: Mapped[bool] = mapped_column(Boolean)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)


class FollowUp(Base):
    """An official's note that a flagged declaration was followed up (by phone, a visit …)."""

    __tablename__ = "declaration_follow_up"

    id: Mapped[uuid_pk]
    declaration_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("declaration.id", ondelete="CASCADE"), index=True
    )
    by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    by_label: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[created_at]
