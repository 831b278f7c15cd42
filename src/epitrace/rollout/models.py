"""Tables of rollout oversight: who answers for an organisation, rosters, community teams,
daily indicator snapshots, report forms and submissions, ad-hoc requests."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from epitrace.db import Base, created_at, utcnow, uuid_pk
from epitrace.venues.models import Sector


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=40, values_callable=lambda e: [m.value for m in e])


class OrganisationAdmin(Base):
    """A staff account (role org_admin) that keeps an organisation's roster and reports."""

    __tablename__ = "organisation_admin"
    __table_args__ = (UniqueConstraint("organisation_id", "user_id"),)

    id: Mapped[uuid_pk]
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE")
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[created_at]


class SectorDirector(Base):
    """The sector a sector director answers for (their role grant gives the province)."""

    __tablename__ = "sector_director"
    __table_args__ = (UniqueConstraint("user_id", "sector"),)

    id: Mapped[uuid_pk]
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    sector: Mapped[Sector] = mapped_column(_enum(Sector))
    created_at: Mapped[created_at]


class RosterKind(enum.StrEnum):
    STAFF = "staff"
    STUDENT = "student"
    MEMBER = "member"


class RosterMember(Base):
    """One person on an organisation's roster, matched to a citizen account by phone number.

    The match is made when the roster is read (join on the canonical phone), so that a person
    who signs up after the upload counts from that moment on.
    """

    __tablename__ = "roster_member"
    __table_args__ = (
        UniqueConstraint("organisation_id", "phone"),
        Index("ix_roster_member_phone", "phone"),
    )

    id: Mapped[uuid_pk]
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE")
    )
    full_name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(20))  # canonical +84…
    id_number: Mapped[str | None] = mapped_column(String(20))
    department: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[RosterKind] = mapped_column(_enum(RosterKind), default=RosterKind.STAFF)
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
