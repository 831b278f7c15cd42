"""tracing: confirmed traces (contact alerts sent) and hotspot alerts (risky-venue warnings)

Revision ID: 20_alert_types
Revises: 17_campaigns
Create Date: 2026-11-30 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import epitrace.db

revision: str = "20_alert_types"
down_revision: str | Sequence[str] | None = "17_campaigns"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("trace_run") as batch:
        batch.add_column(
            sa.Column("confirmed_at", epitrace.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("confirmed_by", sa.Uuid(), nullable=True))
        batch.add_column(
            sa.Column("alerts_queued", sa.Integer(), nullable=False, server_default="0")
        )
        batch.create_foreign_key(
            op.f("fk_trace_run_confirmed_by_user_account"),
            "user_account",
            ["confirmed_by"],
            ["id"],
        )
    op.create_table(
        "hotspot_alert",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("venue_id", sa.Uuid(), nullable=False),
        sa.Column("ward_code", sa.String(length=16), nullable=False),
        sa.Column("starts_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("marked_by", sa.Uuid(), nullable=True),
        sa.Column("visitors", sa.Integer(), nullable=False),
        sa.Column("created_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["venue_id"],
            ["venue.id"],
            name=op.f("fk_hotspot_alert_venue_id_venue"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["marked_by"], ["user_account.id"], name=op.f("fk_hotspot_alert_marked_by_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hotspot_alert")),
    )
    op.create_index(
        "ix_hotspot_alert_venue_starts", "hotspot_alert", ["venue_id", "starts_at"], unique=False
    )
    op.create_index(
        op.f("ix_hotspot_alert_ward_code"), "hotspot_alert", ["ward_code"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_hotspot_alert_ward_code"), table_name="hotspot_alert")
    op.drop_index("ix_hotspot_alert_venue_starts", table_name="hotspot_alert")
    op.drop_table("hotspot_alert")
    with op.batch_alter_table("trace_run") as batch:
        batch.drop_constraint(op.f("fk_trace_run_confirmed_by_user_account"), type_="foreignkey")
        batch.drop_column("alerts_queued")
        batch.drop_column("confirmed_by")
        batch.drop_column("confirmed_at")
