"""rollout: per-venue daily check-in counts kept by a roll-up, its mark, and the index it reads

Revision ID: 21_checkin_rollup
Revises: 20_alert_types
Create Date: 2026-11-30 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import epitrace.db

revision: str = "21_checkin_rollup"
down_revision: str | Sequence[str] | None = "20_alert_types"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "venue_day_count",
        sa.Column("venue_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("checkins", sa.Integer(), nullable=False),
        sa.Column("door_checkins", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("venue_id", "day", name=op.f("pk_venue_day_count")),
    )
    op.create_table(
        "rollup_mark",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("upto", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_rollup_mark")),
    )
    op.create_index(
        "ix_presence_created", "presence", ["created_at"], unique=False, postgresql_using="brin"
    )


def downgrade() -> None:
    op.drop_index("ix_presence_created", table_name="presence", postgresql_using="brin")
    op.drop_table("rollup_mark")
    op.drop_table("venue_day_count")
