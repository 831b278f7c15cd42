"""rollout: ad-hoc requests (báo cáo đột xuất), their recipients and answers

Revision ID: 16_adhoc_requests
Revises: 15_community_teams
Create Date: 2026-11-30 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import epitrace.db

revision: str = "16_adhoc_requests"
down_revision: str | Sequence[str] | None = "15_community_teams"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "adhoc_request",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("area_code", sa.String(length=16), nullable=False),
        sa.Column("deadline", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["area_code"],
            ["admin_unit.code"],
            name=op.f("fk_adhoc_request_area_code_admin_unit"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["user_account.id"],
            name=op.f("fk_adhoc_request_created_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adhoc_request")),
    )
    with op.batch_alter_table("adhoc_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_adhoc_request_area_code"), ["area_code"], unique=False)

    for table in ("adhoc_recipient", "adhoc_answer"):
        extra: list[sa.schema.SchemaItem] = []
        if table == "adhoc_answer":
            extra = [
                sa.Column("answers", sa.JSON(), nullable=False),
                sa.Column("answered_by", sa.Uuid(), nullable=True),
                sa.Column("answered_label", sa.String(length=200), nullable=False),
                sa.Column("answered_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
                sa.ForeignKeyConstraint(
                    ["answered_by"],
                    ["user_account.id"],
                    name=op.f("fk_adhoc_answer_answered_by_user_account"),
                    ondelete="SET NULL",
                ),
            ]
        op.create_table(
            table,
            sa.Column("id", sa.Uuid(), nullable=False),
            sa.Column("request_id", sa.Uuid(), nullable=False),
            sa.Column("unit_code", sa.String(length=16), nullable=False),
            *extra,
            sa.ForeignKeyConstraint(
                ["request_id"],
                ["adhoc_request.id"],
                name=op.f(f"fk_{table}_request_id_adhoc_request"),
                ondelete="CASCADE",
            ),
            sa.ForeignKeyConstraint(
                ["unit_code"],
                ["admin_unit.code"],
                name=op.f(f"fk_{table}_unit_code_admin_unit"),
                ondelete="RESTRICT",
            ),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
            sa.UniqueConstraint(
                "request_id", "unit_code", name=op.f(f"uq_{table}_request_id_unit_code")
            ),
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f"ix_{table}_unit_code"), ["unit_code"], unique=False)


def downgrade() -> None:
    for table in ("adhoc_answer", "adhoc_recipient"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_unit_code"))
        op.drop_table(table)
    with op.batch_alter_table("adhoc_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_adhoc_request_area_code"))
    op.drop_table("adhoc_request")
