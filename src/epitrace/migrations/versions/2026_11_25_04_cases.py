"""cases

Revision ID: 04_cases
Revises: 0001_foundation
Create Date: 2026-11-25 22:07:56.068872
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import epitrace.db

revision: str = "04_cases"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Covering index for the tracing engine's range lookups (see epitrace.tracing.models).
    with op.batch_alter_table("presence", schema=None) as batch_op:
        batch_op.create_index(
            "ix_presence_tracing",
            ["venue_id", "entered_at", "left_at"],
            unique=False,
            postgresql_include=["person_id", "manual_visitor_id", "id"],
        )
    op.create_table(
        "case_record",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("ward_code", sa.String(length=16), nullable=False),
        sa.Column(
            "test_type",
            sa.Enum("rapid", "pcr", name="testtype", native_enum=False, length=30),
            nullable=False,
        ),
        sa.Column("sampled_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("onset_at", epitrace.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("isolated_at", epitrace.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("isolation_place", sa.String(length=300), nullable=False),
        sa.Column(
            "status",
            sa.Enum("active", "recovered", "died", name="casestatus", native_enum=False, length=30),
            nullable=False,
        ),
        sa.Column("recovered_at", epitrace.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["user_account.id"], name=op.f("fk_case_record_created_by_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_case_record_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["ward_code"], ["admin_unit.code"], name=op.f("fk_case_record_ward_code_admin_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_record")),
    )
    with op.batch_alter_table("case_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_record_person_id"), ["person_id"], unique=False)
        batch_op.create_index(
            "ix_case_record_ward_confirmed", ["ward_code", "confirmed_at"], unique=False
        )

    op.create_table(
        "tracing_policy",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["user_account.id"],
            name=op.f("fk_tracing_policy_created_by_user_account"),
        ),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_tracing_policy")),
    )
    op.create_table(
        "lab_test",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column(
            "test_type",
            sa.Enum("rapid", "pcr", name="testtype", native_enum=False, length=30),
            nullable=False,
        ),
        sa.Column("sampled_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "result",
            sa.Enum(
                "pending", "positive", "negative", name="testresult", native_enum=False, length=30
            ),
            nullable=False,
        ),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_record.id"], name=op.f("fk_lab_test_case_id_case_record")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_lab_test_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["user_account.id"], name=op.f("fk_lab_test_recorded_by_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lab_test")),
    )
    with op.batch_alter_table("lab_test", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lab_test_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            "ix_lab_test_person_sampled", ["person_id", "sampled_at"], unique=False
        )

    op.create_table(
        "quarantine_order",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.String(length=10), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("facility", "home", name="quarantinekind", native_enum=False, length=30),
            nullable=False,
        ),
        sa.Column("ward_code", sa.String(length=16), nullable=False),
        sa.Column("facility_name", sa.String(length=300), nullable=False),
        sa.Column("starts_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("test_days", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "completed",
                "cancelled",
                name="quarantinestatus",
                native_enum=False,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_record.id"], name=op.f("fk_quarantine_order_case_id_case_record")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["user_account.id"],
            name=op.f("fk_quarantine_order_created_by_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_quarantine_order_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["ward_code"],
            ["admin_unit.code"],
            name=op.f("fk_quarantine_order_ward_code_admin_unit"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantine_order")),
    )
    with op.batch_alter_table("quarantine_order", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quarantine_order_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            "ix_quarantine_order_person_starts", ["person_id", "starts_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_quarantine_order_ward_code"), ["ward_code"], unique=False
        )

    op.create_table(
        "trace_run",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("policy_version", sa.Integer(), nullable=False),
        sa.Column("window_start", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("window_end", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ran_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ran_by", sa.Uuid(), nullable=True),
        sa.Column("f1_count", sa.Integer(), nullable=False),
        sa.Column("f2_count", sa.Integer(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case_record.id"],
            name=op.f("fk_trace_run_case_id_case_record"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ran_by"], ["user_account.id"], name=op.f("fk_trace_run_ran_by_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trace_run")),
    )
    with op.batch_alter_table("trace_run", schema=None) as batch_op:
        batch_op.create_index("ix_trace_run_case_ran", ["case_id", "ran_at"], unique=False)

    op.create_table(
        "contact_link",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("contact_key", sa.String(length=40), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("manual_visitor_id", sa.Uuid(), nullable=True),
        sa.Column("source_key", sa.String(length=40), nullable=False),
        sa.Column("contact_presence_id", sa.Uuid(), nullable=False),
        sa.Column("source_presence_id", sa.Uuid(), nullable=False),
        sa.Column("venue_id", sa.Uuid(), nullable=False),
        sa.Column("ward_code", sa.String(length=16), nullable=False),
        sa.Column("exposed_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("exposure_end", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("overlap_minutes", sa.Integer(), nullable=False),
        sa.Column("evidence_count", sa.Integer(), nullable=False),
        sa.Column("trace_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case_record.id"],
            name=op.f("fk_contact_link_case_id_case_record"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["trace_id"],
            ["trace_run.id"],
            name=op.f("fk_contact_link_trace_id_trace_run"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_link")),
        sa.UniqueConstraint(
            "case_id", "contact_key", name=op.f("uq_contact_link_case_id_contact_key")
        ),
    )
    with op.batch_alter_table("contact_link", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contact_link_manual_visitor_id"), ["manual_visitor_id"], unique=False
        )
        batch_op.create_index("ix_contact_link_person", ["person_id", "exposed_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_contact_link_ward_code"), ["ward_code"], unique=False)

    op.create_table(
        "follow_up",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "reported_well",
                "reported_symptoms",
                "seen_well",
                "seen_unwell",
                "missed",
                name="followupoutcome",
                native_enum=False,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("temperature", sa.Double(), nullable=True),
        sa.Column("symptoms", sa.String(length=500), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["quarantine_order.id"],
            name=op.f("fk_follow_up_order_id_quarantine_order"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["user_account.id"], name=op.f("fk_follow_up_recorded_by_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up")),
        sa.UniqueConstraint(
            "order_id", "day", "source", name=op.f("uq_follow_up_order_id_day_source")
        ),
    )
    op.create_table(
        "quarantine_breach",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("presence_id", sa.Uuid(), nullable=False),
        sa.Column("venue_id", sa.Uuid(), nullable=False),
        sa.Column("ward_code", sa.String(length=16), nullable=False),
        sa.Column("entered_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum("open", "resolved", name="breachstatus", native_enum=False, length=30),
            nullable=False,
        ),
        sa.Column("detected_at", epitrace.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["quarantine_order.id"],
            name=op.f("fk_quarantine_breach_order_id_quarantine_order"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["presence_id"],
            ["presence.id"],
            name=op.f("fk_quarantine_breach_presence_id_presence"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venue.id"], name=op.f("fk_quarantine_breach_venue_id_venue")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantine_breach")),
        sa.UniqueConstraint("presence_id", name=op.f("uq_quarantine_breach_presence_id")),
    )
    with op.batch_alter_table("quarantine_breach", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_quarantine_breach_order_id"), ["order_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_quarantine_breach_ward_code"), ["ward_code"], unique=False
        )

    # ### end Alembic commands ###


def downgrade() -> None:
    with op.batch_alter_table("presence", schema=None) as batch_op:
        batch_op.drop_index("ix_presence_tracing")
    with op.batch_alter_table("quarantine_breach", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quarantine_breach_ward_code"))
        batch_op.drop_index(batch_op.f("ix_quarantine_breach_order_id"))

    op.drop_table("quarantine_breach")
    op.drop_table("follow_up")
    with op.batch_alter_table("contact_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_link_ward_code"))
        batch_op.drop_index("ix_contact_link_person")
        batch_op.drop_index(batch_op.f("ix_contact_link_manual_visitor_id"))

    op.drop_table("contact_link")
    with op.batch_alter_table("trace_run", schema=None) as batch_op:
        batch_op.drop_index("ix_trace_run_case_ran")

    op.drop_table("trace_run")
    with op.batch_alter_table("quarantine_order", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quarantine_order_ward_code"))
        batch_op.drop_index("ix_quarantine_order_person_starts")
        batch_op.drop_index(batch_op.f("ix_quarantine_order_case_id"))

    op.drop_table("quarantine_order")
    with op.batch_alter_table("lab_test", schema=None) as batch_op:
        batch_op.drop_index("ix_lab_test_person_sampled")
        batch_op.drop_index(batch_op.f("ix_lab_test_case_id"))

    op.drop_table("lab_test")
    op.drop_table("tracing_policy")
    with op.batch_alter_table("case_record", schema=None) as batch_op:
        batch_op.drop_index("ix_case_record_ward_confirmed")
        batch_op.drop_index(batch_op.f("ix_case_record_person_id"))

    op.drop_table("case_record")
    # ### end Alembic commands ###
