"""Day public keys, openings of sealed identities for a trace, and the officials' approvals."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import Enum, ForeignKey, Integer, LargeBinary, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from epitrace.db import Base, created_at, uuid_pk


class EscrowDayKey(Base):
    """The public key of one local day, and the fingerprints of its private key's two shares.

    The private key is never here: the key ceremony gives its two shares to two officials.
    """

    __tablename__ = "escrow_day_key"

    day: Mapped[date] = mapped_column(primary_key=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    share_a_digest: Mapped[str] = mapped_column(String(64))
    share_b_digest: Mapped[str] = mapped_column(String(64))
    ceremony: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[created_at]


class OpeningStatus(enum.StrEnum):
    REQUESTED = "requested"  # waiting for the two shares
    APPROVED = "approved"  # both shares given; the job opens the days and traces
    TRACED = "traced"  # opened, traced, the opened identities discarded
    EXPIRED = "expired"  # not approved in time; any share given was erased


class EscrowOpening(Base):
    """A health officer's request to open the sealed identities of a case's days for a trace."""

    __tablename__ = "escrow_opening"

    id: Mapped[uuid_pk]
    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("case_record.id", ondelete="CASCADE"), index=True
    )
    first_day: Mapped[date]
    last_day: Mapped[date]
    reason: Mapped[str] = mapped_column(String(300), default="")
    requested_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    status: Mapped[OpeningStatus] = mapped_column(
        Enum(
            OpeningStatus,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=OpeningStatus.REQUESTED,
    )
    # the trace it ran (no foreign key: traces go with their case, as this row does)
    trace_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    opened_presences: Mapped[int] = mapped_column(Integer, default=0)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)


class EscrowApproval(Base):
    """One official's approval of an opening, with their share of the keys.

    Until the opening runs, the share of the opening's days waits here encrypted with the
    server's secret: one share alone opens nothing, even with a database copy and the secret;
    once both are given, the job opens the days within the minute and erases both (an opening
    not approved in time erases its one share).
    """

    __tablename__ = "escrow_approval"
    __table_args__ = (
        UniqueConstraint("opening_id", "holder"),
        UniqueConstraint("opening_id", "approved_by"),
    )

    id: Mapped[uuid_pk]
    opening_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("escrow_opening.id", ondelete="CASCADE")
    )
    approved_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    holder: Mapped[str] = mapped_column(String(1))
    approved_at: Mapped[datetime]
    pending_share: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
