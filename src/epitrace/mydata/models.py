"""The erasure requests of citizens: kept as proof that a request was made and honoured."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Date, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from epitrace.db import Base, created_at, uuid_pk


class ErasureRequest(Base):
    """A citizen's request to erase their and their dependents' personal data.

    `person_id` is a plain id (no foreign key): the person row goes when the request is
    honoured, and the id alone, which the audit log names too, is what proves which record
    was erased. Nothing else about the person is kept. `possible_on` is the local day from
    which the request can be honoured while it is queued (None: when a case is closed or a
    test result is in); `reasons` lists what held it (`mydata.erasure.Reason`); `erased`
    counts the rows removed per table.
    """

    __tablename__ = "erasure_request"
    __table_args__ = (Index("ix_erasure_request_status_possible", "status", "possible_on"),)

    id: Mapped[uuid_pk]
    person_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    people: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(10))  # queued | done
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    possible_on: Mapped[date | None] = mapped_column(Date, default=None)
    requested_at: Mapped[created_at]
    checked_at: Mapped[datetime | None] = mapped_column(default=None)
    done_at: Mapped[datetime | None] = mapped_column(default=None)
    erased: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
