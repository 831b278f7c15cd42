"""rollout: community teams, households and household visits

Revision ID: 15_community_teams
Revises: 14_reports
Create Date: 2026-11-30 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import epitrace.db

revision: str = "15_community_teams"
down_revision: str | Sequence[str] | None = "14_reports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "community_team",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ward_code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("created_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ward_code"], ["admin_unit.code"], name=op.f("fk_community_team_ward_code_admin_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_team")),
        sa.UniqueConstraint("ward_code", "name", name=op.f("uq_community_team_ward_code_name")),
    )
    with op.batch_alter_table("community_team", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_community_team_ward_code"), ["ward_code"], unique=False
        )

    op.create_table(
        "household",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ward_code", sa.String(length=16), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=True),
        sa.Column("street", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("head_name", sa.String(length=200), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("created_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["community_team.id"],
            name=op.f("fk_household_team_id_community_team"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ward_code"], ["admin_unit.code"], name=op.f("fk_household_ward_code_admin_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household")),
    )
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_household_team_id"), ["team_id"], unique=False)
        batch_op.create_index("ix_household_ward_street", ["ward_code", "street"], unique=False)

    op.create_table(
        "household_visit",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("household_id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=True),
        sa.Column("recorded_by", sa.Uuid(), nullable=False),
        sa.Column("client_key", sa.String(length=64), nullable=False),
        sa.Column("visited", sa.Boolean(), nullable=False),
        sa.Column("leaflet", sa.Boolean(), nullable=False),
        sa.Column("smartphones", sa.Integer(), nullable=False),
        sa.Column("installed", sa.Integer(), nullable=False),
        sa.Column("helped", sa.Integer(), nullable=False),
        sa.Column("notes", sa.String(length=500), nullable=False),
        sa.Column("visited_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["household.id"],
            name=op.f("fk_household_visit_household_id_household"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["user_account.id"],
            name=op.f("fk_household_visit_recorded_by_user_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["community_team.id"],
            name=op.f("fk_household_visit_team_id_community_team"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household_visit")),
        sa.UniqueConstraint(
            "recorded_by", "client_key", name=op.f("uq_household_visit_recorded_by_client_key")
        ),
    )
    with op.batch_alter_table("household_visit", schema=None) as batch_op:
        batch_op.create_index(
            "ix_household_visit_household", ["household_id", "recorded_at"], unique=False
        )

    op.create_table(
        "team_member",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("created_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["community_team.id"],
            name=op.f("fk_team_member_team_id_community_team"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_team_member_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_member")),
        sa.UniqueConstraint("team_id", "phone", name=op.f("uq_team_member_team_id_phone")),
        sa.UniqueConstraint("team_id", "user_id", name=op.f("uq_team_member_team_id_user_id")),
    )
    with op.batch_alter_table("team_member", schema=None) as batch_op:
        batch_op.create_index("ix_team_member_phone", ["phone"], unique=False)
        batch_op.create_index(batch_op.f("ix_team_member_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("indicator_snapshot", schema=None) as batch_op:
        batch_op.add_column(sa.Column("households", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("households_visited", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("indicator_snapshot", schema=None) as batch_op:
        batch_op.drop_column("households_visited")
        batch_op.drop_column("households")

    with op.batch_alter_table("team_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_member_user_id"))
        batch_op.drop_index("ix_team_member_phone")

    op.drop_table("team_member")
    with op.batch_alter_table("household_visit", schema=None) as batch_op:
        batch_op.drop_index("ix_household_visit_household")

    op.drop_table("household_visit")
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.drop_index("ix_household_ward_street")
        batch_op.drop_index(batch_op.f("ix_household_team_id"))

    op.drop_table("household")
    with op.batch_alter_table("community_team", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_community_team_ward_code"))

    op.drop_table("community_team")
