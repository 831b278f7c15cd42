"""On-device mode: the hotspot notices health officers publish, and anonymous visit counts."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from epitrace.db import Base, created_at, uuid_pk


class HotspotNotice(Base):
    """A venue and window marked risky, published signed for phones to match on their own.

    `payload` and `signature` are what the public list serves (the canonical JSON, base64url,
    and its Ed25519 signature by key `kid`); they are signed again when the notice is
    withdrawn, and `changed_at` moves so that phones fetching 'since' see the change.
    """

    __tablename__ = "hotspot_notice"
    __table_args__ = (Index("ix_hotspot_notice_changed", "changed_at"),)

    id: Mapped[uuid_pk]
    venue_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("venue.id", ondelete="CASCADE"))
    ward_code: Mapped[str] = mapped_column(String(16), index=True)  # the venue's ward
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    severity: Mapped[str] = mapped_column(String(24))
    instructions_vi: Mapped[str] = mapped_column(String(1000))
    instructions_en: Mapped[str] = mapped_column(String(1000), default="")
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(default=None)
    changed_at: Mapped[datetime]
    kid: Mapped[int] = mapped_column(Integer)
    payload: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(String(100))
    issued_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    withdrawn_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[created_at]


class AnonymousVisitCount(Base):
    """How many people were counted at a venue in one UTC hour, by how they were counted.

    Nothing else is kept: no account, device, address or time finer than the hour, so a
    count cannot be traced back to a person. `method` is 'self_scan' (a phone's anonymous
    count) or 'door_scan' (a pass shown at the door).
    """

    __tablename__ = "anonymous_visit_count"

    venue_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    hour: Mapped[datetime] = mapped_column(primary_key=True)
    method: Mapped[str] = mapped_column(String(20), primary_key=True)
    visits: Mapped[int] = mapped_column(Integer, default=0)
