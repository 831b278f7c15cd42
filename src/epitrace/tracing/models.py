"""Tracing policy versions, trace runs, and the contact links with the evidence behind them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from epitrace.checkins.models import Presence
from epitrace.db import Base, created_at, uuid_pk

# The engine's range lookups read only these columns: on PostgreSQL the index covers them
# all, so that finding the presences at a venue in a time range touches no table pages.
PRESENCE_TRACING_INDEX = Index(
    "ix_presence_tracing",
    Presence.__table__.c.venue_id,
    Presence.__table__.c.entered_at,
    Presence.__table__.c.left_at,
    postgresql_include=["person_id", "manual_visitor_id", "id"],
)

# A presence that may last longer than this is "long": open, or closed after more than
# LONG_STAY_HOURS. The engine looks back LONG_STAY_HOURS for every presence at a venue and
# up to the policy's cap (72 h) only for long ones, through this small partial index,
# instead of reading three days of a venue's presences for every source presence.
LONG_STAY_HOURS = 12
LONG_STAY = {
    "postgresql": f"left_at IS NULL OR left_at - entered_at > INTERVAL '{LONG_STAY_HOURS} hours'",
    "sqlite": (
        f"left_at IS NULL OR julianday(left_at) - julianday(entered_at) > {LONG_STAY_HOURS / 24}"
    ),
}
PRESENCE_LONG_STAY_INDEX = Index(
    "ix_presence_long_stay",
    Presence.__table__.c.venue_id,
    Presence.__table__.c.entered_at,
    postgresql_include=["left_at", "person_id", "manual_visitor_id", "id"],
    postgresql_where=text(LONG_STAY["postgresql"]),
    sqlite_where=text(LONG_STAY["sqlite"]),
)


class PolicyVersion(Base):
    """One immutable version of the tracing policy; the highest version is in force."""

    __tablename__ = "tracing_policy"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(String(300), default="")
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[created_at]


class Trace(Base):
    """One run of the engine for a case, with the policy version and window it used."""

    __tablename__ = "trace_run"
    __table_args__ = (Index("ix_trace_run_case_ran", "case_id", "ran_at"),)

    id: Mapped[uuid_pk]
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_record.id", ondelete="CASCADE"))
    policy_version: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    ran_at: Mapped[datetime]
    ran_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    f1_count: Mapped[int] = mapped_column(Integer, default=0)
    f2_count: Mapped[int] = mapped_column(Integer, default=0)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    # a health officer read the result and sent the contact alerts (never automatically)
    confirmed_at: Mapped[datetime | None] = mapped_column(default=None)
    confirmed_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id"), default=None
    )
    alerts_queued: Mapped[int] = mapped_column(Integer, default=0)


class ContactLink(Base):
    """A person (or manual visitor) found to be F1 or F2 of a case, with the proving evidence.

    One link per contact and case: the evidence is the earliest qualifying overlap — the
    contact's presence, the source's presence (the F0's for F1, the F1's for F2), the venue and
    the overlap. `source_*` names the F1 through whom an F2 was exposed.
    """

    __tablename__ = "contact_link"
    __table_args__ = (
        Index("ix_contact_link_person", "person_id", "exposed_at"),
        # contacts entered by hand at a door are few among a trace's links
        Index(
            "ix_contact_link_manual_visitor_id",
            "manual_visitor_id",
            postgresql_where=text("manual_visitor_id IS NOT NULL"),
            sqlite_where=text("manual_visitor_id IS NOT NULL"),
        ),
    )

    # A link is known by its case and contact (one link each): no id of its own, whose
    # random value and index cost a trace writing a thousand F2s a sixth of its time.
    # No checked key to the case either: that cost a row lock on the case for every link.
    # The engine writes the id of the case it traces; case records are never deleted (health
    # records, docs/privacy.md), and links go by `tracing.purge_links`.
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    # "p:<uuid>" or "m:<uuid>": one key for persons and manual visitors
    contact_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    level: Mapped[int] = mapped_column(Integer)  # 1 or 2
    # No foreign keys to people, presences or venues: the engine writes ids it has just read
    # from presences in the same statement, and presence retention may remove the evidence
    # rows later while the link keeps venue, times and minutes (see `tasks.purge_links`).
    person_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    manual_visitor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    source_key: Mapped[str] = mapped_column(String(40))
    contact_presence_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    source_presence_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    venue_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    # the venue's ward; read only with the case's links (no index of its own)
    ward_code: Mapped[str] = mapped_column(String(16))
    exposed_at: Mapped[datetime]  # start of the overlap
    exposure_end: Mapped[datetime]
    overlap_minutes: Mapped[int] = mapped_column(Integer)
    evidence_count: Mapped[int] = mapped_column(Integer, default=1)
    # the trace that wrote the link; no foreign key: links and traces go with their case
    # (`case_id` cascades), and a checked key cost a row lock per inserted link
    trace_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    created_at: Mapped[created_at]


class HotspotAlert(Base):
    """A venue and time window a health officer marked as risky: its visitors are warned."""

    __tablename__ = "hotspot_alert"
    __table_args__ = (Index("ix_hotspot_alert_venue_starts", "venue_id", "starts_at"),)

    id: Mapped[uuid_pk]
    venue_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("venue.id", ondelete="CASCADE"))
    ward_code: Mapped[str] = mapped_column(String(16), index=True)  # the venue's ward
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    note: Mapped[str] = mapped_column(String(300), default="")
    marked_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    visitors: Mapped[int] = mapped_column(Integer, default=0)  # people warned
    created_at: Mapped[created_at]
