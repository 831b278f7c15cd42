"""Feedback reports from citizens and the officials' answers."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from epitrace.db import Base, created_at, uuid_pk


class Feedback(Base):
    """One report (phản ánh): open → answered → closed. The photo lives in uploads_dir."""

    __tablename__ = "feedback"
    __table_args__ = (Index("ix_feedback_ward_status", "ward_code", "status"),)

    id: Mapped[uuid_pk]
    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    category: Mapped[str] = mapped_column(String(30))
    ward_code: Mapped[str] = mapped_column(ForeignKey("admin_unit.code"))
    text: Mapped[str] = mapped_column(Text)
    photo_file: Mapped[str | None] = mapped_column(String(80))  # file name inside uploads_dir
    photo_type: Mapped[str | None] = mapped_column(String(40))  # media type checked on upload
    status: Mapped[str] = mapped_column(String(12), default="open")  # open | answered | closed
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    answered_by_label: Mapped[str | None] = mapped_column(String(200))
    answered_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[created_at]
