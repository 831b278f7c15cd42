"""Tables of the key server: verification codes, uploaded keys, published export batches,
and the exposures devices chose to report back."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from epitrace.db import Base, created_at, uuid_pk


class VerificationCode(Base):
    """A one-time code a health officer gives a confirmed case to authorise a key upload.

    Only a hash of the code is kept. `case_id` points at the case record of the cases domain
    without a foreign key, so that the key server can live apart from the case registry.
    """

    __tablename__ = "exposure_verification_code"

    id: Mapped[uuid_pk]
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    area_code: Mapped[str] = mapped_column(ForeignKey("admin_unit.code"), index=True)
    case_id: Mapped[uuid.UUID | None] = mapped_column(index=True, default=None)
    report_type: Mapped[int] = mapped_column(Integer)
    test_date: Mapped[date] = mapped_column(Date)
    onset_date: Mapped[date | None] = mapped_column(Date, default=None)
    issued_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[created_at]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    keys_uploaded: Mapped[int] = mapped_column(Integer, default=0)


class ExportBatch(Base):
    """One published export file (a zip under settings.exports_dir)."""

    __tablename__ = "exposure_export_batch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    region: Mapped[str] = mapped_column(String(8))
    start_timestamp: Mapped[int] = mapped_column(BigInteger)
    end_timestamp: Mapped[int] = mapped_column(BigInteger, index=True)
    batch_num: Mapped[int] = mapped_column(Integer)
    batch_size: Mapped[int] = mapped_column(Integer)
    key_count: Mapped[int] = mapped_column(Integer)
    padding_count: Mapped[int] = mapped_column(Integer)
    file_size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    signing_kid: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[created_at]


class ExposureKey(Base):
    """An uploaded temporary exposure key, published once its rolling period has ended."""

    __tablename__ = "exposure_key"
    __table_args__ = (Index("ix_exposure_key_batch_publish", "batch_id", "publish_after"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    key_data: Mapped[bytes] = mapped_column(LargeBinary(16), unique=True)
    rolling_start_interval_number: Mapped[int] = mapped_column(BigInteger, index=True)
    rolling_period: Mapped[int] = mapped_column(Integer)
    report_type: Mapped[int] = mapped_column(Integer)
    days_since_onset: Mapped[int | None] = mapped_column(Integer, default=None)
    region: Mapped[str] = mapped_column(String(8))
    verification_code_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("exposure_verification_code.id", ondelete="CASCADE"), index=True
    )
    uploaded_at: Mapped[created_at]
    publish_after: Mapped[datetime]
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("exposure_export_batch.id", ondelete="SET NULL"), default=None
    )


class ExposureReport(Base):
    """An exposure a device matched and chose to report (with consent).

    Anonymous by default: only the day, the score and an optional ward are kept. A signed-in
    citizen may attach it to their account so that their page shows the warning.
    """

    __tablename__ = "exposure_report"

    id: Mapped[uuid_pk]
    exposure_date: Mapped[date] = mapped_column(Date, index=True)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    windows: Mapped[int] = mapped_column(Integer, default=0)
    ward_code: Mapped[str | None] = mapped_column(
        ForeignKey("admin_unit.code"), index=True, default=None
    )
    person_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True, default=None
    )
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[created_at]
