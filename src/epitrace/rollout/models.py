"""Tables of rollout oversight: who answers for an organisation, rosters, community teams,
daily indicator snapshots, report forms and submissions, ad-hoc requests."""

from __future__ import annotations

import enum
import uuid

from sqlalchemy import Enum, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from epitrace.db import Base, created_at, uuid_pk
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
