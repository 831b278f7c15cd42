"""rollout: daily indicator snapshots per administrative unit, sector and organisation

Revision ID: 12_rollout_indicators
Revises: 11_people_identity
Create Date: 2026-11-30 00:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import epitrace.db

revision: str = "12_rollout_indicators"
down_revision: str | Sequence[str] | None = "11_people_identity"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "indicator_snapshot",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column(
            "unit_type",
            sa.Enum(
                "area",
                "sector",
                "organisation",
                name="indicatorunit",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("area_code", sa.String(length=16), nullable=False),
        sa.Column("sector", sa.String(length=40), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=True),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column("smartphone_share", sa.Float(), nullable=True),
        sa.Column("citizens", sa.Integer(), nullable=True),
        sa.Column("declarations", sa.Integer(), nullable=True),
        sa.Column("venues", sa.Integer(), nullable=False),
        sa.Column("venues_with_poster", sa.Integer(), nullable=False),
        sa.Column("venues_active", sa.Integer(), nullable=False),
        sa.Column("venues_door_control", sa.Integer(), nullable=False),
        sa.Column("checkins", sa.Integer(), nullable=False),
        sa.Column("roster_members", sa.Integer(), nullable=False),
        sa.Column("roster_signed_up", sa.Integer(), nullable=False),
        sa.Column("computed_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_snapshot")),
    )
    with op.batch_alter_table("indicator_snapshot", schema=None) as batch_op:
        batch_op.create_index(
            "ix_indicator_snapshot_area", ["unit_type", "area_code", "day"], unique=False
        )
        batch_op.create_index(
            "ix_indicator_snapshot_organisation", ["organisation_id", "day"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("indicator_snapshot", schema=None) as batch_op:
        batch_op.drop_index("ix_indicator_snapshot_organisation")
        batch_op.drop_index("ix_indicator_snapshot_area")

    op.drop_table("indicator_snapshot")
