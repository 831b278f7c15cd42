"""Presences (check-ins) and the visitors without smartphones that operators enter by hand."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import (
    Enum,
    ForeignKey,
    Index,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from epitrace.db import Base, created_at, uuid_pk


class PresenceMethod(enum.StrEnum):
    SELF_SCAN = "self_scan"
    DOOR_SCAN = "door_scan"
    MANUAL = "manual"


class CloseReason(enum.StrEnum):
    CHECKOUT = "checkout"  # scanned again or pressed the button
    NEXT_CHECKIN = "next_checkin"  # checked in elsewhere
    DWELL_TIMEOUT = "dwell_timeout"  # the category's default dwell time passed
    DOOR_EXIT = "door_exit"  # the operator scanned the exit


class ManualVisitor(Base):
    """A visitor without a smartphone, entered by a venue operator."""

    __tablename__ = "manual_visitor"

    id: Mapped[uuid_pk]
    full_name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    id_number: Mapped[str | None] = mapped_column(String(20), index=True)
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("person.id"), index=True)
    created_at: Mapped[created_at]


class Presence(Base):
    """Someone at a venue from `entered_at` until `left_at` (None while open).

    Exactly one of `person_id` and `manual_visitor_id` is set, or, in the escrow privacy
    mode, neither: `sealed_identity` holds the identity sealed to the key of `key_day` (see
    `epitrace.escrow`), and only an approved opening for a trace reads it. `ward_code` is the
    venue's ward when the person entered. A resent scan is stored once: in the central mode
    the person's receipt (`ScanReceipt`) holds the phone's `client_key`, and the presence
    keeps none; in the escrow mode no receipt may name the person, so the sealed presence
    keeps the key.

    On PostgreSQL the table is partitioned by day of `entered_at` (UTC), so that retention
    drops a day's partition (`checkins.partitions`); its keys therefore hold `entered_at`,
    and `venue_id` too, the column a distributed deployment spreads presences by
    (docs/scaling.md). The ORM still knows a presence by `id` alone. No foreign key points
    here (none can reach a partitioned table's row by `id`): the purge removes or unlinks
    what refers to a presence. SQLite keeps the plain table of before, keyed by `id`.
    """

    __tablename__ = "presence"
    __table_args__ = (
        PrimaryKeyConstraint("id", "venue_id", "entered_at"),
        # (venue_id, entered_at) lookups use tracing's covering ix_presence_tracing
        Index("ix_presence_person_entered", "person_id", "entered_at"),
        # no index by ward (migration 34): area reads go through the area's venues, a range
        # of the venue index each (docs/performance.md, "Presence indexes")
        # the roll-ups read what was stored since their last run; rows are appended in
        # time order, so on PostgreSQL a BRIN index of a few pages does it
        Index("ix_presence_created", "created_at", postgresql_using="brin"),
        # escrow mode: a resent scan carries its first time, so the key with the venue and
        # the time is unique (a partitioned table's unique keys hold the partition key);
        # presences without a key (the central mode's, door scans) stay out of the index
        Index(
            "uq_presence_client_key_venue_id_entered_at",
            "client_key",
            "venue_id",
            "entered_at",
            unique=True,
            postgresql_where=text("client_key IS NOT NULL"),
            sqlite_where=text("client_key IS NOT NULL"),
        ),
        # visitors entered by hand at a door are a few presences among millions: the index
        # leaves out the rest (an index of NULLs was a tenth of the table's indexes)
        Index(
            "ix_presence_manual_visitor_id",
            "manual_visitor_id",
            postgresql_where=text("manual_visitor_id IS NOT NULL"),
            sqlite_where=text("manual_visitor_id IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(default=uuid.uuid4)
    venue_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("venue.id"))
    ward_code: Mapped[str] = mapped_column(String(16))
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("person.id"))
    manual_visitor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("manual_visitor.id"))
    entered_at: Mapped[datetime]
    left_at: Mapped[datetime | None] = mapped_column(default=None)
    close_reason: Mapped[CloseReason | None] = mapped_column(
        Enum(
            CloseReason,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=None,
    )
    method: Mapped[PresenceMethod] = mapped_column(
        Enum(
            PresenceMethod,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    device_id: Mapped[str | None] = mapped_column(String(64))
    client_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[created_at]
    # no Python default: a row that does not set them leaves them out of its INSERT
    sealed_identity: Mapped[bytes | None] = mapped_column(LargeBinary)
    key_day: Mapped[date | None]

    # the ORM knows a presence by id: session.get(Presence, id) as before the partitions
    __mapper_args__ = {"primary_key": [id]}  # noqa: RUF012 - read once, by the mapper


class ScanReceipt(Base):
    """One accepted scan of a citizen's device, keyed by the client's idempotency key.

    Offline phones resend their queue until the server answers; the receipt makes a resent
    scan return its first outcome instead of counting again (a second scan of a venue means
    check-out, so a resend must not be treated as one).
    """

    __tablename__ = "checkin_scan"
    __table_args__ = (UniqueConstraint("person_id", "client_key"),)

    id: Mapped[uuid_pk]
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    client_key: Mapped[str] = mapped_column(String(64))
    venue_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("venue.id"), index=True)
    scanned_at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(24))
    # unset by the purge when the presence goes (no foreign key: see Presence)
    presence_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[created_at]
