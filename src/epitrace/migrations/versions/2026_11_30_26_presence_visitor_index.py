"""checkins: the index of presences by manual visitor leaves out presences of people (NULL)

Revision ID: 26_presence_visitor_index
Revises: 25_tracing_lookups
Create Date: 2026-11-30 26:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "26_presence_visitor_index"
down_revision: str | Sequence[str] | None = "25_tracing_lookups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("presence", schema=None) as batch_op:
        batch_op.drop_index("ix_presence_manual_visitor_id")
        batch_op.create_index(
            "ix_presence_manual_visitor_id",
            ["manual_visitor_id"],
            unique=False,
            postgresql_where=sa.text("manual_visitor_id IS NOT NULL"),
            sqlite_where=sa.text("manual_visitor_id IS NOT NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("presence", schema=None) as batch_op:
        batch_op.drop_index("ix_presence_manual_visitor_id")
        batch_op.create_index("ix_presence_manual_visitor_id", ["manual_visitor_id"], unique=False)
