"""ondevice: signed hotspot notices and anonymous visit counts of the on-device privacy mode

Revision ID: 30_hotspot_notices
Revises: 29_escrow
Create Date: 2026-11-30 30:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import epitrace.db

revision: str = "30_hotspot_notices"
down_revision: str | Sequence[str] | None = "29_escrow"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "hotspot_notice",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("venue_id", sa.Uuid(), nullable=False),
        sa.Column("ward_code", sa.String(length=16), nullable=False),
        sa.Column("starts_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("severity", sa.String(length=24), nullable=False),
        sa.Column("instructions_vi", sa.String(length=1000), nullable=False),
        sa.Column("instructions_en", sa.String(length=1000), nullable=False),
        sa.Column("issued_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", epitrace.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("changed_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kid", sa.Integer(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("signature", sa.String(length=100), nullable=False),
        sa.Column("issued_by", sa.Uuid(), nullable=True),
        sa.Column("withdrawn_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["issued_by"],
            ["user_account.id"],
            name=op.f("fk_hotspot_notice_issued_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"],
            ["venue.id"],
            name=op.f("fk_hotspot_notice_venue_id_venue"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["withdrawn_by"],
            ["user_account.id"],
            name=op.f("fk_hotspot_notice_withdrawn_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hotspot_notice")),
    )
    op.create_index("ix_hotspot_notice_changed", "hotspot_notice", ["changed_at"], unique=False)
    op.create_index(
        op.f("ix_hotspot_notice_expires_at"), "hotspot_notice", ["expires_at"], unique=False
    )
    op.create_index(
        op.f("ix_hotspot_notice_ward_code"), "hotspot_notice", ["ward_code"], unique=False
    )
    op.create_table(
        "anonymous_visit_count",
        sa.Column("venue_id", sa.Uuid(), nullable=False),
        sa.Column("hour", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "venue_id", "hour", "method", name=op.f("pk_anonymous_visit_count")
        ),
    )


def downgrade() -> None:
    op.drop_table("anonymous_visit_count")
    op.drop_index(op.f("ix_hotspot_notice_ward_code"), table_name="hotspot_notice")
    op.drop_index(op.f("ix_hotspot_notice_expires_at"), table_name="hotspot_notice")
    op.drop_index("ix_hotspot_notice_changed", table_name="hotspot_notice")
    op.drop_table("hotspot_notice")
