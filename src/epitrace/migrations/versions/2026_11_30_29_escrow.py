"""escrow: sealed identities on presences, day public keys, openings and their approvals

Revision ID: 29_escrow
Revises: 28_my_data
Create Date: 2026-11-30 29:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from epitrace.db import UTCDateTime

revision: str = "29_escrow"
down_revision: str | Sequence[str] | None = "28_my_data"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # plain ADD COLUMN: the presence table is never rebuilt (partitioned on PostgreSQL)
    op.add_column("presence", sa.Column("sealed_identity", sa.LargeBinary(), nullable=True))
    op.add_column("presence", sa.Column("key_day", sa.Date(), nullable=True))
    op.create_table(
        "escrow_day_key",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("share_a_digest", sa.String(length=64), nullable=False),
        sa.Column("share_b_digest", sa.String(length=64), nullable=False),
        sa.Column("ceremony", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_escrow_day_key")),
    )
    op.create_table(
        "escrow_opening",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("requested_by", sa.Uuid(), nullable=True),
        sa.Column("requested_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "requested",
                "traced",
                "expired",
                name="openingstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("trace_id", sa.Uuid(), nullable=True),
        sa.Column("opened_presences", sa.Integer(), nullable=False),
        sa.Column("completed_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case_record.id"],
            name=op.f("fk_escrow_opening_case_id_case_record"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"],
            ["user_account.id"],
            name=op.f("fk_escrow_opening_requested_by_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escrow_opening")),
    )
    op.create_index(op.f("ix_escrow_opening_case_id"), "escrow_opening", ["case_id"], unique=False)
    op.create_table(
        "escrow_approval",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("opening_id", sa.Uuid(), nullable=False),
        sa.Column("approved_by", sa.Uuid(), nullable=False),
        sa.Column("holder", sa.String(length=1), nullable=False),
        sa.Column("approved_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("pending_share", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["approved_by"],
            ["user_account.id"],
            name=op.f("fk_escrow_approval_approved_by_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["opening_id"],
            ["escrow_opening.id"],
            name=op.f("fk_escrow_approval_opening_id_escrow_opening"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escrow_approval")),
        sa.UniqueConstraint(
            "opening_id", "approved_by", name=op.f("uq_escrow_approval_opening_id_approved_by")
        ),
        sa.UniqueConstraint(
            "opening_id", "holder", name=op.f("uq_escrow_approval_opening_id_holder")
        ),
    )


def downgrade() -> None:
    op.drop_table("escrow_approval")
    op.drop_index(op.f("ix_escrow_opening_case_id"), table_name="escrow_opening")
    op.drop_table("escrow_opening")
    op.drop_table("escrow_day_key")
    # DROP COLUMN (SQLite 3.35+), never a rebuild of the presence table
    op.drop_column("presence", "key_day")
    op.drop_column("presence", "sealed_identity")
