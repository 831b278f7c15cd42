"""rollout: staff and member rosters of organisations, matched to citizen accounts by phone

Revision ID: 09_rollout_rosters
Revises: 08_rollout_orgs
Create Date: 2026-11-29 20:15:37.316024
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import epitrace.db

revision: str = "09_rollout_rosters"
down_revision: str | Sequence[str] | None = "08_rollout_orgs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "roster_member",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("id_number", sa.String(length=20), nullable=True),
        sa.Column("department", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("staff", "student", "member", name="rosterkind", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("created_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_roster_member_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_member")),
        sa.UniqueConstraint(
            "organisation_id", "phone", name=op.f("uq_roster_member_organisation_id_phone")
        ),
    )
    with op.batch_alter_table("roster_member", schema=None) as batch_op:
        batch_op.create_index("ix_roster_member_phone", ["phone"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("roster_member", schema=None) as batch_op:
        batch_op.drop_index("ix_roster_member_phone")

    op.drop_table("roster_member")
