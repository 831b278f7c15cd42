"""rollout: periodic report forms, reports with approval and their history

Revision ID: 14_reports
Revises: 13_web_sessions
Create Date: 2026-11-30 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import epitrace.db

revision: str = "14_reports"
down_revision: str | Sequence[str] | None = "13_web_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_form",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("area_code", sa.String(length=16), nullable=False),
        sa.Column(
            "period_type",
            sa.Enum("daily", "weekly", "monthly", name="periodtype", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("due_days", sa.Integer(), nullable=False),
        sa.Column("levels", sa.String(length=80), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["area_code"],
            ["admin_unit.code"],
            name=op.f("fk_report_form_area_code_admin_unit"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["user_account.id"],
            name=op.f("fk_report_form_created_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_form")),
    )
    with op.batch_alter_table("report_form", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_form_area_code"), ["area_code"], unique=False)

    op.create_table(
        "report",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("form_id", sa.Uuid(), nullable=False),
        sa.Column("unit_code", sa.String(length=16), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "submitted",
                "returned",
                "resubmitted",
                "approved",
                name="reportstatus",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("figures", sa.JSON(), nullable=True),
        sa.Column("results", sa.Text(), nullable=False),
        sa.Column("difficulties", sa.Text(), nullable=False),
        sa.Column("proposals", sa.Text(), nullable=False),
        sa.Column("review_comment", sa.Text(), nullable=False),
        sa.Column("first_submitted_at", epitrace.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("submitted_at", epitrace.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reviewed_at", epitrace.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("approved_at", epitrace.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["form_id"],
            ["report_form.id"],
            name=op.f("fk_report_form_id_report_form"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_code"],
            ["admin_unit.code"],
            name=op.f("fk_report_unit_code_admin_unit"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report")),
        sa.UniqueConstraint(
            "form_id",
            "unit_code",
            "period_start",
            name=op.f("uq_report_form_id_unit_code_period_start"),
        ),
    )
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_unit_code"), ["unit_code"], unique=False)

    op.create_table(
        "report_event",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("report_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor_label", sa.String(length=200), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["user_account.id"],
            name=op.f("fk_report_event_actor_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["report.id"],
            name=op.f("fk_report_event_report_id_report"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_event")),
    )
    with op.batch_alter_table("report_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_event_report_id"), ["report_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("report_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_event_report_id"))

    op.drop_table("report_event")
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_unit_code"))

    op.drop_table("report")
    with op.batch_alter_table("report_form", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_form_area_code"))

    op.drop_table("report_form")
