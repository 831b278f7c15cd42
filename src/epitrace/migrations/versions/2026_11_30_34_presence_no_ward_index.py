"""checkins: presences lose their index by ward (area reads go through the area's venues)

Revision ID: 34_presence_no_ward_index
Revises: 33_roster_confirmed
Create Date: 2026-11-30 34:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "34_presence_no_ward_index"
down_revision: str | Sequence[str] | None = "33_roster_confirmed"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # on PostgreSQL the partitioned index goes with every day's partition index
    op.drop_index("ix_presence_ward_entered", table_name="presence")


def downgrade() -> None:
    op.create_index("ix_presence_ward_entered", "presence", ["ward_code", "entered_at"])
