"""mydata: the privacy notice accepted by each account, and citizens' erasure requests

Revision ID: 28_my_data
Revises: 27_presence_partitions
Create Date: 2026-11-30 28:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from epitrace.db import UTCDateTime

revision: str = "28_my_data"
down_revision: str | Sequence[str] | None = "27_presence_partitions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # plain ADD COLUMN: user_account is never rebuilt (its children would follow on SQLite)
    op.add_column(
        "user_account", sa.Column("privacy_notice_version", sa.String(length=20), nullable=True)
    )
    op.add_column(
        "user_account", sa.Column("privacy_notice_accepted_at", UTCDateTime(), nullable=True)
    )
    op.create_table(
        "erasure_request",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("possible_on", sa.Date(), nullable=True),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("checked_at", UTCDateTime(), nullable=True),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.Column("erased", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure_request")),
    )
    op.create_index(
        op.f("ix_erasure_request_person_id"), "erasure_request", ["person_id"], unique=False
    )
    op.create_index(
        "ix_erasure_request_status_possible",
        "erasure_request",
        ["status", "possible_on"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_erasure_request_status_possible", table_name="erasure_request")
    op.drop_index(op.f("ix_erasure_request_person_id"), table_name="erasure_request")
    op.drop_table("erasure_request")
    op.drop_column("user_account", "privacy_notice_accepted_at")
    op.drop_column("user_account", "privacy_notice_version")
