"""tracing: a partial index of long stays; the duplicate (venue, entered_at) index goes (the
covering tracing index starts with the same columns); links lose the foreign key to their trace

Revision ID: 25_tracing_lookups
Revises: 24_outbox_opt_out
Create Date: 2026-11-30 25:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "25_tracing_lookups"
down_revision: str | Sequence[str] | None = "24_outbox_opt_out"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# as tracing.models.LONG_STAY (LONG_STAY_HOURS = 12) when this revision was written
LONG_STAY_PG = "left_at IS NULL OR left_at - entered_at > INTERVAL '12 hours'"
LONG_STAY_SQLITE = "left_at IS NULL OR julianday(left_at) - julianday(entered_at) > 0.5"


def upgrade() -> None:
    with op.batch_alter_table("presence", schema=None) as batch_op:
        batch_op.drop_index("ix_presence_venue_entered")
        batch_op.create_index(
            "ix_presence_long_stay",
            ["venue_id", "entered_at"],
            unique=False,
            postgresql_include=["left_at", "person_id", "manual_visitor_id", "id"],
            postgresql_where=sa.text(LONG_STAY_PG),
            sqlite_where=sa.text(LONG_STAY_SQLITE),
        )
    with op.batch_alter_table("contact_link", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_contact_link_trace_id_trace_run"), type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("contact_link", schema=None) as batch_op:
        batch_op.create_foreign_key(
            op.f("fk_contact_link_trace_id_trace_run"),
            "trace_run",
            ["trace_id"],
            ["id"],
            ondelete="CASCADE",
        )
    with op.batch_alter_table("presence", schema=None) as batch_op:
        batch_op.drop_index("ix_presence_long_stay")
        batch_op.create_index("ix_presence_venue_entered", ["venue_id", "entered_at"], unique=False)
