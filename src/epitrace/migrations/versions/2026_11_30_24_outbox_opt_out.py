"""alerts: a message remembers that it may pass a later opt-out; campaign rows leave the
kind index (found by their campaign)

Revision ID: 24_outbox_opt_out
Revises: 23_report_units
Create Date: 2026-11-30 24:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "24_outbox_opt_out"
down_revision: str | Sequence[str] | None = "23_report_units"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("ignore_opt_out", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.drop_index("ix_outbox_message_kind_created")
        batch_op.create_index(
            "ix_outbox_message_kind_created",
            ["kind", "created_at"],
            unique=False,
            postgresql_where=sa.text("campaign_id IS NULL"),
            sqlite_where=sa.text("campaign_id IS NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_message_kind_created")
        batch_op.create_index(
            "ix_outbox_message_kind_created", ["kind", "created_at"], unique=False
        )
        batch_op.drop_column("ignore_opt_out")
