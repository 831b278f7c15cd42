"""security: unusual access to named people, flagged for the system administrators

Revision ID: 31_access_flags
Revises: 30_hotspot_notices
Create Date: 2026-11-30 31:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import epitrace.db

revision: str = "31_access_flags"
down_revision: str | Sequence[str] | None = "30_hotspot_notices"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "access_flag",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=False),
        sa.Column("actor_label", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("window_start", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("window_end", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("created_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reviewed_at", epitrace.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by", sa.Uuid(), nullable=True),
        sa.Column("review_note", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_flag")),
        sa.UniqueConstraint(
            "actor_id",
            "kind",
            "window_start",
            name=op.f("uq_access_flag_actor_id_kind_window_start"),
        ),
    )
    op.create_index(op.f("ix_access_flag_actor_id"), "access_flag", ["actor_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_access_flag_actor_id"), table_name="access_flag")
    op.drop_table("access_flag")
