"""rollout: roster members carry when an upload or an edit last confirmed them (retention)

Revision ID: 33_roster_confirmed
Revises: 32_audit_named_person
Create Date: 2026-11-30 33:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import epitrace.db

revision: str = "33_roster_confirmed"
down_revision: str | Sequence[str] | None = "32_audit_named_person"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("roster_member") as batch:
        batch.add_column(
            sa.Column("confirmed_at", epitrace.db.UTCDateTime(timezone=True), nullable=True)
        )
    # the members already there were last confirmed when last written
    op.execute("UPDATE roster_member SET confirmed_at = updated_at")
    with op.batch_alter_table("roster_member") as batch:
        batch.alter_column(
            "confirmed_at",
            existing_type=epitrace.db.UTCDateTime(timezone=True),
            nullable=False,
        )
    op.create_index(
        "ix_roster_member_confirmed_at", "roster_member", ["confirmed_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_roster_member_confirmed_at", table_name="roster_member")
    with op.batch_alter_table("roster_member") as batch:
        batch.drop_column("confirmed_at")
