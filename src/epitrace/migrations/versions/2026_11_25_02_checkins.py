"""checkins: receipts of scans sent by phones (idempotent offline uploads)

Revision ID: 02_checkins
Revises: 0001_foundation
Create Date: 2026-11-25 22:10:58.998982
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import epitrace.db

revision: str = "02_checkins"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "checkin_scan",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("client_key", sa.String(length=64), nullable=False),
        sa.Column("venue_id", sa.Uuid(), nullable=False),
        sa.Column("scanned_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("presence_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_checkin_scan_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["presence_id"],
            ["presence.id"],
            name=op.f("fk_checkin_scan_presence_id_presence"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venue.id"], name=op.f("fk_checkin_scan_venue_id_venue")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_scan")),
        sa.UniqueConstraint(
            "person_id", "client_key", name=op.f("uq_checkin_scan_person_id_client_key")
        ),
    )
    with op.batch_alter_table("checkin_scan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checkin_scan_venue_id"), ["venue_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("checkin_scan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkin_scan_venue_id"))
    op.drop_table("checkin_scan")
