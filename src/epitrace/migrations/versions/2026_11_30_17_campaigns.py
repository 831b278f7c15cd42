"""alerts: campaigns (DIC messages to an audience), their occurrences and uploaded phone lists

Revision ID: 17_campaigns
Revises: 16_adhoc_requests
Create Date: 2026-11-30 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import epitrace.db

revision: str = "17_campaigns"
down_revision: str | Sequence[str] | None = "16_adhoc_requests"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "campaign",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("text_vi", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("area_code", sa.String(length=16), nullable=False),
        sa.Column("audience_kind", sa.String(length=16), nullable=False),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column("starts_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("repeat", sa.String(length=8), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=True),
        sa.Column("repeat_count", sa.Integer(), nullable=True),
        sa.Column("repeat_until", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("audience_count", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("approved_by", sa.Uuid(), nullable=True),
        sa.Column("approved_at", epitrace.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("launched_by", sa.Uuid(), nullable=True),
        sa.Column("launched_at", epitrace.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["approved_by"],
            ["user_account.id"],
            name=op.f("fk_campaign_approved_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["area_code"],
            ["admin_unit.code"],
            name=op.f("fk_campaign_area_code_admin_unit"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["user_account.id"],
            name=op.f("fk_campaign_created_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["launched_by"],
            ["user_account.id"],
            name=op.f("fk_campaign_launched_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign")),
    )
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.create_index("ix_campaign_area_status", ["area_code", "status"], unique=False)

    op.create_table(
        "campaign_occurrence",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("due_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("enqueued_at", epitrace.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("recipients", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_campaign_occurrence_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_occurrence")),
        sa.UniqueConstraint(
            "campaign_id", "number", name=op.f("uq_campaign_occurrence_campaign_id_number")
        ),
    )
    with op.batch_alter_table("campaign_occurrence", schema=None) as batch_op:
        batch_op.create_index(
            "ix_campaign_occurrence_due",
            ["due_at"],
            unique=False,
            postgresql_where=sa.text("enqueued_at IS NULL"),
            sqlite_where=sa.text("enqueued_at IS NULL"),
        )

    op.create_table(
        "campaign_phone",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_campaign_phone_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("campaign_id", "phone", name=op.f("pk_campaign_phone")),
    )


def downgrade() -> None:
    op.drop_table("campaign_phone")
    with op.batch_alter_table("campaign_occurrence", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_campaign_occurrence_due",
            postgresql_where=sa.text("enqueued_at IS NULL"),
            sqlite_where=sa.text("enqueued_at IS NULL"),
        )

    op.drop_table("campaign_occurrence")
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.drop_index("ix_campaign_area_status")

    op.drop_table("campaign")
