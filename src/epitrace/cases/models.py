"""Cases (F0), laboratory tests, quarantine orders, their daily follow-up and breach alerts."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Date, Enum, ForeignKey, Index, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from epitrace.db import Base, created_at, uuid_pk


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=30, values_callable=lambda e: [m.value for m in e])


class TestType(enum.StrEnum):
    RAPID = "rapid"
    PCR = "pcr"


class TestResult(enum.StrEnum):
    PENDING = "pending"
    POSITIVE = "positive"
    NEGATIVE = "negative"


class CaseStatus(enum.StrEnum):
    ACTIVE = "active"  # under treatment or isolation
    RECOVERED = "recovered"
    DIED = "died"


class QuarantineKind(enum.StrEnum):
    FACILITY = "facility"  # centralised quarantine facility
    HOME = "home"


class QuarantineStatus(enum.StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class FollowUpOutcome(enum.StrEnum):
    REPORTED_WELL = "reported_well"  # the person reported from their phone, no symptoms
    REPORTED_SYMPTOMS = "reported_symptoms"
    SEEN_WELL = "seen_well"  # a health worker visited
    SEEN_UNWELL = "seen_unwell"
    MISSED = "missed"  # a health worker visited and did not find the person


class BreachStatus(enum.StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class Case(Base):
    """A confirmed case (F0). `ward_code` is the ward responsible for it (the person's ward)."""

    __tablename__ = "case_record"
    __table_args__ = (Index("ix_case_record_ward_confirmed", "ward_code", "confirmed_at"),)

    id: Mapped[uuid_pk]
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"), index=True)
    ward_code: Mapped[str] = mapped_column(ForeignKey("admin_unit.code"))
    test_type: Mapped[TestType] = mapped_column(_enum(TestType))
    sampled_at: Mapped[datetime]  # when the positive sample was taken
    confirmed_at: Mapped[datetime]
    onset_at: Mapped[datetime | None] = mapped_column(default=None)  # None: no symptoms
    isolated_at: Mapped[datetime | None] = mapped_column(default=None)
    isolation_place: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[CaseStatus] = mapped_column(_enum(CaseStatus), default=CaseStatus.ACTIVE)
    recovered_at: Mapped[datetime | None] = mapped_column(default=None)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[created_at]


class LabTest(Base):
    """A rapid or PCR test of anyone; a positive PCR may promote the person to a case."""

    __tablename__ = "lab_test"
    __table_args__ = (Index("ix_lab_test_person_sampled", "person_id", "sampled_at"),)

    id: Mapped[uuid_pk]
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"))
    test_type: Mapped[TestType] = mapped_column(_enum(TestType))
    sampled_at: Mapped[datetime]
    result: Mapped[TestResult] = mapped_column(_enum(TestResult), default=TestResult.PENDING)
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("case_record.id"), index=True)
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[created_at]


class QuarantineOrder(Base):
    """An order to stay in a facility or at home from `starts_at` until `ends_at`.

    `ward_code` is the home ward (home quarantine) or the facility's ward; `test_days` lists
    the days (ISO dates, local) on which a test is due.
    """

    __tablename__ = "quarantine_order"
    __table_args__ = (Index("ix_quarantine_order_person_starts", "person_id", "starts_at"),)

    id: Mapped[uuid_pk]
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"))
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("case_record.id"), index=True)
    reason: Mapped[str] = mapped_column(String(10))  # "f0" | "f1" | "f2"
    kind: Mapped[QuarantineKind] = mapped_column(_enum(QuarantineKind))
    ward_code: Mapped[str] = mapped_column(ForeignKey("admin_unit.code"), index=True)
    facility_name: Mapped[str] = mapped_column(String(300), default="")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    test_days: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[QuarantineStatus] = mapped_column(
        _enum(QuarantineStatus), default=QuarantineStatus.ACTIVE
    )
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[created_at]


class FollowUp(Base):
    """One daily follow-up entry: a self-report from the phone or a health worker's visit."""

    __tablename__ = "follow_up"
    __table_args__ = (UniqueConstraint("order_id", "day", "source"),)

    id: Mapped[uuid_pk]
    order_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("quarantine_order.id", ondelete="CASCADE")
    )
    day: Mapped[date] = mapped_column(Date)  # local (Asia/Ho_Chi_Minh) calendar day
    source: Mapped[str] = mapped_column(String(10))  # "self" | "visit"
    outcome: Mapped[FollowUpOutcome] = mapped_column(_enum(FollowUpOutcome))
    temperature: Mapped[float | None] = mapped_column(default=None)
    symptoms: Mapped[str] = mapped_column(String(500), default="")
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[created_at]


class QuarantineBreach(Base):
    """A check-in by someone under home quarantine outside their home ward's allowed venues."""

    __tablename__ = "quarantine_breach"
    __table_args__ = (UniqueConstraint("presence_id"),)

    id: Mapped[uuid_pk]
    order_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("quarantine_order.id", ondelete="CASCADE"), index=True
    )
    # deleted by the check-in purge with its presence (no foreign key: see Presence)
    presence_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    venue_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("venue.id"))
    ward_code: Mapped[str] = mapped_column(String(16), index=True)
    entered_at: Mapped[datetime]
    status: Mapped[BreachStatus] = mapped_column(_enum(BreachStatus), default=BreachStatus.OPEN)
    detected_at: Mapped[created_at]
